"""inbox keyset index: a department's open tasks in (due, created, id) order, so that any page of the queue
(read after a cursor) starts in the index at its position instead of skipping an offset

Revision ID: perf_0003_inbox_keyset
Revises: api_0001_integration, care_0001_customers, perf_0001_user_access_version
"""
from alembic import op


revision = "perf_0003_inbox_keyset"
down_revision = ("api_0001_integration", "care_0001_customers", "perf_0001_user_access_version")
branch_labels = None
depends_on = None


def upgrade():
    # head_only last: the queue's filters and its capped count are read from the index alone
    op.create_index("ix_human_tasks_keyset", "human_tasks",
                    ["group_code", "state", "due_at", "created_at", "id", "head_only"])


def downgrade():
    op.drop_index("ix_human_tasks_keyset", table_name="human_tasks")
