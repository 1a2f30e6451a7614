"""Drives instances of a published process step by step, either through the product's service layer
(persisted: every step its own committed transaction) or through the engine alone (in memory).

Both paths submit the same data for the same element, so their step times compare like for like.
Only the step itself is timed; finding the next task is not.
"""
import itertools
import time

from sqlalchemy import select

from app.engine import runner
from app.models import HumanTask, OPEN_STATES
from app.services.cases import instances, store, tasks
from app.services.errors import Forbidden
from app.services.modelling.forms import load_schema
from app.services.modelling.publishing import latest_version


def fill(schema: dict, key: str = "") -> object:
    """A small value that satisfies a JSON Schema (required fields only)."""
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type", "string")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in schema else 1)
        return int(low) if kind == "integer" else low
    if kind == "array":
        return [fill(schema.get("items", {}))] * schema.get("minItems", 0)
    if kind == "object":
        props = schema.get("properties", {})
        return {name: fill(props.get(name, {}), name) for name in schema.get("required", [])}
    formats = {"date": "2026-01-05", "date-time": "2026-01-05T08:00:00Z", "email": "bench@example.com"}
    text = formats.get(schema.get("format"), key or "bench")
    return text.ljust(schema.get("minLength", 0), "x")[: schema.get("maxLength", 200)]


class ProcessDriver:
    def __init__(self, db, process_id: str, users: dict, step_data: dict | None = None, start: dict | None = None):
        self.db, self.process_id, self.users = db, process_id, users
        with db.session() as session:
            version = latest_version(session, process_id)
            self.bundle = store.bundle_for(session, version.id)
            self.catalog = version.task_catalog
            self.schemas = {name: load_schema(text) for name, text in version.sources.items()
                            if name.endswith(".json") and not name.startswith("i18n/")}
            start_event = (version.meta or {}).get("start", {})
        self.start_schema = self.schemas.get(start_event.get("form"), {"type": "object"})
        self.key_field = start_event.get("properties", {}).get("businessKey")
        self.step_data, self.start = step_data or {}, start

    def start_data(self, n: int) -> dict:
        data = dict(self.start) if self.start is not None else fill(self.start_schema)
        if self.key_field in self.start_schema.get("properties", {}):
            data[self.key_field] = f"B-{n}"
        return data

    def data_for(self, element_id: str) -> dict:
        if element_id in self.step_data:
            return dict(self.step_data[element_id])
        form = self.catalog.get(element_id, {}).get("form")
        return fill(self.schemas.get(form, {"type": "object"})) if form else {}

    def candidates(self, row: HumanTask) -> list:
        code = row.group_code
        names = [f"{code}_head"] if row.head_only else [code, f"{code}_head"]
        return [self.users[n] for n in names if n in self.users]

    # -------------------------------------------------------------- persisted
    def start_persisted(self, n: int) -> int:
        return instances.start_instance(self.db, self.process_id, self.start_data(n), "sales")

    def next_row(self, iid: int) -> HumanTask | None:
        with self.db.session() as session:
            return session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                           HumanTask.state.in_(OPEN_STATES))
                                   .order_by(HumanTask.created_at)).first()

    def step_persisted(self, iid: int, data: dict | None = None) -> tuple[str, float] | None:
        """Complete the instance's next open task; returns (element id, seconds) or None when none is open."""
        row = self.next_row(iid)
        if row is None:
            return None
        data = self.data_for(row.task_name) if data is None else data
        for user in self.candidates(row):
            t0 = time.perf_counter()
            try:
                tasks.complete(self.db, user, row.id, data)
            except Forbidden:  # segregation of duties: the next candidate does it
                continue
            return row.task_name, time.perf_counter() - t0
        raise RuntimeError(f"nobody may complete {row.task_name} of instance {iid}")

    # -------------------------------------------------------------- in memory
    _numbers = itertools.count(1)

    def _next_number(self, kind: str, period: str | None = None) -> str:
        """Stands in for the database-backed business numbers scripts may draw (no database here)."""
        return f"{period or 'M'}-{next(self._numbers):06d}"

    def start_memory(self, n: int):
        with runner.step_functions(next_number=self._next_number):
            return runner.start(self.bundle, self.start_data(n))

    def step_memory(self, live, data: dict | None = None) -> tuple[str, float] | None:
        ready = runner.ready_human_tasks(live)
        if not ready:
            return None
        task = ready[0]
        data = self.data_for(task["element_id"]) if data is None else data
        with runner.step_functions(next_number=self._next_number):
            t0 = time.perf_counter()
            runner.complete(live, task["id"], data)
            return task["element_id"], time.perf_counter() - t0


def run_instances(driver: ProcessDriver, mode: str, count: int, first: int, max_steps: int = 200):
    """Run `count` instances to their end; returns (steps, seconds spent in steps)."""
    steps, spent = 0, 0.0
    for n in range(first, first + count):
        handle = driver.start_persisted(n) if mode == "persisted" else driver.start_memory(n)
        step = driver.step_persisted if mode == "persisted" else driver.step_memory
        for _ in range(max_steps):
            done = step(handle)
            if done is None:
                break
            steps += 1
            spent += done[1]
    return steps, spent
