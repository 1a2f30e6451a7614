"""Scenario-test helpers: publish the product's own diagrams and work their cases through the service layer
the way the departments do (claim, complete, fire timers on a controlled clock)."""
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from app import clock
from app.models import HumanTask, OPEN_STATES, ProcessInstance
from app.services.cases import instances, tasks, timers
from app.services.organisation import org
from app.services.modelling import publishing

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = ROOT / "processes"
FORMS = ROOT / "forms"


def product_sources(bpmn: list[str], dmn: list[str], form_prefixes: list[str]) -> publishing.SourceSet:
    """The named diagrams and tables of processes/, their English labels and the forms of forms/ whose names
    start with one of the prefixes."""
    files = [PROCESSES / name for name in [*bpmn, *dmn]]
    for name in bpmn:
        labels = PROCESSES / "i18n" / name.replace(".bpmn", ".en.json")
        if labels.exists():
            files.append(labels)
    files += sorted(p for p in FORMS.glob("*.json") if p.name.startswith(tuple(form_prefixes)))
    return publishing.collect_paths(files, None)


def publish(db, sources: publishing.SourceSet, actor: str = "process_owner") -> list[dict]:
    with db.session() as session:
        return publishing.publish(session, sources, actor)


class Desk:
    """Departments working cases: users by name, open tasks by element id, timers on a set clock."""

    def __init__(self, db):
        self.db = db

    def user(self, username: str):
        with self.db.session() as session:
            return org.get_user(session, username)

    def add_user(self, username: str, groups=(), head_of=()):
        with self.db.session() as session:
            org.create_user(session, username, "pw", groups=list(groups), head_of=list(head_of))

    def start(self, process_id: str, data: dict, actor: str = "sales") -> int:
        return instances.start_instance(self.db, process_id, data, actor)

    def open_tasks(self, instance_id: int) -> dict[str, HumanTask]:
        with self.db.session() as session:
            rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                           HumanTask.state.in_(OPEN_STATES)))
            return {row.task_name: row for row in rows}

    def open_rows(self, instance_id: int) -> list[HumanTask]:
        with self.db.session() as session:
            return list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                                HumanTask.state.in_(OPEN_STATES))
                                        .order_by(HumanTask.created_at)))

    def do(self, username: str, instance_id: int, element_id: str, data: dict) -> HumanTask:
        """Claim and complete the open task `element_id` of the case as `username`."""
        task = self.open_tasks(instance_id).get(element_id)
        assert task is not None, f"{element_id} is not open; open: {sorted(self.open_tasks(instance_id))}"
        user = self.user(username)
        tasks.claim(self.db, user, task.id)
        tasks.complete(self.db, user, task.id, data)
        return task

    def case(self, instance_id: int) -> ProcessInstance:
        with self.db.session() as session:
            return session.get(ProcessInstance, instance_id)

    def children(self, instance_id: int) -> list[ProcessInstance]:
        with self.db.session() as session:
            return list(session.scalars(select(ProcessInstance)
                                        .where(ProcessInstance.parent_instance_id == instance_id)))

    def fire_at(self, when: datetime) -> int:
        clock.set_now(when)
        return timers.fire_due(self.db)


def unlabelled_tasks(db, process_id: str) -> list[str]:
    """User tasks of the latest published version without an English label (called processes included)."""
    with db.session() as session:
        version = publishing.latest_version(session, process_id)
        english = (version.meta or {}).get("labels", {}).get("en", {})
        return sorted(element for element in version.task_catalog if not english.get(element))
