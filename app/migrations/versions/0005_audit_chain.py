"""audit hash chain and saved case searches

Revision ID: 0005_audit_chain
Revises: 0001_foundation

audit_events refuses UPDATE, so the chain columns are added as nullable columns (plain ALTER TABLE ADD
COLUMN, no table rebuild) and are only ever set when an event is inserted. Events recorded before this
revision stay unchained; the verifier reports them as such.
"""
from alembic import op
import sqlalchemy as sa


revision = "0005_audit_chain"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("audit_events", sa.Column("chain_seq", sa.Integer(), nullable=True))
    op.add_column("audit_events", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_events", sa.Column("event_hash", sa.String(length=64), nullable=True))
    op.create_index("uq_audit_events_chain", "audit_events", ["instance_id", "chain_seq"], unique=True)
    op.create_table(
        "audit_chain_heads",
        sa.Column("stream", sa.String(length=40), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("stream", name=op.f("pk_audit_chain_heads")),
    )
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=80), nullable=False),
        sa.Column("shared_group", sa.String(length=64), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["shared_group"], ["groups.code"],
                                name=op.f("fk_saved_searches_shared_group_groups")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
    )
    op.create_index(op.f("ix_saved_searches_owner"), "saved_searches", ["owner"], unique=False)
    op.create_index(op.f("ix_saved_searches_shared_group"), "saved_searches", ["shared_group"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_saved_searches_shared_group"), table_name="saved_searches")
    op.drop_index(op.f("ix_saved_searches_owner"), table_name="saved_searches")
    op.drop_table("saved_searches")
    op.drop_table("audit_chain_heads")
    op.drop_index("uq_audit_events_chain", table_name="audit_events")
    # the chain columns stay: dropping them would rebuild the append-only table
