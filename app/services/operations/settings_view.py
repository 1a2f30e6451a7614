"""The operational settings as the administrator's read-only settings page shows them: every setting,
its value now (secrets masked) and where it comes from - the documented default, the environment, or the
database (values an administrator sets in the product, e.g. working hours on the calendar page)."""
import os
import re
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from ...settings import DEFAULTS
from ..organisation import calendar, directory, passwords

MASK = "••••••••"
SECRET_NAMES = re.compile(r"(SECRET|PASSWORD|TOKEN_KEY|PRIVATE)", re.I)
URL_PASSWORD = re.compile(r"(?<=://)([^:/@]*):([^@]*)@")

# app configuration read from the environment: (config key, environment variable, default as documented)
CONFIG = (
    ("DATABASE_URL", "DATABASE_URL", "sqlite:///instance/workflow.sqlite3"),
    ("SECRET_KEY", "SECRET_KEY", ""),
    ("PROCESSES_DIR", "PROCESSES_DIR", "processes/"),
    ("FORMS_DIR", "FORMS_DIR", "forms/"),
    ("DEMO_MODE", "DEMO_MODE", "1"),
    ("API_TOKEN_MAX_AGE", "API_TOKEN_MAX_AGE", "43200"),
    ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_SECURE", "0"),
    ("PERMANENT_SESSION_LIFETIME", "SESSION_LIFETIME", "28800"),
    ("BABEL_DEFAULT_TIMEZONE", "DISPLAY_TIMEZONE", "Asia/Shanghai"),
    ("SESSION_IDLE_MINUTES", "SESSION_IDLE_MINUTES", "60"),
    ("LOGIN_RATE_LIMIT", "LOGIN_RATE_LIMIT", "10 per 5 minutes"),
    ("LOGIN_USER_RATE_LIMIT", "LOGIN_USER_RATE_LIMIT", "10 per 15 minutes"),
    ("RATELIMIT_STORAGE_URI", "RATELIMIT_STORAGE_URI", "memory://"),
    ("MAX_ATTACHMENT_BYTES", "MAX_ATTACHMENT_MB", "10 MB"),
    ("PASSWORD_MIN_LENGTH", "PASSWORD_MIN_LENGTH", str(passwords.DEFAULT_MIN_LENGTH)),
)


@dataclass
class Row:
    name: str
    value: str
    source: str  # default | environment | database
    secret: bool = False


def masked(name: str, value) -> tuple[str, bool]:
    text = "" if value is None else str(value)
    if name in directory.SECRETS or SECRET_NAMES.search(name):
        return (MASK if text else ""), True
    if URL_PASSWORD.search(text):  # a password inside a connection URL
        return URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{MASK}@", text), True
    return text, False


def _config_value(key: str):
    return current_app.config.get(key) if has_app_context() else None


def rows(session: Session) -> list[Row]:
    out: list[Row] = []
    for key, env, default in CONFIG:
        value = _config_value(key)
        source = "environment" if env in os.environ else "default"
        text, secret = masked(key, value if value is not None else os.environ.get(env, default))
        out.append(Row(env, text, source, secret))
    hours = calendar.working_hours(session)  # kept in the database once set on the calendar page
    for name, default in {**DEFAULTS, **directory.DEFAULTS}.items():
        if name in ("WORKDAY_START", "WORKDAY_END"):
            value, source = hours["start" if name == "WORKDAY_START" else "end"], hours["source"]
        else:
            configured = _config_value(name)
            value = configured if configured is not None else os.environ.get(name, default)
            source = "environment" if name in os.environ else "default"
        text, secret = masked(name, value)
        out.append(Row(name, text, source, secret))
    return out
