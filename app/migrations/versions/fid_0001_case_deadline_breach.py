"""the time a case missed its commitment deadline, kept on the case for search, exports and the SLA dashboard

Revision ID: fid_0001_case_deadline_breach
Revises: time_0001_company_calendar
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = "fid_0001_case_deadline_breach"
down_revision = "time_0001_company_calendar"
branch_labels = None
depends_on = None


def _utc(value):
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(timezone.utc).replace(tzinfo=None) if parsed.tzinfo else parsed


def upgrade():
    op.add_column("process_instances", sa.Column("deadline_breached_at", sa.DateTime(), nullable=True))
    op.create_index("ix_process_instances_deadline_breached_at", "process_instances", ["deadline_breached_at"])
    # complaints that already breached their customer commitment carry the time in their case data
    bind = op.get_bind()
    table = sa.table("process_instances", sa.column("id", sa.Integer), sa.column("case_data", sa.JSON),
                     sa.column("deadline_breached_at", sa.DateTime))
    for iid, data in bind.execute(sa.select(table.c.id, table.c.case_data)).all():
        at = _utc((data or {}).get("commitment_breached_at")) if isinstance(data, dict) else None
        if at is not None:
            bind.execute(table.update().where(table.c.id == iid).values(deadline_breached_at=at))


def downgrade():
    op.drop_index("ix_process_instances_deadline_breached_at", table_name="process_instances")
    op.drop_column("process_instances", "deadline_breached_at")
