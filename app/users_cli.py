"""Administrator commands for people: flask --app app users import FILE [--dry-run] | export FILE."""
import sys
from pathlib import Path

import click
from flask import Flask

from .services.cases import staff
from .services.errors import ServiceError
from .services.organisation import user_import

CLI_ACTOR = "cli"  # the actor of changes made on the server's command line (in the administrative trail)


def _print(report: user_import.Report) -> None:
    for row in report.results:
        if row.status == "refused":
            click.echo(f"row {row.row} {row.username or '-'}: refused: {'; '.join(row.reasons)}")
        elif row.status != "unchanged":
            details = ", ".join(f"{k}: {row.before.get(k, '')} -> {v}" for k, v in row.after.items())
            click.echo(f"row {row.row} {row.username}: {row.status}" + (f" ({details})" if details else ""))
    verb = "would be" if report.dry_run else "were"
    click.echo(f"{report.count('created')} created, {report.count('changed')} changed, "
               f"{report.count('unchanged')} unchanged, {report.count('refused')} refused ({verb} applied"
               f"{' in one transaction' if not report.dry_run else ''})")


def register(app: Flask) -> None:
    db = app.extensions["db"]

    @app.cli.group("users")
    def users_group():
        """Import and export users."""

    @users_group.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Only report what would be created, changed and refused.")
    def import_cmd(file: Path, dry_run: bool):
        """Create and change users from an xlsx or CSV file (refused rows are skipped; exit 1 if any)."""
        try:
            with db.session() as session:
                rows = user_import.read(file.name, file.read_bytes())
                report = user_import.plan(session, rows) if dry_run else staff.apply_import(session, CLI_ACTOR, rows)
        except ServiceError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(2)
        _print(report)
        if report.refused:
            sys.exit(1)

    @users_group.command("export")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    def export_cmd(file: Path):
        """Write every user with departments and roles to FILE (.xlsx or .csv)."""
        kind = "csv" if file.suffix.lower() == ".csv" else "xlsx"
        with db.session() as session:
            file.write_bytes(user_import.export(session, kind))
        click.echo(f"users written to {file}")
