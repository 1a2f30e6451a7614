"""process_instances.chain_length / chain_hash: the head of each case's audit chain kept on the case row,
moved by the same version-checked UPDATE that saves a step (no separate head row to lock per case).
Existing heads move over from audit_chain_heads; the system and administrative chains keep their rows.

Revision ID: perf_0002_case_chain_head
Revises: perf_0001_user_access_version
"""
from alembic import op
import sqlalchemy as sa

revision = "perf_0002_case_chain_head"
down_revision = "perf_0001_user_access_version"
branch_labels = None
depends_on = None

_STREAM = "('case:' || CAST(process_instances.id AS VARCHAR(20)))"


def upgrade():
    op.add_column("process_instances", sa.Column("chain_length", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("process_instances", sa.Column("chain_hash", sa.String(length=64), nullable=False,
                                                 server_default=""))
    op.execute(f"""UPDATE process_instances SET
        chain_length = (SELECT h.length FROM audit_chain_heads h WHERE h.stream = {_STREAM}),
        chain_hash = (SELECT h.last_hash FROM audit_chain_heads h WHERE h.stream = {_STREAM})
        WHERE EXISTS (SELECT 1 FROM audit_chain_heads h WHERE h.stream = {_STREAM})""")
    op.execute("DELETE FROM audit_chain_heads WHERE stream LIKE 'case:%'")


def downgrade():
    op.execute(f"""INSERT INTO audit_chain_heads (stream, length, last_hash)
        SELECT {_STREAM}, chain_length, chain_hash FROM process_instances WHERE chain_length > 0""")
    with op.batch_alter_table("process_instances") as batch:
        batch.drop_column("chain_hash")
        batch.drop_column("chain_length")
