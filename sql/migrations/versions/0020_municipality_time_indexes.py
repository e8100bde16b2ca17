"""Incident lookups that lead with the municipality.

With two or more municipalities the row-security policy (0016) adds
``municipality_code = any(scope)`` to every read of ``pax_data.incident``. The time indexes
alone then read every municipality's incidents of the period and drop the others': at forty
municipalities and five million incidents, Södertälje's police map of a year took 0.99 s
instead of 0.03 s alone, its area card 2.7 s instead of 0.21 s. With these two indexes the
scope is part of the index condition, and the same reads take 0.03 s and 0.35 s
(bench/bench_regional.py). With one municipality (no policy) the planner keeps using the
time indexes; these cost about 30 bytes per incident.

List partitioning by municipality was measured too and is not used: the scope is only known
when the query runs (a sub-plan of the policy), so PostgreSQL 15 does not prune partitions
and the area card took 7.4 s.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "create index incident_municipality_time_idx "
        "on pax_data.incident (municipality_code, occurred_at)"
    )
    op.execute(
        "create index incident_municipality_kind_time_idx "
        "on pax_data.incident (municipality_code, kind, occurred_at)"
    )


def downgrade() -> None:
    op.execute("drop index pax_data.incident_municipality_kind_time_idx")
    op.execute("drop index pax_data.incident_municipality_time_idx")
