"""business sequences (complaint, contract and repair-case numbers)

Revision ID: 0002_numbering
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_numbering"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "business_sequences",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", "period", name=op.f("pk_business_sequences")),
    )


def downgrade():
    op.drop_table("business_sequences")
