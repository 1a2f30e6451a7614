"""The company calendar in the database: each year's official schedule (public holidays and make-up working
days, published by the State Council every autumn), company days (plant shutdown, extra holiday, extra
working day) and the working hours.

Years the database holds come from it; other years the ``chinese_calendar`` package knows come from the
package (the database is seeded from it); beyond the last scheduled year working-time deadlines are computed
on weekdays and marked provisional (app.workcalendar). Every change is in the administrative audit trail;
recomputing the deadlines a change affects is services.cases.deadlines.
"""
import csv
import io
import time as _time
from datetime import date, time, timedelta, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ... import clock, workcalendar
from ...i18n import _
from ...models import CalendarDay, CalendarSettings, CalendarYear
from ...models.calendar import WORKING_KINDS
from ...settings import setting
from ..audit import admin_audit
from ..errors import ValidationFailed

WARNING_DAYS = 60  # administrators are warned this many days before the last scheduled day
RECHECK_SECONDS = 5.0  # how long a process trusts its cached calendar before it compares the revision
_CACHE = "work_calendar"

# import files may name the kind of a day in Chinese, as the State Council's notice and HR do
KIND_ALIASES = {
    "holiday": "holiday", "放假": "holiday", "休": "holiday", "节假日": "holiday",
    "workday": "workday", "调休上班": "workday", "上班": "workday", "班": "workday", "补班": "workday",
    "shutdown": "shutdown", "停产": "shutdown", "停产检修": "shutdown",
    "company_holiday": "company_holiday", "公司假日": "company_holiday", "公司放假": "company_holiday",
    "company_workday": "company_workday", "公司加班日": "company_workday", "公司工作日": "company_workday",
}


def _settings_row(session: Session) -> CalendarSettings | None:
    return session.get(CalendarSettings, 1)


def _revision(session: Session) -> int:
    return session.scalar(select(CalendarSettings.revision).where(CalendarSettings.id == 1)) or 0


def _build(session: Session) -> workcalendar.WorkCalendar:
    builtin_days, builtin_years = workcalendar.builtin_days()
    stored_years = set(session.scalars(select(CalendarYear.year)))
    days: dict[date, bool] = {d: v for d, v in builtin_days.items() if d.year not in stored_years}
    company: dict[date, bool] = {}
    for row in session.scalars(select(CalendarDay)):
        working = row.kind in WORKING_KINDS
        if row.official:
            if row.day.year in stored_years:
                days[row.day] = working
        else:
            company[row.day] = working
    days.update(company)
    row = _settings_row(session)
    start = time.fromisoformat(row.workday_start) if row and row.workday_start else None
    end = time.fromisoformat(row.workday_end) if row and row.workday_end else None
    return workcalendar.WorkCalendar(days=days, years=frozenset(stored_years | builtin_years), start=start, end=end)


def load(session: Session) -> workcalendar.WorkCalendar:
    """The company calendar, cached per database and rebuilt when another process changed it."""
    db = session.info.get("db")
    caches = db.caches if db is not None else {}
    cached = caches.get(_CACHE)
    now = _time.monotonic()
    if cached is not None and now - cached[1] < RECHECK_SECONDS:
        return cached[2]
    revision = _revision(session)
    if cached is not None and cached[0] == revision:
        caches[_CACHE] = (revision, now, cached[2])
        return cached[2]
    calendar = _build(session)
    caches[_CACHE] = (revision, now, calendar)
    return calendar


def _changed(session: Session, actor: str | None) -> None:
    row = _settings_row(session)
    if row is None:
        row = CalendarSettings(id=1, revision=0)
        session.add(row)
    row.revision = (row.revision or 0) + 1
    row.updated_at, row.updated_by = clock.now(), actor
    session.flush()
    db = session.info.get("db")
    if db is not None:
        db.caches.pop(_CACHE, None)


