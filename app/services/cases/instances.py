"""Starting instances and running steps on them with optimistic locking and short retries."""
import logging

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ... import clock
from ...db import Database
from ...engine import runner
from ...i18n import _
from ...models import ProcessInstance, ProcessVersion
from ..audit import audit
from ..customers import links as customer_links
from . import limits, linked, scriptenv, store, unique_keys
from ..errors import Conflict, NotFound, StepFailed
from .attachments import check_files, link_start_files
from ..modelling.forms import load_schema, validate_data
from ..modelling.publishing import latest_version

log = logging.getLogger(__name__)
# returned by a step that found nothing to do: the instance is not saved (e.g. timers another worker fires)
NOTHING_TO_SAVE = object()


def _is_busy(exc: OperationalError) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "deadlock" in text or "could not serialize" in text


def start_instance(db: Database, process_id: str, data: dict, actor: str | None,
                   parent_instance_id: int | None = None) -> int:
    with db.session() as session:
        iid, lock_version, live = start_in_session(session, process_id, data, actor, parent_instance_id)
        cache = store.live_cache(session)
    cache.put(iid, lock_version, live)
    return iid


def start_in_session(session: Session, process_id: str, data: dict, actor: str | None,
                     parent_instance_id: int | None = None):
    """Start an instance inside the caller's transaction; returns (id, lock version, live workflow)."""
    limits.check_case_data(data)  # a JSON object within the limits, whoever hands it in (client, message)
    version = latest_version(session, process_id)
    if version is None:
        raise NotFound(_("No published process %(pid)s", pid=process_id))
    start_form = (version.meta or {}).get("start", {}).get("form")
    schema = load_schema(version.sources[start_form]) if start_form else None
    if start_form:
        validate_data(schema, data)
        check_files(session, schema, data, starter=actor, parent_id=parent_instance_id)
    customer = customer_links.resolve_for_start(session, version, data, actor)
    started = store.step_clock()
    bundle = store.bundle_for(session, version.id)
    try:
        with scriptenv.bound(session, actor=actor):
            live = runner.start(bundle, customer_links.start_data(customer, data))
    except runner.EngineError as exc:
        raise StepFailed(_("The process could not start: %(msg)s", msg=exc.message),
                         element_id=exc.element_id) from exc
    instance = ProcessInstance(
        process_id=process_id, version_id=version.id, status="running", started_by=actor,
        started_at=clock.now(), state={}, case_data={}, summary={},
        parent_instance_id=parent_instance_id)
    session.add(instance)
    session.flush()
    customer_links.attach_case(session, customer, instance)
    audit.record(session, "instance_started", instance_id=instance.id, actor=actor,
                 data={"process_id": process_id, "version": version.version, "submitted": data})
    store.save(session, instance, live, started, actor=actor, version=store.version_info(session, version.id))
    unique_keys.check(session, instance, (version.meta or {}).get("start", {}).get("properties", {}), data, actor)
    link_start_files(session, schema, data, instance.id, actor)
    linked.start_requested(session, instance, live, started, actor, start_in_session)
    return instance.id, instance.lock_version, live


def check_not_held(instance: ProcessInstance) -> None:
    """A suspended or cancelled case takes no steps from its tasks or timers (operators' steps aside)."""
    if instance.status == "suspended":
        raise Conflict(_("The case is suspended: its tasks cannot be claimed or completed until it is resumed."),
                       code="case_suspended")
    if instance.status == "cancelled":
        raise Conflict(_("The case was cancelled."), code="case_cancelled")


