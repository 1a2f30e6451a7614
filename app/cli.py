"""Administrator commands: flask --app app <command>."""
import json
import os
import sys
from pathlib import Path

import click
from flask import Flask

from .services.organisation import org, users
from .services.modelling import foreign, publishing
from .services.errors import PublishRefused, ServiceError


def register(app: Flask) -> None:
    db = app.extensions["db"]
    from .audit_cli import register as register_audit
    register_audit(app)
    from .users_cli import register as register_users
    register_users(app)
    from .calendar_cli import register as register_calendar
    register_calendar(app)

    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Create the database or bring its schema up to date (Alembic migrations)."""
        from .migrate import upgrade
        upgrade(app.config["DATABASE_URL"])
        click.echo("database schema is up to date")

    @app.cli.command("publish")
    @click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
    @click.option("--check", is_flag=True, help="Only validate; publish nothing.")
    @click.option("--forms", "forms_dir", type=click.Path(path_type=Path), default=None,
                  help="Folder of JSON Schema forms (default: forms/).")
    @click.option("--actor", default="cli", help="Recorded as the publisher.")
    @click.option("--fix", "fixes", multiple=True, type=click.Choice(foreign.FIXES),
                  help="Apply a fix to diagrams from other tools first (repeatable).")
    def publish(paths, check, forms_dir, actor, fixes):
        """Validate and publish diagrams with their DMN tables and forms (default: processes/).
        With --check nothing is published and no database is needed."""
        paths = list(paths) or [Path(app.config["PROCESSES_DIR"])]
        sources = publishing.collect_paths(paths, forms_dir or Path(app.config["FORMS_DIR"]))
        sources.bpmn = foreign.apply(sources.bpmn, fixes)
        for note in foreign.review(sources.bpmn)[1]:
            where = note["file"] + (f" [{note['element_id']}]" if note["element_id"] else "")
            click.echo(f"warning {where}: {note['message']}", err=True)
        try:
            if check:  # a pipeline's check: validation needs no database
                processes, problems = publishing.validate(None, sources)
                if problems:
                    raise PublishRefused("invalid", [p.as_dict() for p in problems])
                results = [{"process_id": p.process_id} for p in processes]
            else:
                with db.session() as session:
                    org.ensure_groups(session)
                    results = publishing.publish(session, sources, actor)
        except PublishRefused as exc:
            click.echo(f"refused: {len(exc.problems)} problem(s); nothing was published", err=True)
            for p in exc.problems:
                where = f"{p['file']}" + (f" [{p['element_id']}]" if p["element_id"] else "")
                hint = f" (fixable: --fix {p['fix']})" if p.get("fix") else ""
                click.echo(f"  {where}: {p['message']}{hint}", err=True)
            sys.exit(1)
        for r in results:
            if check:
                click.echo(f"ok      {r['process_id']}")
            elif r["created"]:
                click.echo(f"published {r['process_id']} version {r['version']}")
            else:
                click.echo(f"unchanged {r['process_id']} version {r['version']}")

    @app.cli.command("start-standing")
    def start_standing_cmd():
        """Start the standing processes (start property standing="true") that have no running case."""
        from .services.cases.standing import start_standing
        started = start_standing(db)
        for process_id, instance_id in started:
            click.echo(f"started {process_id} (case {instance_id})")
        if not started:
            click.echo("standing processes already running")

    @app.cli.command("seed-demo")
    def seed_demo():
        """Create the demo organisation (password 'demo'); existing users are kept."""
        with db.session() as session:
            made = org.seed_demo(session)
        click.echo(f"demo organisation ready ({len(made)} user(s) created)")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--name", "display_name", default="")
    @click.option("--group", "groups", multiple=True, help="Group code (repeatable).")
    @click.option("--head-of", "head_of", multiple=True, help="Group code the user heads (repeatable).")
    @click.option("--role", "roles", multiple=True, type=click.Choice(["process_owner", "auditor", "admin"]))
    @click.option("--email", default=None)
    @click.option("--locale", default="zh", type=click.Choice(["zh", "en"]))
    def create_user(username, password, display_name, groups, head_of, roles, email, locale):
        """Create a user with groups and roles (recorded in the administrative trail, actor "cli")."""
        try:
            with db.session() as session:
                org.ensure_groups(session)
                users.create(session, "cli", {"username": username, "password": password,
                                              "display_name": display_name or username, "groups": list(groups),
                                              "head_of": list(head_of), "roles": list(roles), "email": email,
                                              "locale": locale})
        except ServiceError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(1)
        click.echo(f"user {username} created")

    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=lambda: int(os.environ.get("PORT", 5000)), type=int)
    def serve(host, port):
        """Serve the product (embedded mode: one process, threads; due timers, deadline checks and e-mail
        run in a background thread every TIMER_POLL_SECONDS, 0 = off)."""
        from werkzeug.serving import run_simple
        from .background import EmbeddedWorker
        from .settings import number
        worker = EmbeddedWorker(app).start() if number("TIMER_POLL_SECONDS") > 0 else None
        click.echo(f"serving on http://{host}:{port}")
        try:
            run_simple(host, port, app, threaded=True, use_reloader=False)
        finally:
            if worker is not None:
                worker.stop()

    @app.cli.command("backup")
    @click.argument("target", type=click.Path(path_type=Path))
    def backup_cmd(target):
        """Back up the database while the product runs (SQLite online backup or pg_dump)."""
        from .services.operations.backup import BackupError, backup
        try:
            click.echo(f"backup written to {backup(db, target)}")
        except BackupError as exc:
            click.echo(f"backup failed: {exc}", err=True)
            sys.exit(1)

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore_cmd(source, yes):
        """Replace the database with a backup (stop the web server and workers first)."""
        from .services.operations.backup import BackupError, restore
        if not yes:
            click.confirm(f"Replace all data in the database with {source}?", abort=True)
        try:
            restore(db, source)
        except BackupError as exc:
            click.echo(f"restore failed: {exc}", err=True)
            sys.exit(1)
        click.echo("database restored")

    @app.cli.command("groups")
    def groups():
        """List the organisation's groups as JSON."""
        with db.session() as session:
            org.ensure_groups(session)
            click.echo(json.dumps(sorted(org.group_index(session).items()), ensure_ascii=False, indent=1))