def _ensure_seeded(session: Session) -> None:
    """Write the package's schedules into the database before the first change (a database created without
    the migration's seed)."""
    if session.scalar(select(func.count()).select_from(CalendarYear)):
        return
    _, years = workcalendar.builtin_days()
    names = workcalendar.builtin_names()
    builtin = workcalendar.builtin()
    now = clock.now()
    session.add_all(CalendarYear(year=y, source="package", updated_at=now) for y in sorted(years))
    session.add_all(CalendarDay(day=d, official=True, kind="workday" if working else "holiday", name=names.get(d, ""))
                    for d, working in builtin.days.items())
    session.flush()


# --- reading -------------------------------------------------------------------------------------------

def horizon_status(session: Session, today: date | None = None) -> dict:
    """The last scheduled day, the first year without an official schedule, and whether to warn now."""
    calendar = load(session)
    today = today or workcalendar.china_today(clock.now())
    horizon = calendar.horizon()
    days_left = (horizon - today).days if horizon else -1
    return {"horizon": horizon, "missing_year": horizon.year + 1 if horizon else today.year,
            "days_left": days_left, "warn": days_left <= WARNING_DAYS}


def working_hours(session: Session) -> dict:
    start, end = load(session).working_hours()
    row = _settings_row(session)
    stored = bool(row and (row.workday_start or row.workday_end))
    return {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"),
            "source": "database" if stored else ("environment" if setting("WORKDAY_END") else "default")}


def year_view(session: Session, year: int) -> dict:
    """One year of the calendar: official schedule (or the package's), company days, working hours."""
    _check_year(year)
    stored = session.get(CalendarYear, year)
    rows = list(session.scalars(select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1),
                                                          CalendarDay.day <= date(year, 12, 31))
                                .order_by(CalendarDay.day)))
    official = [r for r in rows if r.official]
    if stored is None:
        builtin = workcalendar.builtin()
        names = workcalendar.builtin_names()
        official_days = [{"date": d.isoformat(), "kind": "workday" if w else "holiday", "name": names.get(d, "")}
                         for d, w in sorted(builtin.days.items()) if d.year == year]
        source = "package" if year in builtin.years else None
    else:
        official_days = [{"date": r.day.isoformat(), "kind": r.kind, "name": r.name} for r in official]
        source = stored.source
    status = horizon_status(session)
    return {
        "year": year, "scheduled": source is not None, "source": source,
        "updated_at": stored.updated_at.replace(tzinfo=timezone.utc).isoformat() if stored else None,
        "updated_by": stored.updated_by if stored else None,
        "holidays": [d for d in official_days if d["kind"] == "holiday"],
        "workdays": [d for d in official_days if d["kind"] == "workday"],
        "company_days": [{"date": r.day.isoformat(), "kind": r.kind, "name": r.name}
                         for r in rows if not r.official],
        "working_hours": working_hours(session),
        "horizon": status["horizon"].isoformat() if status["horizon"] else None,
        "provisional": source is None,
    }


# --- changing ------------------------------------------------------------------------------------------

def _check_year(year: int) -> None:
    if not 2000 <= int(year) <= 2100:
        raise ValidationFailed(_("The year must be between 2000 and 2100."), {"year": _("Not a calendar year.")})


def _days(entries, year: int, allowed: tuple, field: str, errors: dict) -> list[tuple[date, str, str]]:
    result = []
    if not isinstance(entries, list):
        errors[field] = _("A list of days is expected.")
        return result
    for index, entry in enumerate(entries):
        where = f"{field}[{index}]"
        if isinstance(entry, str):
            entry = {"date": entry}
        if not isinstance(entry, dict):
            errors[where] = _("Each day is an object with a date.")
            continue
        try:
            day = date.fromisoformat(str(entry.get("date")))
        except ValueError:
            errors[where] = _("%(value)s is not a date (YYYY-MM-DD).", value=entry.get("date"))
            continue
        if day.year != year:
            errors[where] = _("%(day)s is not in %(year)s.", day=day.isoformat(), year=year)
            continue
        kind = KIND_ALIASES.get(str(entry.get("kind") or allowed[0]).strip())
        if kind not in allowed:
            errors[where] = _("Unknown kind of day: %(kind)s.", kind=entry.get("kind"))
            continue
        name = str(entry.get("name") or "").strip()[:120]
        result.append((day, kind, name))
    seen: dict[date, int] = {}
    for day, _kind, _name in result:
        seen[day] = seen.get(day, 0) + 1
    for day, count in seen.items():
        if count > 1:
            errors[field] = _("%(day)s is listed more than once.", day=day.isoformat())
    return result


