"""Events out: webhook subscriptions, deliveries written with the event, signed sending with retries.

An administrator registers an endpoint (HTTPS; plain HTTP only to this machine, for tests and local tools)
for some event types. Every change to a case goes through the audit trail (services/audit/audit.py); when a
transaction with audit events commits, `_observe` adds one delivery per matching subscription to the
outbox table `webhook_deliveries` in the same transaction - a delivery exists exactly when its event does.

The background worker (embedded thread or Celery, app/background.py) sends due deliveries: a JSON body
signed per the Standard Webhooks specification (headers webhook-id, webhook-timestamp and
webhook-signature = HMAC-SHA256 over "id.timestamp.body" with the subscription's secret; receivers refuse
old timestamps against replays, and use webhook-id to drop repeats). A failed try is retried with
exponential backoff (WEBHOOK_FIRST_RETRY_SECONDS, doubling) for WEBHOOK_RETRY_HOURS (a day), then the
delivery is marked failed; every try is logged; an administrator can send a delivery again.

The payload carries labels beside the codes, in the subscription's language, and a ready-made sentence
(`text`) a chat bot can post as it is."""
import ipaddress
import json
import logging
import secrets
import time
import uuid
from base64 import b64encode
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import requests
from flask import has_app_context
from flask_babel import force_locale
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from standardwebhooks import Webhook

from ... import clock
from ...db import Database
from ...i18n import _
from ...models import HumanTask, ProcessInstance, WebhookAttempt, WebhookDelivery, WebhookSubscription
from ...settings import number
from ..audit import admin_audit, audit
from ..errors import NotFound, ValidationFailed
from ..labels import Labels, status_labels

log = logging.getLogger(__name__)

# audit event type -> webhook event type
EVENTS = {
    "task_ready": "task.ready", "completed": "task.completed", "instance_started": "case.started",
    "instance_completed": "case.completed", "instance_cancelled": "case.cancelled", "escalated": "escalated",
    "error": "incident",
}
EVENT_TYPES = tuple(dict.fromkeys(EVENTS.values()))
LANGUAGES = ("zh", "en")
_CACHE = "webhook_subscriptions"
_CACHE_SECONDS = 5.0  # other processes see a new or changed subscription within this time
MAX_PARALLEL = 8


def event_type_labels() -> dict[str, str]:
    return {"task.ready": _("Task ready"), "task.completed": _("Task completed"), "case.started": _("Case started"),
            "case.completed": _("Case completed"), "case.cancelled": _("Case cancelled"),
            "escalated": _("Escalated"), "incident": _("Incident (step failed)")}


# --- subscriptions --------------------------------------------------------------------------------------

