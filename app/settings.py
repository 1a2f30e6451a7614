"""Operational settings read at the moment they are used: the running app's configuration when there is
one, otherwise the environment, otherwise the documented default. Background workers and tests change
them without rebuilding the app."""
import os

from flask import current_app, has_app_context

DEFAULTS = {
    "TIMER_POLL_SECONDS": "5",        # how often due timers are fired and e-mails sent (0 = no embedded worker)
    "DEADLINE_CHECK_SECONDS": "60",   # how often overdue and at-risk tasks are looked for
    "AT_RISK_SHARE": "0.75",          # share of a task's time used from which it counts as at risk
    "ESCALATE_OVERDUE_TO": "",        # escalation target of overdue tasks without escalateTo; empty = heads
    "DIGEST_TIME": "08:00",           # China time after which the daily digest goes out
    "WORKDAY_START": "08:30",         # company working hours, China time (working-hour due dates: 4WH)
    "WORKDAY_END": "18:00",           # end of a working day: deadline of working-day due dates (2WD)
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CELERY_QUEUE": "workflow",
    # budgets of one case (app/engine/budget.py): time per step for everything a diagram evaluates, size of
    # the case data, multi-instance count, how long a request waits for a row another request holds
    "STEP_TIME_BUDGET": "1",
    "CASE_DATA_BUDGET": "1048576",
    "MULTI_INSTANCE_LIMIT": "1000",
    "LOCK_WAIT_SECONDS": "5",
    "POOL_RECYCLE_SECONDS": "1800",   # PostgreSQL connections are renewed after this age (no ping per checkout)
    # webhooks (app/services/integration/webhooks.py): wait for a receiver's answer, retry with exponential
    # backoff from the first delay for this many hours; messages in: hold a message no case waits for yet
    # this many hours (0 = refuse it at once)
    "WEBHOOK_TIMEOUT_SECONDS": "10",
    "WEBHOOK_FIRST_RETRY_SECONDS": "30",
    "WEBHOOK_RETRY_HOURS": "24",
    "MESSAGE_HOLD_HOURS": "0",
}


def setting(name: str, default: str | None = None):
    if has_app_context():
        value = current_app.config.get(name)
        if value is not None:
            return value
    value = os.environ.get(name)
    if value is not None:
        return value
    return DEFAULTS.get(name, default)


def number(name: str) -> float:
    return float(setting(name))
