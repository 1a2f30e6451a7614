"""Messages in: another system tells a case that something happened outside (a licence was issued, the
customer replied) - POST /api/v1/messages/{name} with correlation keys and data.

- A running case that waits for the message (intermediate catch event, boundary event or receive task
  named after the BPMN message) and matches every correlation key gets it: the data is merged into the case
  and the case moves on. Correlation keys are case-data fields (e.g. contract_no), `business_key` or
  `case_id`; they must identify one case.
- Otherwise a process whose start event catches the message starts a new case with the data.
- Otherwise the message is refused (409 no_receiver) - or, when MESSAGE_HOLD_HOURS is above 0, held and
  delivered by the background worker as soon as a matching case waits for it, until it expires.
- An Idempotency-Key makes a repeated call harmless: the same key with the same request gets the first
  answer again (nothing is delivered twice); the same key with another request is refused.
Every delivery is in the case's audit trail (event "message_received": sender, message, correlation, data).
"""
import hashlib
import json
import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ... import clock
from ...db import Database
from ...engine import messages as engine_messages
from ...i18n import _
from ...models import InboundMessage, ProcessInstance, ProcessVersion
from ...settings import number
from ..audit import audit
from ..cases import instances, store
from ..errors import Conflict, ServiceError, ValidationFailed
from ..modelling.forms import validate_data

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,119}$")
_CACHE = "message_names"
ACTIVE = ("running", "error")


class NoReceiver(Conflict):
    code = "no_receiver"


def _catalog(session: Session) -> dict[int, dict]:
    """version id -> {"process_id", "start": [...], "catch": [...]} for every published version (cached:
    versions never change)."""
    db = session.info.get("db")
    cache = db.caches.setdefault(_CACHE, {}) if db is not None else {}
    known = set(cache)
    for vid in session.scalars(select(ProcessVersion.id)):
        if vid not in known:
            version = session.get(ProcessVersion, vid)
            cache[vid] = {"process_id": version.process_id, **engine_messages.caught_messages(version.spec)}
    return cache


def receivers(session: Session, name: str) -> tuple[set[int], list[str]]:
    """Versions with an event that catches `name`, and processes whose latest version starts on it."""
    catalog = _catalog(session)
    catching = {vid for vid, info in catalog.items() if name in info["catch"]}
    latest: dict[str, int] = {}
    for vid, info in catalog.items():
        latest[info["process_id"]] = max(vid, latest.get(info["process_id"], 0))
    starting = sorted(pid for pid, vid in latest.items() if name in catalog[vid]["start"])
    return catching, starting


def check_request(name: str, correlation, data) -> tuple[dict, dict]:
    errors = {}
    if not NAME.match(name or ""):
        errors["name"] = [_("A message name starts with a letter and has letters, digits, _ . - only.")]
    if correlation is None:
        correlation = {}
    if not isinstance(correlation, dict) or not all(
            isinstance(k, str) and isinstance(v, (str, int)) and not isinstance(v, bool) for k, v in correlation.items()):
        errors["correlation"] = [_("Give the correlation as an object of names and texts or numbers.")]
    if data is None:
        data = {}
    if not isinstance(data, dict) or any(not isinstance(k, str) or k.startswith("_") for k in data):
        errors["data"] = [_("Give the data as an object; names may not start with _.")]
    if errors:
        raise ValidationFailed(_("The message is not valid."), errors)
    return correlation, data


def check_data(session: Session, version, name: str, data: dict) -> None:
    """The message's data must match the form the catching event names (property messageForm), as a person
    submitting that form would; nothing is delivered otherwise (422 with the fields at fault)."""
    form = (_catalog(session).get(version.id) or {}).get("forms", {}).get(name)
    if form:
        validate_data(version.schema(form), data)


def _matching(session: Session, versions: set[int], correlation: dict, limit: int = 3) -> list[int]:
    q = select(ProcessInstance.id).where(ProcessInstance.version_id.in_(sorted(versions)),
                                         ProcessInstance.status.in_(ACTIVE))
    for key, value in correlation.items():
        if key == "case_id":
            q = q.where(ProcessInstance.id == int(value) if str(value).isdigit() else ProcessInstance.id.is_(None))
        elif key == "business_key":
            q = q.where(ProcessInstance.business_key == str(value))
        else:
            q = q.where(ProcessInstance.case_data[key].as_string() == str(value))
    return list(session.scalars(q.order_by(ProcessInstance.id).limit(limit)))


