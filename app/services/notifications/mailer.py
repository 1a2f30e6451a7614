"""Sending the outbox by e-mail (background worker only): one message per event and recipient, or one daily
digest for users who chose it. SMTP settings come from the environment; nothing is sent when SMTP_HOST is
unset. A crash after sending and before committing may send a message twice, never lose it."""
import logging
import os
import smtplib
from contextlib import contextmanager, nullcontext
from datetime import datetime, time, timedelta
from email.message import EmailMessage

from flask import has_app_context
from flask_babel import force_locale
from sqlalchemy import select

from ... import clock
from ...db import Database
from ...i18n import _
from ...models import NotificationSetting, OutboxMessage, User
from ...settings import setting
from ...workcalendar import CHINA_OFFSET
from ..labels import local_time
from ..zones import user_zone, zone_name
from . import notifications

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def smtp_config() -> dict | None:
    env = os.environ
    if not env.get("SMTP_HOST"):
        return None
    return {"host": env["SMTP_HOST"], "port": int(env.get("SMTP_PORT") or 25), "user": env.get("SMTP_USER"),
            "password": env.get("SMTP_PASSWORD"), "sender": env.get("SMTP_FROM") or "workflow@localhost",
            "starttls": env.get("SMTP_STARTTLS", "0") == "1"}


@contextmanager
def _smtp(cfg: dict):
    server = smtplib.SMTP(cfg["host"], cfg["port"], timeout=15)
    try:
        if cfg["starttls"]:
            server.starttls()
        if cfg["user"]:
            server.login(cfg["user"], cfg["password"] or "")
        yield server
    finally:
        try:
            server.quit()
        except smtplib.SMTPException:
            server.close()


def _in_locale(locale: str | None):
    return force_locale(locale or "zh") if has_app_context() else nullcontext()


def _local(value: datetime | None, user: User | None = None) -> str:
    """A due time in the recipient's zone (their setting, else the company's), in their language."""
    return local_time(value, (user.locale if user else None) or "zh", zone=user_zone(user)) if value else "-"


def _subject(kind: str, title: str) -> str:
    subjects = {
        "new_task": _("New task in your queue: %(title)s", title=title),
        "assigned": _("Task assigned to you: %(title)s", title=title),
        "at_risk": _("Task at risk of running late: %(title)s", title=title),
        "overdue": _("Task overdue: %(title)s", title=title),
        "escalated": _("Escalation: %(title)s is overdue", title=title),
    }
    return subjects.get(kind, title)


def _line(row: OutboxMessage, user: User | None = None) -> str:
    return _("%(what)s — case %(key)s, due %(due)s (%(zone)s)", what=_subject(row.kind, row.title),
             key=row.business_key or "-", due=_local(row.due_at, user), zone=zone_name(user_zone(user)))


def _message(cfg: dict, user: User, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = cfg["sender"], user.email, subject
    message.set_content(body)
    return message


def _send_each(cfg: dict, items: list, send_one) -> int:
    """Send over one SMTP connection; with the server unreachable, what was not sent stays queued."""
    sent = 0
    try:
        with _smtp(cfg) as server:
            for item in items:
                sent += send_one(server, item)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("SMTP server %s:%s unavailable: %s", cfg["host"], cfg["port"], exc)
    return sent


def deliver_pending(db: Database, limit: int = 100) -> int:
    """Send pending outbox messages; returns the number of e-mails sent. Rows are claimed with
    SELECT … FOR UPDATE SKIP LOCKED, so several workers never send the same row at once."""
    cfg = smtp_config()
    if cfg is None:
        return 0
    with db.session() as session:
        rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.state == "pending")
                                    .order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)))
        if not rows:
            return 0
        digest_ids = notifications.digest_user_ids(session)
        return _send_each(cfg, rows, lambda server, row: _deliver_row(session, server, cfg, row, digest_ids))


def _deliver_row(session, server, cfg, row: OutboxMessage, digest_ids: set[int]) -> int:
    users = [u for u in notifications.recipients(session, row) if u.email and u.id not in digest_ids]
    count = 0
    try:
        for user in users:
            if user.username in row.recipients:
                continue
            with _in_locale(user.locale):
                server.send_message(_message(cfg, user, _subject(row.kind, row.title), _line(row, user)))
            row.recipients = [*row.recipients, user.username]
            count += 1
    except smtplib.SMTPServerDisconnected:
        raise
    except smtplib.SMTPException as exc:
        row.attempts += 1
        row.last_error = str(exc)[:2000]
        row.state = "failed" if row.attempts >= MAX_ATTEMPTS else "pending"
        return count
    row.state, row.sent_at = "sent", clock.now()
    return count


def _digest_due(now_local: datetime, last: datetime | None) -> bool:
    at = time.fromisoformat(str(setting("DIGEST_TIME")))
    if now_local.time() < at:
        return False
    return last is None or (last + CHINA_OFFSET).date() < now_local.date()


def send_digests(db: Database) -> int:
    """Once a day (after DIGEST_TIME, China time) each user who chose the digest gets one e-mail listing the
    notifications addressed to them since the last digest."""
    cfg = smtp_config()
    if cfg is None:
        return 0
    now = clock.now()
    with db.session() as session:
        settings = list(session.scalars(select(NotificationSetting).where(NotificationSetting.daily_digest)
                                        .with_for_update(skip_locked=True)))
        due = [s for s in settings if _digest_due(now + CHINA_OFFSET, s.last_digest_at)]
        if not due:
            return 0
        return _send_each(cfg, due, lambda server, choice: _send_digest(session, server, cfg, choice, now))


def _send_digest(session, server, cfg, choice: NotificationSetting, now: datetime) -> int:
    user = session.get(User, choice.user_id)
    since = choice.last_digest_at or now - timedelta(days=1)
    rows = list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.created_at > since, OutboxMessage.created_at <= now,
        notifications.audience_filter(user)).order_by(OutboxMessage.id)))
    sent = 0
    if rows and user.email and user.is_active:
        with _in_locale(user.locale):
            subject = _("Daily digest: %(count)s notification(s)", count=len(rows))
            body = "\n".join("- " + _line(row, user) for row in rows)
            server.send_message(_message(cfg, user, subject, body))
        sent = 1
    choice.last_digest_at = now
    return sent
