"""The company calendar page /admin/calendar: official schedules per year (enter or import the State
Council's notice), company days, working hours; each save says how many open deadlines moved. Thin: the work
is in services.organisation.calendar and services.cases.deadline_recompute."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock, get_db, workcalendar
from ..i18n import _
from ..services.cases import deadline_recompute
from ..services.errors import ValidationFailed
from ..services.organisation import calendar
from .admin import admin_required

bp = Blueprint("admin_calendar", __name__, url_prefix="/admin")

COMPANY_KINDS = ("shutdown", "company_holiday", "company_workday")


def _year_arg(default: int) -> int:
    try:
        year = int(request.args.get("year", default))
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


@bp.get("/calendar")
@admin_required
def calendar_page(user):
    today = workcalendar.china_today(clock.now())
    with get_db().session() as session:
        status = calendar.horizon_status(session, today)
        year = _year_arg(status["missing_year"] if status["warn"] else today.year)
        view = calendar.year_view(session, year)
        years = calendar.scheduled_years(session)[:12]
        provisional = deadline_recompute.provisional_count(session)
    return render_template("admin/calendar.html", view=view, status=status, years=years, year=year,
                           provisional=provisional, kinds=COMPANY_KINDS, describe=calendar.describe_kind,
                           nav_years=sorted({today.year - 1, today.year, today.year + 1, year}))


def _saved(result: dict) -> None:
    moved = result["recomputed"]
    flash(_("Saved. %(tasks)s task deadline(s) and %(timers)s timer(s) were recomputed.",
            tasks=moved["tasks"], timers=moved["timers"]), "success")


def _refused(exc: ValidationFailed) -> None:
    details = "; ".join(f"{k}: {v}" if k else str(v) for k, v in exc.field_errors.items())
    flash(f"{exc.message} {details}", "error")


@bp.post("/calendar/<int:year>/schedule")
@admin_required
def import_schedule(user, year):
    upload = request.files.get("file")
    text = upload.read().decode("utf-8-sig", errors="replace") if upload and upload.filename else \
        request.form.get("schedule", "")
    try:
        payload = calendar.parse_import(text, year)
        if "holidays" not in payload and "company_days" not in payload:
            raise ValidationFailed(_("The file could not be read."), {"": _("No days were found.")})
        _saved(deadline_recompute.save_year(get_db(), year, payload, user.username,
                                            source="imported" if upload and upload.filename else "entered"))
    except ValidationFailed as exc:
        _refused(exc)
    return redirect(url_for(".calendar_page", year=year))


def _company_days(year: int) -> list[dict]:
    with get_db().session() as session:
        return calendar.year_view(session, year)["company_days"]


@bp.post("/calendar/<int:year>/company-days")
@admin_required
def add_company_day(user, year):
    days = [d for d in _company_days(year) if d["date"] != request.form.get("date")]
    days.append({"date": request.form.get("date", ""), "kind": request.form.get("kind", ""),
                 "name": request.form.get("name", "")})
    try:
        _saved(deadline_recompute.save_year(get_db(), year, {"company_days": days}, user.username))
    except ValidationFailed as exc:
        _refused(exc)
    return redirect(url_for(".calendar_page", year=year))


@bp.post("/calendar/<int:year>/company-days/<day>/delete")
@admin_required
def remove_company_day(user, year, day):
    days = [d for d in _company_days(year) if d["date"] != day]
    try:
        _saved(deadline_recompute.save_year(get_db(), year, {"company_days": days}, user.username))
    except ValidationFailed as exc:
        _refused(exc)
    return redirect(url_for(".calendar_page", year=year))


@bp.post("/calendar/hours")
@admin_required
def working_hours(user):
    try:
        result = deadline_recompute.save_working_hours(get_db(), request.form.get("start", ""),
                                                       request.form.get("end", ""), user.username)
        _saved(result)
    except ValidationFailed as exc:
        _refused(exc)
    return redirect(url_for(".calendar_page", year=request.form.get("year") or None))


@bp.app_context_processor
def calendar_horizon_warning():
    """Administrators see on every page when the official schedule ends within 60 days."""
    def warning():
        if not current_user.is_authenticated or not current_user.user.has_role("admin"):
            return None
        with get_db().session() as session:
            status = calendar.horizon_status(session, workcalendar.china_today(clock.now()))
        return status if status["warn"] else None
    return {"calendar_horizon_warning": warning}
