"""Helpers and fixtures for the deadline tests: the timer diagrams, a controlled clock, e-mail addresses and a local SMTP
server (aiosmtpd) that records what it receives."""
import email
import socket
from datetime import datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app import clock
from app.models import AuditEvent, User
from app.services.cases import instances
from app.services.modelling import publishing

TIMER_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "timers"
CHINA = timedelta(hours=8)


def china(*args) -> datetime:
    """A China-time wall clock reading as the naive UTC the product stores."""
    return datetime(*args) - CHINA


@pytest.fixture
def real_clock_afterwards():
    yield
    clock.set_now(None)


@pytest.fixture
def timer_processes(db):
    with db.session() as session:
        return publishing.publish(session, publishing.collect_paths([TIMER_FIXTURES], None), "tester")


def start_complaint(db, received: datetime, case_no: str = "2025-09-0001") -> int:
    """Start complaint_sla with the clock at `received` (naive UTC); the 10-day commitment counts from it."""
    clock.set_now(received)
    received_at = received.isoformat() + "+00:00"
    return instances.start_instance(db, "complaint_sla", {"case_no": case_no, "received_at": received_at},
                                    "sales")


def events(db, kind: str, instance_id: int | None = None) -> list[AuditEvent]:
    with db.session() as session:
        query = select(AuditEvent).where(AuditEvent.event_type == kind)
        if instance_id is not None:
            query = query.where(AuditEvent.instance_id == instance_id)
        return list(session.scalars(query.order_by(AuditEvent.id)))


@pytest.fixture
def emails(db):
    """Every demo user gets the address <username>@example.com."""
    with db.session() as session:
        session.execute(update(User).values(email=User.username + "@example.com"))


class Mailbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[dict]:
        result = []
        for envelope in self.envelopes:
            message = email.message_from_bytes(envelope.content)
            result.append({"to": envelope.rcpt_tos, "subject": str(make_header(decode_header(message["Subject"]))),
                           "body": message.get_payload(decode=True).decode("utf-8")})
        return result

    def to(self, address: str) -> list[dict]:
        return [m for m in self.messages if address in m["to"]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(no_outside_smtp, monkeypatch):
    """A local SMTP server; SMTP_HOST/SMTP_PORT/SMTP_FROM point at it for the duration of the test."""
    from aiosmtpd.controller import Controller
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("SMTP_FROM", "workflow@example.com")
    mailbox.port = port
    yield mailbox
    controller.stop()


@pytest.fixture
def no_outside_smtp(monkeypatch):
    """Tests decide themselves whether an SMTP server is configured."""
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_FROM"):
        monkeypatch.delenv(name, raising=False)


# every deadline test module: `pytestmark = USE` (real clock afterwards, no SMTP server from outside)
USE = pytest.mark.usefixtures("real_clock_afterwards", "no_outside_smtp")