def _loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    url = str(url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 1000:
        raise ValidationFailed(_("Some fields are not valid."), {"url": [_("Enter the receiver's address, "
                                                                          "https://…")]})
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ValidationFailed(_("Some fields are not valid."), {"url": [
            _("Use HTTPS; plain HTTP is allowed only to this machine (localhost).")]})
    if parts.username or parts.password:
        raise ValidationFailed(_("Some fields are not valid."), {"url": [_("Do not put credentials in the address.")]})
    return url


def _check_types(event_types) -> list[str]:
    if not isinstance(event_types, list) or not event_types or not all(t in EVENT_TYPES for t in event_types):
        raise ValidationFailed(_("Some fields are not valid."), {"event_types": [
            _("Choose one or more of: %(types)s", types=", ".join(EVENT_TYPES))]})
    return sorted(set(event_types), key=EVENT_TYPES.index)


def create_subscription(session: Session, actor: str, *, name: str, url: str, event_types,
                        language: str = "zh") -> WebhookSubscription:
    name = str(name or "").strip()[:120]
    if not name:
        raise ValidationFailed(_("Some fields are not valid."), {"name": [_("Give the receiver a name.")]})
    if language not in LANGUAGES:
        raise ValidationFailed(_("Some fields are not valid."), {"language": [_("Choose zh or en.")]})
    now = clock.now()
    sub = WebhookSubscription(name=name, url=check_url(url), event_types=_check_types(event_types),
                              secret="whsec_" + b64encode(secrets.token_bytes(32)).decode("ascii"),
                              language=language, active=True, created_by=actor, created_at=now, updated_at=now)
    session.add(sub)
    session.flush()
    admin_audit.record(session, actor=actor, action="webhook_registered", object_type="webhook",
                       object_id=str(sub.id), after={"name": sub.name, "url": sub.url,
                                                     "event_types": sub.event_types, "language": language})
    _forget(session)
    return sub


def set_active(session: Session, actor: str, subscription_id: int, active: bool) -> WebhookSubscription:
    sub = get_subscription(session, subscription_id)
    if sub.active != active:
        sub.active, sub.updated_at = active, clock.now()
        admin_audit.record(session, actor=actor, action="webhook_enabled" if active else "webhook_disabled",
                           object_type="webhook", object_id=str(sub.id), before={"active": not active},
                           after={"active": active})
        _forget(session)
    return sub


def get_subscription(session: Session, subscription_id: int) -> WebhookSubscription:
    sub = session.get(WebhookSubscription, subscription_id)
    if sub is None:
        raise NotFound(_("No such webhook: %(id)s", id=subscription_id))
    return sub


def list_subscriptions(session: Session) -> list[WebhookSubscription]:
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def subscription_dict(sub: WebhookSubscription, with_secret: bool = False) -> dict:
    out = {"id": sub.id, "name": sub.name, "url": sub.url, "event_types": sub.event_types,
           "language": sub.language, "active": sub.active, "created_by": sub.created_by,
           "created_at": clock.iso(sub.created_at)}
    if with_secret:
        out["secret"] = sub.secret
    return out


def _forget(session: Session) -> None:
    db = session.info.get("db")
    if db is not None:
        db.caches.pop(_CACHE, None)


def _active(session: Session) -> list[tuple[int, list, str]]:
    """(id, event types, language) of the active subscriptions, cached a few seconds per database."""
    db = session.info.get("db")
    cached = db.caches.get(_CACHE) if db is not None else None
    if cached is not None and time.monotonic() - cached[0] < _CACHE_SECONDS:
        return cached[1]
    subs = [(s.id, list(s.event_types or []), s.language) for s in session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.active.is_(True)))]
    if db is not None:
        db.caches[_CACHE] = (time.monotonic(), subs)
    return subs


# --- deliveries written with the event ------------------------------------------------------------------

def _observe(session: Session, events: list) -> None:
    wanted = [(e, EVENTS[e.event_type]) for e in events if e.event_type in EVENTS]
    if not wanted:
        return
    subs = _active(session)
    if not subs:
        return
    now = clock.now()
    for event, kind in wanted:
        payloads: dict[str, dict] = {}
        for sub_id, types, language in subs:
            if kind not in types:
                continue
            if language not in payloads:
                payloads[language] = build_payload(session, event, kind, language)
            message_id = "msg_" + uuid.uuid4().hex
            session.add(WebhookDelivery(subscription_id=sub_id, message_id=message_id, event_type=kind,
                                        instance_id=event.instance_id,
                                        payload={**payloads[language], "id": message_id}, state="pending",
                                        attempts=0, next_attempt_at=now, created_at=now))


audit.OBSERVERS.append(_observe)


def _translated(language: str):
    return force_locale(language) if has_app_context() else _NoLocale()


