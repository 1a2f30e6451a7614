"""administration: administrative audit trail, sign-in sessions, API tokens, password resets, user settings

Revision ID: admin_0001_administration
Revises: 0010_merge_heads
"""
from alembic import op
import sqlalchemy as sa

revision = "admin_0001_administration"
down_revision = "0010_merge_heads"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("auth_source", sa.String(length=16), nullable=False, server_default="local"))
        batch.add_column(sa.Column("deactivated_at", sa.DateTime(), nullable=True))
    op.create_table(
        "admin_audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("chain_seq", sa.Integer(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("event_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_audit_events")),
        sa.UniqueConstraint("chain_seq", name=op.f("uq_admin_audit_events_chain_seq")),
    )
    op.create_index(op.f("ix_admin_audit_events_at"), "admin_audit_events", ["at"])
    op.create_index(op.f("ix_admin_audit_events_actor"), "admin_audit_events", ["actor"])
    op.create_index(op.f("ix_admin_audit_events_action"), "admin_audit_events", ["action"])
    op.create_index("ix_admin_audit_events_object", "admin_audit_events", ["object_type", "object_id"])
    _append_only()
    op.create_table(
        "sign_in_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sign_in_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_sign_in_sessions_key_hash")),
    )
    op.create_index(op.f("ix_sign_in_sessions_user_id"), "sign_in_sessions", ["user_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_password_resets_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_password_resets_key_hash")),
    )
    op.create_index(op.f("ix_password_resets_user_id"), "password_resets", ["user_id"])


def _append_only():
    """Like the case audit trail, the administrative trail is append-only in the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE OR REPLACE FUNCTION admin_audit_events_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'admin_audit_events is append-only'; END; $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER admin_audit_events_no_update BEFORE UPDATE OR DELETE ON admin_audit_events
                      FOR EACH ROW EXECUTE FUNCTION admin_audit_events_append_only()""")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER admin_audit_events_no_{action.lower()} BEFORE {action}
                           ON admin_audit_events BEGIN SELECT RAISE(ABORT, 'admin_audit_events is append-only'); END""")


def downgrade():
    op.drop_table("password_resets")
    op.drop_table("api_tokens")
    op.drop_table("sign_in_sessions")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS admin_audit_events_no_update ON admin_audit_events")
        op.execute("DROP FUNCTION IF EXISTS admin_audit_events_append_only()")
    op.drop_table("admin_audit_events")
    with op.batch_alter_table("users") as batch:
        for column in ("deactivated_at", "auth_source", "password_changed_at", "must_change_password", "timezone"):
            batch.drop_column(column)
