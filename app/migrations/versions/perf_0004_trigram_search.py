"""trigram search of open tasks: the inbox's search box (part of a business key or customer name, anywhere)
read from an index instead of a scan of the department's queue. PostgreSQL: pg_trgm GIN indexes (skipped
with a warning when the extension cannot be created); SQLite: an FTS5 trigram table kept in step by
triggers, filled here from the existing tasks

Revision ID: perf_0004_trigram_search
Revises: perf_0002_case_chain_head, perf_0003_inbox_keyset
"""
from alembic import op

from app.models import task_search


revision = "perf_0004_trigram_search"
down_revision = ("perf_0002_case_chain_head", "perf_0003_inbox_keyset")
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    if task_search.install(conn):
        task_search.rebuild(conn)


def downgrade():
    task_search.uninstall(op.get_bind())
