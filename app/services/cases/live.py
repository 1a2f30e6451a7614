"""Loading a case's live workflow: published versions read once per process (they are immutable), built
specs and live workflows cached between steps (a live workflow is checked out while in use), the lane
index re-read at most every 30 s."""
import threading
import time
from collections import OrderedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...engine import runner, state
from ...engine.specs import SpecCache
from ...models import ProcessInstance, ProcessVersion, WorkflowTask
from ..modelling.forms import load_schema
from ..organisation.org import group_index


class LiveCache:
    """instance id -> (lock_version, live workflow). get() removes the entry: one user at a time."""

    def __init__(self, size: int = 256):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: int, lock_version: int):
        with self._lock:
            item = self._items.pop(instance_id, None)
        if item is not None and item[0] == lock_version:
            return item[1]
        return None

    def put(self, instance_id: int, lock_version: int, live) -> None:
        with self._lock:
            self._items[instance_id] = (lock_version, live)
            self._items.move_to_end(instance_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self):
        with self._lock:
            self._items.clear()


def live_cache(session: Session) -> LiveCache:
    return session.info["db"].caches.setdefault("live", LiveCache())


class VersionInfo:
    """What a step needs of a published version, read once per process (versions are immutable)."""

    def __init__(self, version: ProcessVersion):
        self.id, self.process_id, self.version = version.id, version.process_id, version.version
        self.task_catalog, self.meta = version.task_catalog, version.meta or {}
        self._forms = {name: text for name, text in version.sources.items() if name.endswith(".json")}
        self._schemas: dict = {}

    def schema(self, form_ref: str) -> dict:
        if form_ref not in self._schemas:
            self._schemas[form_ref] = load_schema(self._forms[form_ref])
        return self._schemas[form_ref]


def version_info(session: Session, version_id: int) -> VersionInfo:
    cache = session.info["db"].caches.setdefault("versions", {})
    info = cache.get(version_id)
    if info is None:
        info = cache[version_id] = VersionInfo(session.get(ProcessVersion, version_id))
    return info


_GROUP_INDEX_TTL = 30.0


def cached_group_index(session: Session) -> dict[str, str]:
    """The lane-name index, re-read at most every 30 s (groups change rarely)."""
    caches = session.info["db"].caches
    stamp, index = caches.get("groups", (0.0, None))
    if index is None or time.monotonic() - stamp > _GROUP_INDEX_TTL:
        index = group_index(session)
        caches["groups"] = (time.monotonic(), index)
    return index


def bundle_for(session: Session, version_id: int):
    def loader():
        version = session.get(ProcessVersion, version_id)
        return version.process_id, version.spec
    return session.info["db"].caches.setdefault("spec", SpecCache()).get(version_id, loader)


def load_live(session: Session, instance: ProcessInstance):
    live = live_cache(session).take(instance.id, instance.lock_version)
    if live is not None:
        return live
    rows = session.execute(select(WorkflowTask.task_id, WorkflowTask.workflow_key, WorkflowTask.spec_name,
                                  WorkflowTask.state, WorkflowTask.payload)
                           .where(WorkflowTask.instance_id == instance.id, WorkflowTask.archived.is_(False))).all()
    task_rows = [state.TaskRow(r.task_id, r.workflow_key, r.spec_name, r.state, r.payload) for r in rows]
    try:
        return state.restore(bundle_for(session, instance.version_id), instance.state, task_rows,
                             runner.SCRIPT_ENGINE)
    except Exception as exc:  # noqa: BLE001 - damaged or foreign stored state of any kind
        raise Unloadable(f"the stored case cannot be loaded any more ({exc.__class__.__name__})") from exc


class Unloadable(Exception):
    """The stored workflow of a case cannot be rebuilt (damaged rows, data the engine cannot read): the case
    is shown as an incident; lists, pages and migration batches go on with the other cases."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
