"""users.access_version: raised whenever a user's groups or roles change, so that each server process may
keep a user's groups and roles in memory and still see an administrator's change on the next request

Revision ID: perf_0001_user_access_version
Revises: fid_0001_case_deadline_breach
"""
from alembic import op
import sqlalchemy as sa

revision = "perf_0001_user_access_version"
down_revision = "fid_0001_case_deadline_breach"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("access_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("access_version")
