"""What each role may *do* (write), beside what it may see (the layer specs' precision matrix).

One list, read by the pages (which forms to show) and copied into ``pax_data.role_capability``
on every migrate (:func:`pax_geo.security.sync_privileges`), where the definer functions that
write check it against the connection's own login. A page that shows a form to the wrong role
would still be refused by the database.
"""

from __future__ import annotations

from pax_geo.layers import ROLES

#: capability -> the roles that have it
CAPABILITIES: dict[str, frozenset[str]] = {
    # Rapportera: an observation from the street (pax_api.report_observation and its
    # correction / withdrawal by the reporter within 24 h)
    "report_observation": frozenset(
        {"police_analyst", "security_chief", "municipal_staff", "field_worker"}
    ),
    # the triage list of reports: new -> seen -> handled, links to incidents and operations
    "triage_observation": frozenset({"police_analyst", "security_chief"}),
    # the night walkers' log: a walk held on a route (pax_api.log_walk)
    "log_walk": frozenset(
        {"night_walker", "field_worker", "municipal_staff", "security_chief", "police_analyst"}
    ),
    # Lägesbild för styrelsen: build drafts, comment, freeze; and read the presented ones
    "build_briefing": frozenset({"police_analyst", "security_chief"}),
    "view_briefing": frozenset({"police_analyst", "security_chief", "board_viewer"}),
    # Insatser (0015_operations.py): plan police operations (exact target polygons)
    "plan_operation": frozenset({"police_analyst"}),
    # record the partners' own actions (lighting, tillsyn, housing, outreach, ...)
    "record_action": frozenset({"police_analyst", "security_chief", "municipal_staff"}),
    # the before/after evaluation (WDQ, difference in differences) on exact incidents
    "evaluate_operation": frozenset({"police_analyst"}),
}

assert all(r in ROLES for roles in CAPABILITIES.values() for r in roles)
