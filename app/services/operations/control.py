"""Case control for operators: retry or skip a failed step, correct case data, suspend and resume, cancel,
and move a case to another element of its version (with a dry run).

Who: the `admin` role, and process owners for the processes they own. Process ownership is not recorded
per process in this product, so every process owner owns every process. Staff and auditors are refused.

Every action runs as a step on the case (instances.run_step: the case's optimistic lock, short retries) and
is written to the audit trail with the actor and the reason. A retry re-runs what failed: the task
completion that failed (with the data the user submitted, plus any correction an operator made since) or
the engine's run of the case (timers that fell due); a skip does the same but marks the failing element
done without running it.
"""
from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import clock
from ...db import Database
from ...engine import budget, operations as engine_ops, runner
from ...i18n import _
from ...models import AuditEvent, HumanTask, OPEN_STATES, ProcessInstance, User
from ..audit import audit
from ..cases import scriptenv, store
from ..cases import timers as case_timers
from ..cases.instances import NOTHING_TO_SAVE, get_instance, run_step
from ..errors import Conflict, Forbidden, ServiceError

OPERATOR_ROLES = ("admin", "process_owner")
CONTROLLABLE = ("running", "error", "suspended")
MAX_REASON = 2000


def may_operate(user: User, process_id: str | None = None) -> bool:
    """Administrators everything; process owners the processes they own (all of them: see module doc)."""
    return any(user.has_role(r) for r in OPERATOR_ROLES)


def check_operator(user: User, process_id: str | None = None) -> None:
    if not may_operate(user, process_id):
        raise Forbidden(_("Only administrators and process owners may control cases."), code="not_operator")


def _reason(reason, required: bool = True) -> str | None:
    if reason is not None and not isinstance(reason, str):
        raise ServiceError(_("The reason must be a text."), code="reason_required")
    text = (reason or "").strip()
    if required and not text:
        raise ServiceError(_("Give a reason: it is kept in the case's audit trail."), code="reason_required")
    return text[:MAX_REASON] or None


def _require(instance: ProcessInstance, statuses: tuple, action: str) -> None:
    if instance.status not in statuses:
        messages = {
            "completed": _("The case has ended; %(action)s is not possible.", action=action),
            "cancelled": _("The case was cancelled; %(action)s is not possible.", action=action),
            "suspended": _("The case is suspended; resume it first."),
            "running": _("The case is not in error; there is nothing to %(action)s.", action=action),
            "error": _("The case is in error; retry or skip the failed step first."),
        }
        raise Conflict(messages.get(instance.status, _("Not possible in the case's current state.")),
                       code="wrong_state", status=instance.status)


def _operate(db: Database, user: User, instance_id: int, step):
    """Check the role on the case's process, then run the step with the case's lock."""
    with db.session() as session:
        check_operator(user, get_instance(session, instance_id).process_id)
    return run_step(db, instance_id, step, actor=user.username, operator=True)


# ---- failed steps: retry, skip -----------------------------------------------------------------

def _last_error(session: Session, instance_id: int) -> AuditEvent | None:
    return session.scalar(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                   AuditEvent.event_type == "error")
                          .order_by(AuditEvent.id.desc()).limit(1))


def _corrections_since(session: Session, instance_id: int, event_id: int) -> dict:
    """Fields operators corrected after the failure: they win over what the user submitted."""
    fixed = {}
    for event in session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                          AuditEvent.event_type == "data_edited",
                                                          AuditEvent.id > event_id).order_by(AuditEvent.id)):
        fixed.update({k: v[1] for k, v in ((event.data or {}).get("changes") or {}).items()})
    return fixed


