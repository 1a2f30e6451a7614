"""unpublished model edits of the process owner console

Revision ID: 0007_model_drafts
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_model_drafts"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "model_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=120), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_drafts")),
        sa.UniqueConstraint("process_id", "file_name", name="uq_model_drafts_process_file"),
    )
    op.create_index(op.f("ix_model_drafts_process_id"), "model_drafts", ["process_id"])


def downgrade():
    op.drop_index(op.f("ix_model_drafts_process_id"), table_name="model_drafts")
    op.drop_table("model_drafts")