def run_step(db: Database, instance_id: int | None, step, *, actor: str | None, retries: int = 5,
             operator: bool = False, locate=None, read=None):
    """Run step(session, instance, version, live) -> completed_task|None and save, retrying when another
    transaction changed the instance in between. step raises ServiceError to refuse. Only operator steps
    (services.operations) run on a suspended or cancelled case. locate(session) -> instance id finds the
    case inside the step's transaction (e.g. from the task it completes) instead of instance_id. With
    `read`, a SELECT with the bound parameter iid, its rows as the step left the case are returned instead
    of the completed task (read with the step's writes)."""
    last_error = None
    for attempt in range(retries):
        live = None
        try:
            with db.session() as session:
                if locate is not None:
                    instance_id = locate(session)
                instance = session.get(ProcessInstance, instance_id)
                if instance is None:
                    raise NotFound(_("No such case: %(id)s", id=instance_id))
                if not operator:
                    check_not_held(instance)
                version = store.version_info(session, instance.version_id)
                try:
                    live = store.load_live(session, instance)
                except store.Unloadable as exc:  # the case becomes an incident; nothing else is touched
                    session.rollback()
                    _flag_error(db, instance_id, runner.EngineError(exc.message), actor)
                    raise StepFailed(_("The step failed and was not applied: %(msg)s", msg=exc.message)) from exc
                started = store.step_clock()
                try:
                    with scriptenv.bound(session, instance_id, actor):
                        completed = step(session, instance, version, live)
                except runner.EngineError as exc:
                    live = None
                    session.rollback()
                    _flag_error(db, instance_id, exc, actor)
                    raise StepFailed(_("The step failed and was not applied: %(msg)s", msg=exc.message),
                                     element_id=exc.element_id) from exc
                if instance.version_id != version.id:  # the step moved the case to another version
                    version = store.version_info(session, instance.version_id)
                if completed is NOTHING_TO_SAVE:  # the step changed nothing: no save, same lock version
                    completed = None
                    if read is not None:
                        completed = session.connection().execute(read, {"iid": instance.id}).all()
                else:
                    rows = store.save(session, instance, live, started, actor=actor, version=version,
                                      completed_task=completed, read=read)
                    linked.start_requested(session, instance, live, started, actor, start_in_session)
                    if read is not None:
                        completed = rows
                lock_version = instance.lock_version
                cache = store.live_cache(session)
            cache.put(instance_id, lock_version, live)
            return completed
        except StaleDataError as exc:
            last_error = exc
        except OperationalError as exc:
            if not _is_busy(exc):
                raise
            last_error = exc
        log.info("instance %s changed concurrently; retry %s", instance_id, attempt + 1)
    raise Conflict(_("The case is being changed by someone else; please try again."),
                   code="concurrent_change") from last_error


def _flag_error(db: Database, instance_id: int, exc: runner.EngineError, actor):
    """Mark the instance as errored; its stored workflow state stays as it was before the step."""
    with db.session() as session:
        instance = session.get(ProcessInstance, instance_id)
        instance.status = "error"
        instance.error_message = exc.message[:2000]
        instance.error_element = exc.element_id
        replay = getattr(exc, "replay", None)  # what a retry re-runs (services.operations.control)
        audit.record(session, "error", instance_id=instance_id, actor=actor, element_id=exc.element_id,
                     data={"message": exc.message, **({"replay": replay} if replay else {})})


def get_instance(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(_("No such case: %(id)s", id=instance_id))
    return instance


def instance_dict(session: Session, instance: ProcessInstance) -> dict:
    from ...models import HumanTask, OPEN_STATES
    version = session.get(ProcessVersion, instance.version_id)
    open_tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                         HumanTask.state.in_(OPEN_STATES)))
    return {
        "id": instance.id, "process_id": instance.process_id, "version": version.version,
        "status": instance.status, "business_key": instance.business_key,
        "started_by": instance.started_by, "started_at": clock.iso(instance.started_at),
        "ended_at": clock.iso(instance.ended_at),
        "lock_version": instance.lock_version, "data": instance.case_data,
        "summary": instance.summary, "parent_instance_id": instance.parent_instance_id,
        "error": {"message": instance.error_message, "element_id": instance.error_element}
        if instance.status == "error" else None,
        "open_tasks": [{"id": t.id, "task_name": t.task_name, "title": t.title, "group": t.group_code,
                        "state": t.state, "claimed_by": t.claimed_by} for t in open_tasks],
    }
