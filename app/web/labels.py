"""Jinja filters and globals that turn stored codes into what people read (see app/services/labels.py).
One Labels object (and one read-only session) per request, closed when the request ends.

Filters:  {{ pid|process_name }}  {{ code|group_name }}  {{ username|person }} (name, username as tooltip)
          {{ username|person_name }} (plain text)  {{ 'running'|status_label }}  {{ instant|localtime }}
          {{ instant|localtime('date') }}  {{ 12345.6|money }}
Globals:  element_title(version_id, element_id)  field_label(version_id, name)
          field_value(version_id, name, value)  labels() (the request's Labels object)"""
from flask import Flask, g
from markupsafe import Markup

from .. import get_db
from ..services.labels import Labels, local_time, money
from .common import locale


def labels() -> Labels:
    if "labels" not in g:
        g.labels_session = get_db().Session()
        g.labels = Labels(g.labels_session, locale())
    return g.labels


def person_html(username) -> Markup:
    if not username:
        return Markup("")
    name = labels().person(username)
    return Markup('<span class="person" title="{}">{}</span>').format(username, name)


def localtime(value, fmt: str = "short") -> str:
    if fmt == "date" and value not in (None, ""):
        from datetime import datetime, timezone
        from zoneinfo import ZoneInfo
        from ..services.zones import display_zone
        if isinstance(value, datetime):  # the China (or user-zone) date of an instant
            aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
            value = aware.astimezone(ZoneInfo(display_zone())).date()
        return local_time(value, locale(), "short")
    return local_time(value, locale(), fmt)


def register(app: Flask) -> None:
    app.add_template_filter(lambda pid, version_id=None: labels().process(pid, version_id), "process_name")
    app.add_template_filter(lambda code: labels().group(code), "group_name")
    app.add_template_filter(person_html, "person")
    app.add_template_filter(lambda username: labels().person(username), "person_name")
    app.add_template_filter(lambda code: labels().status(code), "status_label")
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(lambda amount, currency="CNY": money(amount, currency, locale()), "money")
    app.add_template_global(lambda version_id, element_id, default="": labels().element(version_id, element_id, default),
                            "element_title")
    app.add_template_global(lambda version_id, name: labels().field(version_id, name), "field_label")
    app.add_template_global(lambda version_id, name, value: labels().value(version_id, name, value), "field_value")
    app.add_template_global(labels, "labels")

    @app.teardown_appcontext
    def close_labels_session(_exc):
        session = g.pop("labels_session", None)
        g.pop("labels", None)
        if session is not None:
            session.close()

