"""out-of-office substitutes, task form drafts, uploaded attachments

Revision ID: 0004_delegation
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_delegation"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "substitutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("substitute", sa.String(length=80), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_substitutions")),
    )
    op.create_index("ix_substitutions_user_period", "substitutions", ["username", "starts_on", "ends_on"])
    op.create_index(op.f("ix_substitutions_substitute"), "substitutions", ["substitute"])
    op.create_table(
        "task_drafts",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("form_values", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["human_tasks.id"], name=op.f("fk_task_drafts_task_id_human_tasks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", "username", name=op.f("pk_task_drafts")),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=80), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"],
                                name=op.f("fk_attachments_instance_id_process_instances"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_instance_id"), "attachments", ["instance_id"])


def downgrade():
    op.drop_index(op.f("ix_attachments_instance_id"), table_name="attachments")
    op.drop_table("attachments")
    op.drop_table("task_drafts")
    op.drop_index(op.f("ix_substitutions_substitute"), table_name="substitutions")
    op.drop_index("ix_substitutions_user_period", table_name="substitutions")
    op.drop_table("substitutions")
