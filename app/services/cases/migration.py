"""Moving running instances to a newer version of their process: dry run, then one or many at once.

Each move runs as a step with the instance's optimistic lock (instances.run_step), rewrites the whole
stored workflow against the new version and records a `migrated` audit event with both versions.
"""
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...db import Database
from ...engine import migration as engine_migration
from ...i18n import _
from ...models import ProcessInstance, ProcessVersion
from ..audit import audit
from . import store
from ..errors import Conflict, NotFound, ServiceError
from .instances import run_step
from ..modelling.publishing import latest_version
from ..modelling.versions import ACTIVE_STATUSES, get_version

REASONS = {
    "current_removed": lambda r: _("The case is at %(step)s, which the new version no longer has.", step=r["label"]),
    "current_changed": lambda r: _("The case is at %(step)s, which the new version changes (%(attrs)s).",
                                   step=r["label"], attrs=", ".join(r.get("attributes", []))),
    "history_removed": lambda r: _("The case has passed %(step)s, which the new version no longer has.", step=r["label"]),
    "subprocess_removed": lambda r: _("The case runs sub-process %(step)s, which the new version no longer has.",
                                      step=r["label"]),
    "other_process": lambda r: _("The new version is a different process."),
    "not_newer": lambda r: _("The case already runs on this version or a newer one."),
    "not_running": lambda r: _("The case has ended."),
    "other_process_id": lambda r: _("The case belongs to another process."),
    "unloadable": lambda r: _("The stored case cannot be loaded any more; it is listed as an incident."),
}


def _reason(code: str, element_id: str = "", name: str = "", **extra) -> dict:
    info = {"code": code, "element_id": element_id, "label": f"{name} ({element_id})" if name else element_id, **extra}
    return {"code": code, "element_id": element_id, "message": REASONS[code](info)}


def _target(session: Session, process_id: str, to_version: int | None) -> ProcessVersion:
    if to_version is None:
        target = latest_version(session, process_id)
        if target is None:
            raise NotFound(_("No published process %(pid)s", pid=process_id))
        return target
    return get_version(session, process_id, to_version)


def _reasons(session: Session, instance: ProcessInstance, live, target: ProcessVersion) -> list[dict]:
    if instance.process_id != target.process_id:
        return [_reason("other_process_id")]
    if instance.status not in ACTIVE_STATUSES:
        return [_reason("not_running")]
    current = session.get(ProcessVersion, instance.version_id)
    if current.version >= target.version:
        return [_reason("not_newer")]
    blockers = engine_migration.migration_blockers(live, store.bundle_for(session, target.id))
    return [_reason(b["code"], b.get("element_id", ""), b.get("name", ""),
                    **({"attributes": b["attributes"]} if "attributes" in b else {})) for b in blockers]


def dry_run(session: Session, process_id: str, to_version: int | None = None,
            instance_ids: list[int] | None = None) -> dict:
    """Which unfinished instances of older versions can move to the target version, and why others cannot."""
    target = _target(session, process_id, to_version)
    query = select(ProcessInstance).where(ProcessInstance.process_id == process_id,
                                          ProcessInstance.status.in_(ACTIVE_STATUSES),
                                          ProcessInstance.version_id != target.id).order_by(ProcessInstance.id)
    if instance_ids:
        query = query.where(ProcessInstance.id.in_(instance_ids))
    cache = store.live_cache(session)
    result = []
    for instance in list(session.scalars(query)):
        version = session.get(ProcessVersion, instance.version_id).version
        try:
            live = store.load_live(session, instance)
        except store.Unloadable:  # listed as not movable; the other cases are still checked
            result.append({"id": instance.id, "business_key": instance.business_key, "version": version,
                           "status": instance.status, "can_migrate": False, "reasons": [_reason("unloadable")]})
            continue
        reasons = _reasons(session, instance, live, target)
        cache.put(instance.id, instance.lock_version, live)  # unchanged: keep it for the next step
        if reasons and reasons[0]["code"] == "not_newer":
            continue
        result.append({"id": instance.id, "business_key": instance.business_key, "version": version,
                       "status": instance.status, "can_migrate": not reasons, "reasons": reasons})
    return {"process_id": process_id, "to_version": target.version, "instances": result}


class MigrationRefused(Conflict):
    code = "migration_refused"


def migrate_instances(db: Database, process_id: str, instance_ids: list[int], actor: str,
                      to_version: int | None = None) -> list[dict]:
    """Move each instance if it is safe; each result says whether it moved and, if not, why."""
    if not instance_ids:
        raise ServiceError(_("Choose at least one case to migrate."))
    with db.session() as session:
        target = _target(session, process_id, to_version)
        target_id, target_no = target.id, target.version

    def step(session, instance, version, live):
        target_row = session.get(ProcessVersion, target_id)
        reasons = _reasons(session, instance, live, target_row)
        if reasons:
            raise MigrationRefused(reasons[0]["message"], reasons=reasons)
        engine_migration.migrate(live, store.bundle_for(session, target_id))
        instance.version_id = target_id
        audit.record(session, "migrated", instance_id=instance.id, actor=actor,
                     data={"process_id": process_id, "from_version": version.version, "to_version": target_no})
        return None

    results = []
    for instance_id in instance_ids:
        try:
            run_step(db, int(instance_id), step, actor=actor)
            results.append({"id": int(instance_id), "migrated": True, "to_version": target_no, "reasons": []})
        except MigrationRefused as exc:
            results.append({"id": int(instance_id), "migrated": False, "reasons": exc.details["reasons"]})
        except ServiceError as exc:
            results.append({"id": int(instance_id), "migrated": False,
                            "reasons": [{"code": exc.code, "element_id": "", "message": exc.message}]})
    return results
