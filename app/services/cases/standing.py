"""Standing processes: a process whose start event has the property standing="true" always has one
running case (e.g. the monthly complaint review, which loops month after month)."""
from sqlalchemy import select

from ...db import Database
from ...models import ProcessInstance, ProcessVersion
from .instances import start_instance

ACTIVE = ("running", "error")


def standing_process_ids(session) -> list[str]:
    latest: dict[str, ProcessVersion] = {}
    for version in session.scalars(select(ProcessVersion).order_by(ProcessVersion.version)):
        latest[version.process_id] = version
    return sorted(pid for pid, v in latest.items()
                  if str((v.meta or {}).get("start", {}).get("properties", {}).get("standing", "")).lower() == "true")


def start_standing(db: Database, actor: str = "system") -> list[tuple[str, int]]:
    """Start the standing processes that have no running case; returns (process id, case id) started."""
    with db.session() as session:
        wanted = standing_process_ids(session)
        active = set(session.scalars(select(ProcessInstance.process_id).where(
            ProcessInstance.process_id.in_(wanted), ProcessInstance.status.in_(ACTIVE))))
    return [(pid, start_instance(db, pid, {}, actor)) for pid in wanted if pid not in active]
