"""Which pages exist and which roles may open them. Core (no Streamlit): tests and the
navigation both read it, so the role x page matrix lives here only."""

from __future__ import annotations

from dataclasses import dataclass

from pax_geo.capabilities import CAPABILITIES
from pax_geo.layers import ROLES

ALL = frozenset(ROLES)
ANALYSTS = frozenset({"police_analyst", "security_chief", "municipal_staff"})
ADMIN = frozenset({"admin"})


@dataclass(frozen=True)
class PageSpec:
    key: str
    path: str  # relative to the project root
    title_key: str  # i18n key
    icon: str
    roles: frozenset[str]
    section: str = "main"


PAGES: tuple[PageSpec, ...] = (
    PageSpec("har_och_nu", "pages/har_och_nu.py", "page_har_och_nu", ":material/map:", ALL),
    # field mode: the field worker's start page (HOME below)
    PageSpec(
        "mitt_omrade",
        "pages/mitt_omrade.py",
        "page_mitt_omrade",
        ":material/home_pin:",
        frozenset({"field_worker"}),
    ),
    # hot spot and pattern analysis (roles whose login returns points)
    PageSpec(
        "hotspots",
        "pages/hotspots.py",
        "page_hotspots",
        ":material/local_fire_department:",
        ANALYSTS,
    ),
    # the medium- and long-term horizons and the area card (all roles)
    PageSpec("medellang", "pages/medellang.py", "page_medellang", ":material/trending_up:", ALL),
    PageSpec("lang_sikt", "pages/lang_sikt.py", "page_lang", ":material/insights:", ALL),
    PageSpec("omradeskort", "pages/omradeskort.py", "page_omradeskort", ":material/badge:", ALL),
    # the municipalities side by side (the regional coordinator's start page)
    PageSpec(
        "regional",
        "pages/regional.py",
        "page_regional",
        ":material/compare_arrows:",
        frozenset({"regional_analyst"}),
    ),
    # the night walkers' log (their start page), reports from the street, the triage list
    PageSpec(
        "nattvandring",
        "pages/nattvandring.py",
        "page_nattvandring",
        ":material/directions_walk:",
        CAPABILITIES["log_walk"],
    ),
    PageSpec(
        "rapportera",
        "pages/rapportera.py",
        "page_rapportera",
        ":material/add_location_alt:",
        CAPABILITIES["report_observation"],
    ),
    PageSpec(
        "rapporter",
        "pages/rapporter.py",
        "page_rapporter",
        ":material/inbox:",
        CAPABILITIES["triage_observation"],
    ),
    # the board's situation picture: built by the chief and analysts, viewed by the board
    PageSpec(
        "styrelse",
        "pages/styrelse.py",
        "page_styrelse",
        ":material/co_present:",
        CAPABILITIES["view_briefing"],
    ),
    # Insatser: the register of operations and the partners' actions (per district for the
    # roles at 'area' precision of the operation layer), and planning (police)
    PageSpec(
        "insatser",
        "pages/insatser.py",
        "page_insatser",
        ":material/shield:",
        frozenset({"police_analyst", "security_chief", "municipal_staff", "board_viewer"}),
    ),
    PageSpec(
        "planera",
        "pages/planera_insats.py",
        "page_planera",
        ":material/edit_location_alt:",
        CAPABILITIES["plan_operation"],
    ),
    # administration (admin only)
    PageSpec("audit", "pages/admin_audit.py", "page_audit", ":material/policy:", ADMIN, "admin"),
    PageSpec("users", "pages/admin_users.py", "page_users", ":material/group:", ADMIN, "admin"),
    # imports (files, the Police feed, indicators)
    PageSpec(
        "import",
        "pages/admin_import.py",
        "page_import",
        ":material/upload_file:",
        frozenset({"admin", "police_analyst"}),
        "admin",
    ),
)


#: Roles that work from a tablet or phone in the street (menu folded, touch layout).
FIELD_ROLES = frozenset({"field_worker", "night_walker"})

#: A role's start page where it is not the first page it may open.
HOME: dict[str, str] = {
    "field_worker": "mitt_omrade",
    "night_walker": "nattvandring",
    "regional_analyst": "regional",
}


def home_for(role: str) -> str | None:
    """The page a role lands on after signing in."""
    allowed = [p.key for p in pages_for(role)]
    if HOME.get(role) in allowed:
        return HOME[role]
    return allowed[0] if allowed else None


def page(key: str) -> PageSpec:
    for p in PAGES:
        if p.key == key:
            return p
    raise KeyError(key)


def may_open(role: str, key: str) -> bool:
    return role in page(key).roles


def pages_for(role: str) -> list[PageSpec]:
    return [p for p in PAGES if role in p.roles]
