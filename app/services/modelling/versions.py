"""Published versions for process owners: overview with running instances, files, and what changed."""
import difflib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ... import clock
from ...engine.migration import spec_changes
from ...i18n import _
from ...models import ModelDraft, ProcessInstance, ProcessVersion
from ..cases import store
from ..errors import NotFound

ACTIVE_STATUSES = ("running", "error")


def overview(session: Session) -> list[dict]:
    """Every process with its versions: publisher, time, number of unfinished instances; drafts waiting."""
    running = dict(session.execute(
        select(ProcessInstance.version_id, func.count()).where(ProcessInstance.status.in_(ACTIVE_STATUSES))
        .group_by(ProcessInstance.version_id)).all())
    drafts = dict(session.execute(select(ModelDraft.process_id, func.count()).group_by(ModelDraft.process_id)).all())
    out: dict[str, dict] = {}
    for v in session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id, ProcessVersion.version)):
        entry = out.setdefault(v.process_id, {"process_id": v.process_id, "versions": [],
                                              "drafts": drafts.get(v.process_id, 0)})
        entry["name"], entry["latest_version"] = v.name, v.version
        entry["versions"].append(version_dict(v, running.get(v.id, 0)))
    for entry in out.values():
        entry["versions"].reverse()  # newest first
    return list(out.values())


def overview_of(session: Session, process_id: str) -> dict:
    for entry in overview(session):
        if entry["process_id"] == process_id:
            return entry
    raise NotFound(_("No published process %(pid)s", pid=process_id))


def version_dict(v: ProcessVersion, running: int | None = None) -> dict:
    return {"version": v.version, "name": v.name, "published_by": v.published_by,
            "published_at": clock.iso(v.published_at), "files": sorted(v.sources), "running": running}


def get_version(session: Session, process_id: str, version: int) -> ProcessVersion:
    row = session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                      ProcessVersion.version == version))
    if row is None:
        raise NotFound(_("No version %(v)s of process %(pid)s", v=version, pid=process_id))
    return row


def version_file(session: Session, process_id: str, version: int, file_name: str) -> str:
    sources = get_version(session, process_id, version).sources
    if file_name not in sources:
        raise NotFound(_("Version %(v)s has no file %(name)s", v=version, name=file_name))
    return sources[file_name]


def compare(session: Session, process_id: str, old: int, new: int) -> dict:
    """Elements added, removed and changed between two versions, and a line diff of every changed file."""
    before, after = get_version(session, process_id, old), get_version(session, process_id, new)
    elements = spec_changes(store.bundle_for(session, before.id), store.bundle_for(session, after.id))
    files = {"added": sorted(set(after.sources) - set(before.sources)),
             "removed": sorted(set(before.sources) - set(after.sources)), "changed": []}
    for name in sorted(set(before.sources) & set(after.sources)):
        if before.sources[name] != after.sources[name]:
            lines = difflib.unified_diff(before.sources[name].splitlines(), after.sources[name].splitlines(),
                                         f"v{old}/{name}", f"v{new}/{name}", lineterm="", n=2)
            files["changed"].append({"file": name, "diff": "\n".join(lines)})
    return {"process_id": process_id, "from": old, "to": new, "elements": elements, "files": files}
