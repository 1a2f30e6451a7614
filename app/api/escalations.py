"""Escalations addressed to me or my groups; my e-mail notification choice (per event or daily digest)."""
from .. import get_db
from ..i18n import _
from ..services.cases import escalations
from ..services.notifications import notifications
from ..services.errors import ServiceError
from . import bp
from .auth import require_user
from .openapi import SPEC, _op, _query
from .util import flag, json_body

SPEC["paths"].update({
    "/escalations": {"get": _op("Escalations addressed to the caller or the caller's groups",
                                params=[_query("all", "boolean")], responses={401: "not signed in"})},
    "/notifications/settings": {
        "get": _op("The caller's e-mail notification choice", responses={401: "not signed in"}),
        "put": _op("Choose one e-mail per event or a daily digest", body={
            "type": "object", "required": ["daily_digest"], "properties": {"daily_digest": {"type": "boolean"}}},
            responses={400: "invalid value", 401: "not signed in"})},
})


@bp.get("/escalations")
@require_user
def list_escalations(user):
    """Open escalations (all=1: also those whose task is done) addressed to the user or the user's groups."""
    with get_db().session() as session:
        return {"escalations": escalations.for_user(session, user, open_only=not flag("all"))}


@bp.get("/notifications/settings")
@require_user
def notification_settings(user):
    with get_db().session() as session:
        return notifications.get_settings(session, user)


@bp.put("/notifications/settings")
@require_user
def change_notification_settings(user):
    body = json_body()
    value = body.get("daily_digest")
    if not isinstance(value, bool):
        raise ServiceError(_("daily_digest must be true or false."))
    with get_db().session() as session:
        return notifications.set_daily_digest(session, user, value)