def _request_hash(name: str, correlation: dict, data: dict) -> str:
    text = json.dumps([name, correlation, data], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _replay(db: Database, sender: str, key: str, digest: str):
    with db.session() as session:
        found = session.scalar(select(InboundMessage).where(InboundMessage.sender == sender,
                                                            InboundMessage.idempotency_key == key))
        if found is None:
            return None
        if found.request_hash != digest:
            raise Conflict(_("This Idempotency-Key was used for another request."), code="idempotency_conflict")
        return _status(found.state), {**found.answer, "replayed": True}


def _status(state: str) -> int:
    return {"started": 201, "held": 202}.get(state, 200)


def post(db: Database, sender: str, name: str, correlation, data, idempotency_key: str | None = None) -> tuple[int, dict]:
    """Deliver, start or hold; returns (HTTP status, answer)."""
    correlation, data = check_request(name, correlation, data)
    key = (idempotency_key or "").strip()[:200] or None
    digest = _request_hash(name, correlation, data)
    if key:
        replay = _replay(db, sender, key, digest)
        if replay is not None:
            return replay
    record = dict(name=name, sender=sender, idempotency_key=key, correlation=correlation, data=data,
                  request_hash=digest)
    try:
        state, answer = _dispatch(db, sender, name, correlation, data, record)
    except IntegrityError:  # the same key was used by a concurrent call, which won: answer as it did
        replay = _replay(db, sender, key, digest) if key else None
        if replay is None:
            raise
        return replay
    return _status(state), answer


def _dispatch(db: Database, sender: str, name: str, correlation: dict, data: dict, record: dict):
    with db.session() as session:
        catching, starting = receivers(session, name)
        found = _matching(session, catching, correlation) if catching and correlation else []
    if len(found) > 1:
        raise Conflict(_("The correlation matches more than one case; add keys that identify one."),
                       code="ambiguous_correlation", instance_ids=found)
    if found:
        delivered = deliver_to(db, found[0], sender, name, correlation, data, record)
        if delivered is not None:
            return "delivered", delivered
    if starting:
        if len(starting) > 1:
            raise Conflict(_("More than one process starts on this message."), code="ambiguous_correlation")
        return "started", _start(db, starting[0], sender, name, correlation, data, record)
    hours = number("MESSAGE_HOLD_HOURS")
    if hours > 0:
        return "held", _hold(db, record, hours)
    raise NoReceiver(_("No case waits for the message %(name)s with this correlation, and no process starts "
                       "on it.", name=name), message_name=name, correlation=correlation)


def _answer(state: str, name: str, instance: ProcessInstance | None, **extra) -> dict:
    return {"message": name, "state": state, "instance_id": instance.id if instance else None,
            "process_id": instance.process_id if instance else None,
            "business_key": instance.business_key if instance else None, "replayed": False, **extra}


def _remember(session: Session, record: dict | None, state: str, answer: dict, instance_id: int | None) -> None:
    if record is None:
        return
    now = clock.now()
    session.add(InboundMessage(**record, state=state, instance_id=instance_id, received_at=now,
                               delivered_at=now if state != "held" else None, answer=answer))


def deliver_to(db: Database, instance_id: int, sender: str, name: str, correlation: dict, data: dict,
               record: dict | None, held: InboundMessage | None = None) -> dict | None:
    """Deliver to one case if it waits for the message (None if it does not)."""
    result = {}

    def step(session, instance, version, live):
        if name not in engine_messages.waiting_for(live):
            return instances.NOTHING_TO_SAVE
        check_data(session, version, name, data)
        if not engine_messages.deliver(live, name, data):
            return instances.NOTHING_TO_SAVE
        audit.record(session, "message_received", instance_id=instance.id, actor=sender,
                     data={"message": name, "correlation": correlation, "data": data})
        result["answer"] = _answer("delivered", name, instance)
        _remember(session, record, "delivered", result["answer"], instance.id)
        if held is not None:
            row = session.get(InboundMessage, held.id)
            row.state, row.instance_id, row.delivered_at = "delivered", instance.id, clock.now()
            row.answer = result["answer"]
        return None

    instances.run_step(db, instance_id, step, actor=sender)
    return result.get("answer")


def _start(db: Database, process_id: str, sender: str, name: str, correlation: dict, data: dict,
           record: dict | None) -> dict:
    with db.session() as session:
        iid, _lock, live = instances.start_in_session(session, process_id, dict(data), sender)
        instance = session.get(ProcessInstance, iid)
        started = store.step_clock()
        check_data(session, store.version_info(session, instance.version_id), name, data)
        if not engine_messages.deliver(live, name, data):
            raise ServiceError(_("The process did not accept the message that starts it."), code="no_receiver")
        audit.record(session, "message_received", instance_id=iid, actor=sender,
                     data={"message": name, "correlation": correlation, "data": data})
        store.save(session, instance, live, started, actor=sender,
                   version=store.version_info(session, instance.version_id))
        answer = _answer("started", name, instance)
        _remember(session, record, "started", answer, iid)
        cache, lock_version = store.live_cache(session), instance.lock_version
    cache.put(iid, lock_version, live)
    return answer


def _hold(db: Database, record: dict, hours: float) -> dict:
    expires = clock.now() + timedelta(hours=hours)
    answer = _answer("held", record["name"], None, expires_at=clock.iso(expires))
    with db.session() as session:
        session.add(InboundMessage(**record, state="held", received_at=clock.now(), expires_at=expires,
                                   answer=answer))
    return answer


def deliver_held(db: Database, limit: int = 100) -> int:
    """Background job: deliver held messages whose case now waits; expire the old ones."""
    now = clock.now()
    with db.session() as session:
        held = list(session.scalars(select(InboundMessage).where(InboundMessage.state == "held")
                                    .order_by(InboundMessage.id).limit(limit)))
    delivered = 0
    for message in held:
        if message.expires_at is not None and message.expires_at <= now:
            with db.session() as session:
                session.get(InboundMessage, message.id).state = "expired"
            continue
        with db.session() as session:
            catching, _starting = receivers(session, message.name)
            found = _matching(session, catching, message.correlation) if catching and message.correlation else []
        if len(found) == 1:
            if deliver_to(db, found[0], message.sender, message.name, message.correlation, message.data,
                          None, held=message) is not None:
                delivered += 1
    return delivered
