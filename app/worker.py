"""Scale-out mode: Celery workers with Redis as broker run the background jobs (app/background.py) against
the shared database (PostgreSQL). One of them also runs the scheduler (--beat):

    .venv/bin/celery -A app.worker worker --beat --loglevel INFO   # first worker, with the scheduler
    .venv/bin/celery -A app.worker worker --loglevel INFO          # any number of further workers

Settings: CELERY_BROKER_URL (default redis://127.0.0.1:6379/0), CELERY_QUEUE, DATABASE_URL,
TIMER_POLL_SECONDS, DEADLINE_CHECK_SECONDS, SMTP_*.
"""
from celery import Celery

from . import background
from .settings import number, setting

celery = Celery("workflow", broker=str(setting("CELERY_BROKER_URL")))
_poll = number("TIMER_POLL_SECONDS") or 5.0
_check = number("DEADLINE_CHECK_SECONDS") or 60.0
celery.conf.update(
    task_default_queue=str(setting("CELERY_QUEUE")),
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
    beat_schedule={  # a run that could not start before the next is due is dropped (expires), not queued
        "fire-timers": {"task": "app.worker.fire_timers", "schedule": _poll, "options": {"expires": _poll}},
        "hand-over-absences": {"task": "app.worker.hand_over_absences", "schedule": _poll,
                               "options": {"expires": _poll}},
        "send-notifications": {"task": "app.worker.send_notifications", "schedule": _poll,
                               "options": {"expires": _poll}},
        "send-webhooks": {"task": "app.worker.send_webhooks", "schedule": _poll, "options": {"expires": _poll}},
        "check-deadlines": {"task": "app.worker.check_deadlines", "schedule": _check,
                            "options": {"expires": _check}},
    },
)

_flask_app = None


def flask_app():
    """The application of this worker process (built on first use, after the pool has forked)."""
    global _flask_app
    if _flask_app is None:
        from . import create_app
        _flask_app = create_app()
    return _flask_app


@celery.task(name="app.worker.fire_timers")
def fire_timers() -> int:
    return background.fire_timers(flask_app())


@celery.task(name="app.worker.hand_over_absences")
def hand_over_absences() -> int:
    return background.hand_over_absences(flask_app())


@celery.task(name="app.worker.check_deadlines")
def check_deadlines() -> int:
    return background.check_deadlines(flask_app())


@celery.task(name="app.worker.send_notifications")
def send_notifications() -> int:
    return background.send_notifications(flask_app())


@celery.task(name="app.worker.send_webhooks")
def send_webhooks() -> int:
    return background.send_webhooks(flask_app())
