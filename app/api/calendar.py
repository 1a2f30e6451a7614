"""The company calendar: GET/PUT /api/v1/calendar/{year} (administrators change it; everyone signed in reads)."""
from .. import get_db
from ..i18n import _
from ..services.cases import deadline_recompute
from ..services.errors import ServiceError
from ..services.organisation import calendar
from . import bp
from .auth import require_user
from .openapi import SPEC, _op, _path_param
from .util import json_body

_DAYS = {"type": "array", "items": {"type": "object", "required": ["date"], "properties": {
    "date": {"type": "string", "format": "date"}, "name": {"type": "string"},
    "kind": {"type": "string", "enum": ["holiday", "workday", "shutdown", "company_holiday", "company_workday"]}}}}
_HOURS = {"type": "object", "required": ["start", "end"], "properties": {
    "start": {"type": "string", "example": "08:30"}, "end": {"type": "string", "example": "18:00"}}}

SPEC["paths"].update({
    "/calendar/{year}": {
        "get": _op("One year of the company calendar: official holidays and make-up working days (scheduled or "
                   "not), company days, working hours and the horizon beyond which deadlines are provisional",
                   params=[_path_param("year", "integer")], responses={401: "not signed in", 422: "not a year"}),
        "put": _op("Enter or replace a year's official schedule (holidays + workdays), its company days "
                   "(company_days) and/or the working hours; open deadlines the change affects are recomputed "
                   "and counted in `recomputed`",
                   params=[_path_param("year", "integer")],
                   body={"type": "object", "properties": {"holidays": _DAYS, "workdays": _DAYS,
                                                          "company_days": _DAYS, "working_hours": _HOURS}},
                   responses={401: "not signed in", 403: "not an administrator", 422: "invalid days"}),
    },
})


def _year(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ServiceError(_("The year must be between 2000 and 2100."), code="validation_failed") from None


@bp.get("/calendar/<year>")
@require_user
def calendar_year(user, year):
    with get_db().session() as session:
        return calendar.year_view(session, _year(year))


@bp.put("/calendar/<year>")
@require_user(role="admin")
def put_calendar_year(user, year):
    return deadline_recompute.save_year(get_db(), _year(year), json_body(), user.username)
