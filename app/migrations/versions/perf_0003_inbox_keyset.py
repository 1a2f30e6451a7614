"""inbox keyset indexes: a department's and a person's open tasks in (due, created, id) order, so that any
page of the queue or of my tasks (read after a cursor) starts in the index at its position instead of
skipping an offset

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
    # the tasks a person holds, in the same order (my tasks, the held part of the API inbox)
    op.create_index("ix_human_tasks_held", "human_tasks", ["claimed_by", "state", "due_at", "created_at", "id"])


def downgrade():
    op.drop_index("ix_human_tasks_held", table_name="human_tasks")
    op.drop_index("ix_human_tasks_keyset", table_name="human_tasks")
