"""Administrator commands for the company calendar: flask --app app calendar check | import."""
import sys
from pathlib import Path

import click
from flask import Flask

from . import clock, workcalendar
from .services.cases import deadline_recompute
from .services.errors import ValidationFailed
from .services.organisation import calendar


def register(app: Flask) -> None:
    db = app.extensions["db"]

    @app.cli.group("calendar")
    def calendar_group():
        """The company calendar (working days and hours)."""

    @calendar_group.command("check")
    @click.option("--warn-days", default=calendar.WARNING_DAYS, show_default=True,
                  help="Fail when the last scheduled day is this close.")
    def check(warn_days):
        """Exit 1 naming the missing year when the official schedule ends within --warn-days days."""
        today = workcalendar.china_today(clock.now())
        with db.session() as session:
            status = calendar.horizon_status(session, today)
        horizon = status["horizon"]
        if horizon is None or status["days_left"] <= warn_days:
            click.echo(f"calendar incomplete: the official schedule for {status['missing_year']} is missing; "
                       f"working-day deadlines after {horizon} are provisional (computed on weekdays). "
                       f"Enter it at /admin/calendar or with PUT /api/v1/calendar/{status['missing_year']}.",
                       err=True)
            sys.exit(1)
        click.echo(f"calendar ok: official schedule until {horizon} ({status['days_left']} days from {today})")

    @calendar_group.command("import")
    @click.argument("year", type=int)
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--actor", default="cli", help="Recorded as the administrator who entered it.")
    def import_year(year, path, actor):
        """Enter a year's schedule from a CSV file: date,end date,kind,name (kind e.g. 放假 / 调休上班 / 停产)."""
        try:
            payload = calendar.parse_import(path.read_text(encoding="utf-8-sig"), year)
            result = deadline_recompute.save_year(db, year, payload, actor, source="imported")
        except ValidationFailed as exc:
            click.echo(f"refused: {exc.message}", err=True)
            for where, message in exc.field_errors.items():
                click.echo(f"  {where}: {message}", err=True)
            sys.exit(1)
        moved = result["recomputed"]
        click.echo(f"calendar {year}: {len(result['holidays'])} holiday(s), {len(result['workdays'])} make-up "
                   f"working day(s), {len(result['company_days'])} company day(s); recomputed "
                   f"{moved['tasks']} task deadline(s) and {moved['timers']} timer(s)")
