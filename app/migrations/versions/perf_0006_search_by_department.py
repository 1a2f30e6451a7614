"""search by department: on PostgreSQL the inbox's trigram indexes are keyed by department first (btree_gin),
so that a department's queue search reads that department's matching tasks alone instead of combining the
trigram match with a bitmap of the whole queue; trigram-only indexes where btree_gin cannot be created

Revision ID: perf_0006_search_by_department
Revises: perf_0005_search_statistics
"""
from alembic import op

from app.models import task_search


revision = "perf_0006_search_by_department"
down_revision = "perf_0005_search_statistics"
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    task_search.uninstall(conn)
    task_search.install(conn)


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    task_search.uninstall(conn)
    for name, columns in task_search.LEGACY_PG_INDEXES:
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON human_tasks USING gin ({columns})")
