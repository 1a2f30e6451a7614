"""search statistics: PostgreSQL samples the searched task columns (business key, customer) ten times finer,
so its estimate of how many open tasks contain a typed fragment follows the values themselves; with the
default sample a rare case number looked common enough that a queue page walked the department's whole
queue in due order looking for it (180 ms at 1,000,000 open tasks) instead of reading the few matches from
the trigram index (1 ms). Nothing to do on SQLite (its search reads the FTS table).

Revision ID: perf_0005_search_statistics
Revises: perf_0005_workload_index
"""
from alembic import op

from app.models import task_search


revision = "perf_0005_search_statistics"
down_revision = "perf_0005_workload_index"
branch_labels = None
depends_on = None

TARGET = 1000  # histogram and common-value entries per column (PostgreSQL's default: 100)


def _set(target: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in task_search.COLUMNS:
        op.execute(f"ALTER TABLE human_tasks ALTER COLUMN {column} SET STATISTICS {target}")
    op.execute("ANALYZE human_tasks")


def upgrade():
    _set(TARGET)


def downgrade():
    _set(-1)  # back to the server's default_statistics_target