class _NoLocale:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def build_payload(session: Session, event, kind: str, language: str) -> dict:
    """What a receiver gets: codes and, beside them, labels in the subscription's language."""
    with _translated(language):
        names = Labels(session, language)
        instance = session.get(ProcessInstance, event.instance_id) if event.instance_id else None
        case = task = None
        if instance is not None:
            case = {"id": instance.id, "process_id": instance.process_id,
                    "process_name": names.process(instance.process_id, instance.version_id),
                    "business_key": instance.business_key, "customer": (instance.summary or {}).get("customer"),
                    "status": instance.status, "status_label": status_labels().get(instance.status, instance.status),
                    "started_by": instance.started_by, "started_by_name": names.person(instance.started_by),
                    "started_at": clock.iso(instance.started_at), "path": f"/cases/{instance.id}"}
        row = session.get(HumanTask, event.task_id) if event.task_id else None
        if row is not None:
            version_id = instance.version_id if instance is not None else None
            task = {"id": row.id, "element_id": row.task_name,
                    "title": names.element(version_id, row.task_name, row.title), "group": row.group_code,
                    "group_name": names.group(row.group_code) if row.group_code else None, "state": row.state,
                    "due_at": clock.iso(row.due_at), "claimed_by": row.claimed_by,
                    "completed_by": row.completed_by, "path": f"/tasks/{row.id}"}
        step = names.element(instance.version_id if instance else None, event.element_id, event.element_id or "") \
            if event.element_id else None
        payload = {"type": kind, "type_label": event_type_labels()[kind], "occurred_at": clock.iso(event.at),
                   "actor": event.actor, "actor_name": names.person(event.actor) if event.actor else None,
                   "case": case, "task": task, "step": step}
        if kind == "escalated":
            payload["reason"] = (event.data or {}).get("reason")
        payload["text"] = _sentence(kind, payload)
    return payload


def _sentence(kind: str, p: dict) -> str:
    case = p.get("case") or {}
    what = " ".join(x for x in (case.get("process_name"), case.get("business_key")
                                or (_("case %(id)s", id=case["id"]) if case.get("id") else "")) if x)
    task = p.get("task") or {}
    title = task.get("title") or p.get("step") or ""
    who = p.get("actor_name") or p.get("actor") or _("the system")
    texts = {
        "task.ready": _("%(case)s: “%(task)s” is waiting for %(group)s.", case=what, task=title,
                        group=task.get("group_name") or "-"),
        "task.completed": _("%(case)s: %(who)s completed “%(task)s”.", case=what, who=who, task=title),
        "case.started": _("%(case)s was started by %(who)s.", case=what, who=who),
        "case.completed": _("%(case)s is closed.", case=what),
        "case.cancelled": _("%(case)s was cancelled.", case=what),
        "escalated": _("%(case)s: “%(task)s” was escalated.", case=what, task=title),
        "incident": _("%(case)s stopped at “%(step)s” because of an error.", case=what, step=title),
    }
    return texts[kind]


# --- sending --------------------------------------------------------------------------------------------

def signed_request(sub: WebhookSubscription, delivery: WebhookDelivery, at: datetime) -> tuple[bytes, dict]:
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    signature = Webhook(sub.secret).sign(delivery.message_id, at, body)
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "workflow-inbox-webhooks/1",
               "webhook-id": delivery.message_id,
               "webhook-timestamp": str(int(at.replace(tzinfo=timezone.utc).timestamp())),
               "webhook-signature": signature}
    return body.encode("utf-8"), headers


def next_retry(delivery: WebhookDelivery, now: datetime, first_seconds: float, hours: float) -> datetime | None:
    """When to try again after `delivery.attempts` failed tries (doubling delays from first_seconds), or
    None once the retry window (`hours` from the event, WEBHOOK_RETRY_HOURS) is over."""
    delay = first_seconds * 2 ** max(0, delivery.attempts - 1)
    when = now + timedelta(seconds=min(delay, 6 * 3600))
    if when > delivery.created_at + timedelta(hours=hours):
        return None
    return when


def deliver_due(db: Database, limit: int = 50) -> int:
    """Send the deliveries that are due (several at once, each waiting at most WEBHOOK_TIMEOUT_SECONDS);
    returns how many were delivered. Rows are claimed with a lease so several workers can run this."""
    now = clock.now()
    timeout = number("WEBHOOK_TIMEOUT_SECONDS")  # read here: the sending threads have no app context
    window = (number("WEBHOOK_FIRST_RETRY_SECONDS"), number("WEBHOOK_RETRY_HOURS"))
    with db.session() as session:
        query = (select(WebhookDelivery.id).where(WebhookDelivery.state == "pending",
                                                  WebhookDelivery.next_attempt_at <= now)
                 .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        ids = list(session.scalars(query))
        if ids:  # the lease: nobody else takes them while they are being sent
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                            .values(next_attempt_at=now + timedelta(seconds=timeout + 60)))
    if not ids:
        return 0
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(ids))) as pool:
        return sum(pool.map(lambda i: send(db, i, timeout=timeout, window=window), ids))


