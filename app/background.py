"""Background work: fire due timers, escalate overdue tasks and warn about tasks at risk, send e-mail and
webhooks, hand the held tasks of people whose absence has begun to their substitutes.

The same three jobs run in either mode: embedded — a thread of the `serve` process (EmbeddedWorker), every
TIMER_POLL_SECONDS; scale-out — Celery workers scheduled by Celery beat (app/worker.py). Timer firing and
e-mail sending claim rows with SELECT … FOR UPDATE SKIP LOCKED and escalations are unique per task and
reason, so several workers can run the jobs at once.
"""
import logging
import threading
import time

from flask import Flask

from .services.cases import delegation, escalations, timers
from .services.integration import messages, webhooks
from .services.notifications import mailer
from .settings import number

log = logging.getLogger(__name__)


def fire_timers(app: Flask) -> int:
    with app.app_context():
        return timers.fire_due(app.extensions["db"])


def check_deadlines(app: Flask) -> int:
    with app.app_context():
        return escalations.scan(app.extensions["db"])


def hand_over_absences(app: Flask) -> int:
    """Out of office: the held tasks of everyone whose absence runs today go to the substitute (within one
    poll of the absence's first day beginning; an absence starting today is applied when it is saved)."""
    with app.app_context():
        return delegation.apply_due(app.extensions["db"])


def send_notifications(app: Flask) -> int:
    with app.app_context():
        db = app.extensions["db"]
        return mailer.deliver_pending(db) + mailer.send_digests(db)


def send_webhooks(app: Flask) -> int:
    """Due webhook deliveries out; held incoming messages to the cases that now wait for them."""
    with app.app_context():
        db = app.extensions["db"]
        return webhooks.deliver_due(db) + messages.deliver_held(db)


class EmbeddedWorker:
    """A daemon thread running the jobs in-process: timers and e-mail every `poll` seconds, deadline checks
    every DEADLINE_CHECK_SECONDS."""

    def __init__(self, app: Flask, poll: float | None = None, deadline_check: float | None = None):
        with app.app_context():
            self.poll = number("TIMER_POLL_SECONDS") if poll is None else poll
            self.deadline_check = number("DEADLINE_CHECK_SECONDS") if deadline_check is None else deadline_check
        self.app = app
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_check = float("-inf")

    def run_once(self) -> None:
        for job in (fire_timers, hand_over_absences, self._maybe_check_deadlines, send_notifications, send_webhooks):
            try:
                job(self.app)
            except Exception:  # a failing job must not stop the others or the loop
                log.exception("background job %s failed", getattr(job, "__name__", job))

    def _maybe_check_deadlines(self, app: Flask) -> None:
        if time.monotonic() - self._last_check >= self.deadline_check:
            self._last_check = time.monotonic()
            check_deadlines(app)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.poll)

    def start(self) -> "EmbeddedWorker":
        self._thread = threading.Thread(target=self._loop, name="background-jobs", daemon=True)
        self._thread.start()
        log.info("embedded background worker: timers every %ss, deadline checks every %ss",
                 self.poll, self.deadline_check)
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