def _rerun(session: Session, instance: ProcessInstance, live, actor: str, skip: str | None) -> dict:
    """Re-run the failed step (see module doc); returns what was re-run."""
    error = _last_error(session, instance.id)
    replay = ((error.data or {}).get("replay") if error is not None else None) or {}
    ready = {t["id"] for t in runner.ready_human_tasks(live)}
    task_id = replay.get("task_id")

    counted = {"skipped": 0}

    def run(action):
        if skip:
            counted["skipped"] += engine_ops.run_skipping(live, action, skip)
        else:
            action()

    try:
        if task_id and task_id in ready:
            data = {**(replay.get("data") or {}), **_corrections_since(session, instance.id, error.id)}
            run(lambda: runner.complete(live, task_id, data))
            row = session.get(HumanTask, task_id)
            if row is not None and row.state in OPEN_STATES:
                row.state, row.completed_at = "completed", clock.now()
                row.completed_by = replay.get("actor") or actor
                row.claimed_by = row.claimed_by or row.completed_by
            audit.record(session, "completed", instance_id=instance.id, actor=replay.get("actor") or actor,
                         task_id=task_id, element_id=row.task_name if row is not None else None,
                         data={"submitted": replay.get("submitted") or {}, "rerun_by": actor})
            return {"rerun": "task", "task_id": task_id, "skipped": counted["skipped"]}
        fired = case_timers.fire_in_step(session, instance, live, lambda lv: run(lambda: runner.advance(lv)),
                                         claimed_only=False)
        return {"rerun": "engine", "timers_fired": fired or [], "skipped": counted["skipped"]}
    except runner.EngineError as exc:
        exc.replay = replay or None  # a later retry still knows what to re-run
        raise


def can_skip(session: Session, instance: ProcessInstance) -> bool:
    """Whether the case's failed element is an automated task (what skip accepts)."""
    return instance.status == "error" and bool(instance.error_element) and \
        engine_ops.skippable(store.bundle_for(session, instance.version_id), instance.error_element)


def retry(db: Database, user: User, instance_id: int, reason: str | None = None) -> dict:
    """Run the failed step again, after its cause was fixed (data corrected, a new version migrated in)."""
    check_operator(user)
    reason = _reason(reason, required=False)
    result = {}

    def step(session, instance, version, live):
        _require(instance, ("error",), _("retry"))
        result.update(_rerun(session, instance, live, user.username, skip=None))
        audit.record(session, "retried", instance_id=instance.id, actor=user.username,
                     element_id=instance.error_element,
                     data={"reason": reason, "message": instance.error_message, **result})
        return None

    _operate(db, user, instance_id, step)
    return result


def skip(db: Database, user: User, instance_id: int, reason: str | None = None) -> dict:
    """Mark the failed automated step done without running it, and go on."""
    check_operator(user)
    reason = _reason(reason)
    result = {}

    def step(session, instance, version, live):
        _require(instance, ("error",), _("skip"))
        element = instance.error_element or ""
        if not element or not engine_ops.skippable(live.bundle, element):
            raise Conflict(_("Only a failed automated task can be skipped; correct the data and retry instead."),
                           code="not_skippable")
        result.update(_rerun(session, instance, live, user.username, skip=element))
        audit.record(session, "skipped", instance_id=instance.id, actor=user.username, element_id=element,
                     data={"reason": reason, "message": instance.error_message, **result})
        return None

    _operate(db, user, instance_id, step)
    return result


def retry_group(db: Database, user: User, instance_ids: list[int], reason: str | None = None) -> list[dict]:
    """Retry several cases (a group of incidents); each result says whether it ran through."""
    check_operator(user)
    results = []
    for instance_id in instance_ids:
        try:
            detail = retry(db, user, int(instance_id), reason)
            results.append({"id": int(instance_id), "ok": True, **detail})
        except ServiceError as exc:
            results.append({"id": int(instance_id), "ok": False, "code": exc.code, "message": exc.message})
    return results


# ---- case data --------------------------------------------------------------------------------

