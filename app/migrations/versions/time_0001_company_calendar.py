"""company calendar: official schedules per year, company days, working hours, provisional due dates;
the case's commitment deadline on its tasks

Revision ID: time_0001_company_calendar
Revises: 0010_merge_heads
"""
from datetime import datetime

from alembic import op
import sqlalchemy as sa

revision = "time_0001_company_calendar"
down_revision = "0010_merge_heads"
branch_labels = None
depends_on = None


def upgrade():
    years = op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )
    days = op.create_table(
        "calendar_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("official", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_days")),
        sa.UniqueConstraint("day", "official", name="uq_calendar_days_day_official"),
    )
    op.create_index(op.f("ix_calendar_days_day"), "calendar_days", ["day"])
    op.create_table(
        "calendar_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workday_start", sa.String(length=5), nullable=True),
        sa.Column("workday_end", sa.String(length=5), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_settings")),
    )
    op.create_table(
        "calendar_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("expression", sa.String(length=40), nullable=False),
        sa.Column("start_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"], ondelete="CASCADE",
                                name=op.f("fk_calendar_deadlines_instance_id_process_instances")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_deadlines")),
    )
    op.create_index(op.f("ix_calendar_deadlines_instance_id"), "calendar_deadlines", ["instance_id"])
    with op.batch_alter_table("human_tasks") as batch:
        batch.add_column(sa.Column("due_provisional", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("case_due_at", sa.DateTime(), nullable=True))

    # the official schedules the chinese_calendar package carries, as the first content of the calendar
    from chinese_calendar import constants
    now = datetime.utcnow()
    rows = [{"day": d, "official": True, "kind": "holiday", "name": str(getattr(n, "value", n))}
            for d, n in constants.holidays.items()]
    rows += [{"day": d, "official": True, "kind": "workday", "name": str(getattr(n, "value", n))}
             for d, n in constants.workdays.items() if d.weekday() >= 5]
    op.bulk_insert(days, rows)
    op.bulk_insert(years, [{"year": y, "source": "package", "updated_at": now, "updated_by": None}
                           for y in sorted({d.year for d in constants.holidays})])


def downgrade():
    with op.batch_alter_table("human_tasks") as batch:
        batch.drop_column("case_due_at")
        batch.drop_column("due_provisional")
    op.drop_index(op.f("ix_calendar_deadlines_instance_id"), table_name="calendar_deadlines")
    op.drop_table("calendar_deadlines")
    op.drop_table("calendar_settings")
    op.drop_index(op.f("ix_calendar_days_day"), table_name="calendar_days")
    op.drop_table("calendar_days")
    op.drop_table("calendar_years")
