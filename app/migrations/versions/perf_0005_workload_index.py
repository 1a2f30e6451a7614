"""workload index: a department's held tasks by holder with their due times, so a head's workload page
counts each member's tasks (and the overdue among them) from one range of an index alone; replaces
ix_human_tasks_claimed (holder, state, due), whose every use ix_human_tasks_held (holder, state, due,
created, id) serves the same way

Revision ID: perf_0005_workload_index
Revises: perf_0004_trigram_search
"""
from alembic import op


revision = "perf_0005_workload_index"
down_revision = "perf_0004_trigram_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_human_tasks_workload", "human_tasks", ["group_code", "state", "claimed_by", "due_at"])
    op.drop_index("ix_human_tasks_claimed", table_name="human_tasks")


def downgrade():
    op.create_index("ix_human_tasks_claimed", "human_tasks", ["claimed_by", "state", "due_at"])
    op.drop_index("ix_human_tasks_workload", table_name="human_tasks")