def edit_data(db: Database, user: User, instance_id: int, changes, reason) -> dict:
    """Set case-data fields (before/after and the reason in the audit trail). The case keeps its status."""
    check_operator(user)
    reason = _reason(reason)
    if not isinstance(changes, dict) or not changes:
        raise ServiceError(_("Send the fields to change as a JSON object in \"data\"."), code="bad_data")
    try:
        budget.check_data(changes, what="data")
    except budget.DataRefused as exc:
        raise ServiceError(_("The data cannot be stored: %(msg)s", msg=exc.message), field=exc.field,
                           code="bad_data")
    result = {}

    def step(session, instance, version, live):
        _require(instance, CONTROLLABLE, _("change the data"))
        current = instance.case_data or {}
        diff = {k: [current.get(k), v] for k, v in changes.items() if current.get(k) != v}
        if not diff:
            result["changes"] = {}
            return NOTHING_TO_SAVE
        try:
            budget.check_data({**current, **changes})
        except budget.DataRefused as exc:
            raise ServiceError(_("The data cannot be stored: %(msg)s", msg=exc.message), field=exc.field,
                               code="bad_data")
        engine_ops.set_data(live, changes)
        kept = instance.status, instance.error_message, instance.error_element
        store.save(session, instance, live, store.step_clock(), actor=user.username, version=version)
        instance.status, instance.error_message, instance.error_element = kept  # an edit fixes nothing yet
        audit.record(session, "data_edited", instance_id=instance.id, actor=user.username,
                     data={"reason": reason, "changes": diff})
        session.flush()
        result["changes"] = diff
        return NOTHING_TO_SAVE

    _operate(db, user, instance_id, step)
    return result


# ---- suspend, resume ---------------------------------------------------------------------------

def suspend(db: Database, user: User, instance_id: int, reason=None) -> None:
    """Tasks stay visible but cannot be claimed or completed; timers wait until the case is resumed."""
    check_operator(user)
    reason = _reason(reason, required=False)

    def step(session, instance, version, live):
        _require(instance, ("running", "error"), _("suspend"))
        audit.record(session, "suspended", instance_id=instance.id, actor=user.username,
                     data={"reason": reason, "previous": instance.status})
        instance.status = "suspended"
        session.flush()
        return NOTHING_TO_SAVE

    _operate(db, user, instance_id, step)


def resume(db: Database, user: User, instance_id: int, reason=None) -> dict:
    """Back to where it was; timers that fell due meanwhile fire now, once each."""
    check_operator(user)
    reason = _reason(reason, required=False)
    back = {}

    def step(session, instance, version, live):
        _require(instance, ("suspended",), _("resume"))
        instance.status = "error" if instance.error_message else "running"
        back["status"] = instance.status
        audit.record(session, "resumed", instance_id=instance.id, actor=user.username,
                     data={"reason": reason, "status": instance.status})
        session.flush()
        return NOTHING_TO_SAVE

    _operate(db, user, instance_id, step)
    fired = []
    if back["status"] == "running":
        try:
            fired = case_timers.fire_instance(db, instance_id)
        except ServiceError as exc:  # the timer's step failed: the case is now an incident, resumed anyway
            return {"status": "error", "timers_fired": [], "message": exc.message}
    return {"status": back["status"], "timers_fired": fired}


# ---- cancel -----------------------------------------------------------------------------------

def open_children(session: Session, instance_id: int) -> list[ProcessInstance]:
    return list(session.scalars(select(ProcessInstance).where(
        ProcessInstance.parent_instance_id == instance_id, ProcessInstance.status.in_(CONTROLLABLE))
        .order_by(ProcessInstance.id)))


def cancel(db: Database, user: User, instance_id: int, reason, children=None) -> dict:
    """End the case: open tasks cancelled, timers removed. `children`: True for every open linked child
    case, or a list of their ids; the others are returned as still open (offered for cancellation)."""
    check_operator(user)
    reason = _reason(reason)

    def step(session, instance, version, live):
        _require(instance, CONTROLLABLE, _("cancel"))
        engine_ops.cancel(live)
        audit.record(session, "instance_cancelled", instance_id=instance.id, actor=user.username,
                     data={"reason": reason, "previous": instance.status})
        instance.status, instance.ended_at = "cancelled", clock.now()
        return None

    _operate(db, user, instance_id, step)
    with db.session() as session:
        offered = [c.id for c in open_children(session, instance_id)]
    chosen = offered if children is True else [int(c) for c in (children or []) if int(c) in offered]
    cancelled_children = []
    for child_id in chosen:
        cancel(db, user, child_id, _("Parent case %(id)s cancelled: %(reason)s", id=instance_id, reason=reason),
               children=True)
        cancelled_children.append(child_id)
    with db.session() as session:
        still = [{"id": c.id, "process_id": c.process_id, "business_key": c.business_key, "status": c.status}
                 for c in open_children(session, instance_id)]
    return {"status": "cancelled", "children_cancelled": cancelled_children, "open_children": still}