def _parse_hours(hours, errors: dict) -> tuple[str, str] | None:
    if not isinstance(hours, dict):
        errors["working_hours"] = _("Working hours are an object with start and end.")
        return None
    try:
        start = time.fromisoformat(str(hours.get("start")))
        end = time.fromisoformat(str(hours.get("end")))
    except ValueError:
        errors["working_hours"] = _("Working hours are times like 08:30 and 18:00.")
        return None
    if end <= start:
        errors["working_hours"] = _("The end of the working day must come after its start.")
        return None
    return start.strftime("%H:%M"), end.strftime("%H:%M")


def put_year(session: Session, year: int, payload: dict, actor: str | None, source: str = "entered") -> dict:
    """Replace a year's official schedule (keys holidays/workdays) and/or its company days (company_days), and
    optionally the working hours. Returns the year as year_view shows it. Nothing changes when anything is
    wrong."""
    _check_year(year)
    if not isinstance(payload, dict):
        raise ValidationFailed(_("The calendar could not be saved."), {"": _("A JSON object is expected.")})
    errors: dict = {}
    official = None
    if "holidays" in payload or "workdays" in payload:
        official = (_days(payload.get("holidays", []), year, ("holiday",), "holidays", errors)
                    + _days(payload.get("workdays", []), year, ("workday",), "workdays", errors))
        clash = {d for d, k, _n in official if k == "holiday"} & {d for d, k, _n in official if k == "workday"}
        if clash:
            errors["workdays"] = _("%(day)s is both a holiday and a working day.", day=min(clash).isoformat())
        weekday_work = [d for d, k, _n in official if k == "workday" and d.weekday() < 5]
        if weekday_work:
            errors["workdays"] = _("%(day)s is a weekday: make-up working days fall on weekends.",
                                   day=weekday_work[0].isoformat())
    company = None
    if "company_days" in payload:
        company = _days(payload["company_days"], year, ("shutdown", "company_holiday", "company_workday"),
                        "company_days", errors)
    hours = _parse_hours(payload["working_hours"], errors) if payload.get("working_hours") is not None else None
    if official is None and company is None and hours is None and not errors:
        errors[""] = _("Nothing to save: give holidays and workdays, company_days or working_hours.")
    if errors:
        raise ValidationFailed(_("The calendar could not be saved."), errors)

    _ensure_seeded(session)
    before = year_view(session, year)
    if official is not None:
        session.execute(delete(CalendarDay).where(CalendarDay.official.is_(True),
                                                  CalendarDay.day >= date(year, 1, 1),
                                                  CalendarDay.day <= date(year, 12, 31)))
        session.add_all(CalendarDay(day=d, official=True, kind=k, name=n) for d, k, n in official)
        row = session.get(CalendarYear, year)
        if row is None:
            session.add(CalendarYear(year=year, source=source, updated_at=clock.now(), updated_by=actor))
        else:
            row.source, row.updated_at, row.updated_by = source, clock.now(), actor
    if company is not None:
        session.execute(delete(CalendarDay).where(CalendarDay.official.is_(False),
                                                  CalendarDay.day >= date(year, 1, 1),
                                                  CalendarDay.day <= date(year, 12, 31)))
        session.add_all(CalendarDay(day=d, official=False, kind=k, name=n) for d, k, n in company)
    if hours is not None:
        _store_hours(session, hours)
    _changed(session, actor)
    after = year_view(session, year)
    admin_audit.record(session, actor=actor, action="calendar_year_changed", object_type="calendar",
                       object_id=str(year), before=_audit_view(before), after=_audit_view(after))
    return after


