"""inbox indexes: a department's open tasks in due order (tasks without a due date last)

Revision ID: 0006_inbox_indexes
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa


revision = "0006_inbox_indexes"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    # the queue query filters on group and state and orders by (due_at IS NULL), due_at, created_at:
    # with this index the first page is read in order instead of sorting every open task of the group
    op.create_index("ix_human_tasks_queue_order", "human_tasks",
                    ["group_code", "state", sa.text("(due_at IS NULL)"), "due_at", "created_at"])


def downgrade():
    op.drop_index("ix_human_tasks_queue_order", table_name="human_tasks")