# ---- move -------------------------------------------------------------------------------------

def _open_human(session: Session, instance_id: int) -> list[dict]:
    return [{"element_id": t.task_name, "title": t.title} for t in session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state.in_(OPEN_STATES)))]


def _move_effect(version, before: list[dict], live) -> dict:
    after = engine_ops.human_tasks(live)
    before_ids = {t["element_id"] for t in before}
    catalog = version.task_catalog
    return {"cancelled": before,
            "created": [{"element_id": t["element_id"],
                         "title": (catalog.get(t["element_id"]) or {}).get("title") or t["element_id"]}
                        for t in after],
            "unchanged": sorted(before_ids & {t["element_id"] for t in after}),
            "ended": runner.is_completed(live)}


def move_targets(db: Database, user: User, instance_id: int) -> list[dict]:
    with db.session() as session:
        instance = get_instance(session, instance_id)
        check_operator(user, instance.process_id)
        return engine_ops.move_targets(store.bundle_for(session, instance.version_id))


def _not_possible(exc: engine_ops.NotPossible):
    if exc.code == "not_a_target":
        return ServiceError(_("A case can only be moved to a task, a waiting event or an end event of its "
                              "main process."), code="bad_target")
    return Conflict(_("The case has no position to move from."), code="bad_target")


def move(db: Database, user: User, instance_id: int, element_id: str, reason=None, dry_run: bool = False) -> dict:
    """Cancel what the case waits for and continue at element_id. The dry run says which tasks would be
    cancelled and which created, and changes nothing."""
    check_operator(user)
    if not isinstance(element_id, str) or not element_id:
        raise ServiceError(_("Choose the element to move the case to."), code="bad_target")
    if dry_run:
        return _move_dry_run(db, user, instance_id, element_id)
    reason = _reason(reason)
    result = {}

    def step(session, instance, version, live):
        _require(instance, ("running", "error"), _("move"))
        before = _open_human(session, instance.id)
        try:
            engine_ops.move(live, element_id)
        except engine_ops.NotPossible as exc:
            raise _not_possible(exc)
        except runner.EngineError as exc:  # refused, not an incident: the case stays where it was
            raise Conflict(_("The move failed and was not applied: %(msg)s", msg=exc.message), code="move_failed")
        result.update(_move_effect(version, before, live))
        audit.record(session, "moved", instance_id=instance.id, actor=user.username, element_id=element_id,
                     data={"reason": reason, "cancelled": [t["element_id"] for t in result["cancelled"]],
                           "created": [t["element_id"] for t in result["created"]]})
        return None

    _operate(db, user, instance_id, step)
    return {"dry_run": False, **result}


def _move_dry_run(db: Database, user: User, instance_id: int, element_id: str) -> dict:
    with db.session() as session:
        instance = get_instance(session, instance_id)
        check_operator(user, instance.process_id)
        _require(instance, ("running", "error"), _("move"))
        version = store.version_info(session, instance.version_id)
        before = _open_human(session, instance.id)
        live = store.load_live(session, instance)  # a private copy: never saved nor cached
        try:
            with scriptenv.bound(session, instance.id, user.username):
                engine_ops.move(live, element_id)
        except engine_ops.NotPossible as exc:
            raise _not_possible(exc)
        except runner.EngineError as exc:
            return {"dry_run": True, "possible": False, "cancelled": before, "created": [],
                    "message": _("The move would fail: %(msg)s", msg=exc.message)}
        finally:
            session.rollback()  # whatever the diagram's functions wrote on the way is not kept
        return {"dry_run": True, "possible": True, **_move_effect(version, before, live)}