def _audit_view(view: dict) -> dict:
    return {k: view[k] for k in ("source", "holidays", "workdays", "company_days", "working_hours")}


def _store_hours(session: Session, hours: tuple[str, str]) -> None:
    row = _settings_row(session)
    if row is None:
        row = CalendarSettings(id=1, revision=0)
        session.add(row)
    row.workday_start, row.workday_end = hours


def set_working_hours(session: Session, start: str, end: str, actor: str | None) -> dict:
    errors: dict = {}
    hours = _parse_hours({"start": start, "end": end}, errors)
    if errors:
        raise ValidationFailed(_("The working hours could not be saved."), errors)
    before = working_hours(session)
    _store_hours(session, hours)
    _changed(session, actor)
    after = working_hours(session)
    admin_audit.record(session, actor=actor, action="working_hours_changed", object_type="calendar",
                       object_id="working_hours", before=before, after=after)
    return after


def parse_import(text: str, year: int) -> dict:
    """A year's schedule from CSV lines ``date[,end date],kind,name`` (kind in English or Chinese, e.g.
    ``2027-10-01,2027-10-07,放假,国庆节``; a header line is skipped) as a put_year payload."""
    payload: dict = {"holidays": [], "workdays": [], "company_days": []}
    errors: dict = {}
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#") or cells[0].lower() in ("date", "日期", "start"):
            continue
        if len(cells) == 3:
            cells = [cells[0], "", cells[1], cells[2]]
        if len(cells) < 3:
            errors[f"line {number}"] = _("Expected date, end date (optional), kind, name.")
            continue
        start_text, end_text, kind_text = cells[0], cells[1], cells[2]
        name = cells[3] if len(cells) > 3 else ""
        try:
            first = date.fromisoformat(start_text)
            last = date.fromisoformat(end_text) if end_text else first
        except ValueError:
            errors[f"line {number}"] = _("%(value)s is not a date (YYYY-MM-DD).", value=f"{start_text} {end_text}")
            continue
        kind = KIND_ALIASES.get(kind_text)
        if kind is None or last < first or (last - first).days > 60:
            errors[f"line {number}"] = _("Unknown kind of day: %(kind)s.", kind=kind_text) if kind is None \
                else _("The end date must follow the start date (at most 60 days).")
            continue
        key = "holidays" if kind == "holiday" else "workdays" if kind == "workday" else "company_days"
        day = first
        while day <= last:
            payload[key].append({"date": day.isoformat(), "kind": kind, "name": name})
            day += timedelta(days=1)
    if errors:
        raise ValidationFailed(_("The file could not be read."), errors)
    if not payload["company_days"]:
        del payload["company_days"]
    if not payload["holidays"] and not payload["workdays"]:
        del payload["holidays"], payload["workdays"]
    return payload


def scheduled_years(session: Session) -> list[dict]:
    """Every year with an official schedule, newest first, with where it came from."""
    stored = {row.year: row for row in session.scalars(select(CalendarYear))}
    years = sorted(set(stored) | set(workcalendar.builtin().years), reverse=True)
    return [{"year": y, "source": stored[y].source if y in stored else "package",
             "updated_at": stored[y].updated_at if y in stored else None,
             "updated_by": stored[y].updated_by if y in stored else None} for y in years]


def describe_kind(kind: str) -> str:
    return {"holiday": _("Public holiday"), "workday": _("Make-up working day"), "shutdown": _("Plant shutdown"),
            "company_holiday": _("Company holiday"), "company_workday": _("Company working day")}.get(kind, kind)