def send(db: Database, delivery_id: int, requested_by: str | None = None, *, timeout: float | None = None,
         window: tuple[float, float] | None = None) -> bool:
    """One try of one delivery; records the attempt and schedules the next one. True when delivered."""
    timeout = number("WEBHOOK_TIMEOUT_SECONDS") if timeout is None else timeout
    window = window or (number("WEBHOOK_FIRST_RETRY_SECONDS"), number("WEBHOOK_RETRY_HOURS"))
    with db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        sub = session.get(WebhookSubscription, delivery.subscription_id) if delivery else None
        if delivery is None or sub is None:
            return False
        url = sub.url
        # the receiver checks the timestamp against its own clock: the real time, not the product clock
        body, headers = signed_request(sub, delivery, datetime.now(timezone.utc).replace(tzinfo=None))
    started = time.monotonic()
    status, error = None, None
    try:
        response = requests.post(url, data=body, headers=headers, allow_redirects=False,
                                 timeout=(min(5.0, timeout), timeout))
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}: {response.text[:200]}"
    except requests.Timeout:
        error = _("No answer within %(s)s seconds.", s=f"{timeout:g}")
    except requests.RequestException as exc:
        error = f"{exc.__class__.__name__}: {str(exc)[:300]}"
    elapsed = int((time.monotonic() - started) * 1000)
    now = clock.now()
    with db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        session.add(WebhookAttempt(delivery_id=delivery_id, at=now, status=status, error=error,
                                   duration_ms=elapsed, requested_by=requested_by))
        delivery.attempts += 1
        delivery.last_attempt_at, delivery.last_status, delivery.last_error = now, status, error
        if error is None:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        else:
            retry = next_retry(delivery, now, *window)
            delivery.state = "pending" if retry else "failed"
            delivery.next_attempt_at = retry
            log.info("webhook delivery %s to %s failed (%s); next try %s", delivery_id, url, error, retry)
    return error is None


def send_again(session: Session, actor: str, delivery_id: int) -> WebhookDelivery:
    """An administrator's "send again": the delivery is due at once (one more try if its day is over)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound(_("No such delivery: %(id)s", id=delivery_id))
    delivery.state, delivery.next_attempt_at = "pending", clock.now()
    admin_audit.record(session, actor=actor, action="webhook_resent", object_type="webhook",
                       object_id=str(delivery.subscription_id), after={"delivery": delivery.message_id})
    return delivery


def deliveries(session: Session, subscription_id: int, *, limit: int = 50, offset: int = 0,
               state: str | None = None) -> tuple[list[WebhookDelivery], int]:
    get_subscription(session, subscription_id)
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if state:
        query = query.where(WebhookDelivery.state == state)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit).offset(offset)))
    return rows, total


def attempts_of(session: Session, delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    out: dict[int, list] = {i: [] for i in delivery_ids}
    if delivery_ids:
        for row in session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids))
                                   .order_by(WebhookAttempt.id)):
            out[row.delivery_id].append(row)
    return out


def delivery_dict(row: WebhookDelivery, attempts: list[WebhookAttempt] | None = None) -> dict:
    out = {"id": row.id, "message_id": row.message_id, "event_type": row.event_type,
           "instance_id": row.instance_id, "state": row.state, "attempts": row.attempts,
           "next_attempt_at": clock.iso(row.next_attempt_at), "last_attempt_at": clock.iso(row.last_attempt_at),
           "last_status": row.last_status, "last_error": row.last_error,
           "delivered_at": clock.iso(row.delivered_at), "created_at": clock.iso(row.created_at),
           "payload": row.payload}
    if attempts is not None:
        out["log"] = [{"at": clock.iso(a.at), "status": a.status, "error": a.error, "duration_ms": a.duration_ms,
                       "requested_by": a.requested_by} for a in attempts]
    return out
