"""Auditor commands: flask --app app audit verify."""
import sys

import click
from flask import Flask

from .services.audit import audit_chain


def describe(problem: audit_chain.Problem) -> str:
    where = f"event #{problem.event_id}" if problem.event_id is not None else "chain"
    position = f", position {problem.seq}" if problem.seq is not None else ""
    return f"{where} ({problem.stream}{position}): {problem.message}"


def register(app: Flask) -> None:
    db = app.extensions["db"]

    @app.cli.group("audit")
    def audit_group():
        """Check the audit trail."""

    @audit_group.command("verify")
    def verify():
        """Verify the hash chains of the audit trail; exits 1 and names the first broken event."""
        with db.session() as session:
            result = audit_chain.verify(session)
        if result.ok:
            click.echo(f"audit trail intact: {result.checked} chained event(s) in {result.chains} chain(s), "
                       f"{result.unchained} recorded before chaining; root {result.root}")
            return
        click.echo(f"audit trail BROKEN: first broken {describe(result.first)}", err=True)
        for problem in result.problems:
            click.echo(f"  {describe(problem)}", err=True)
        sys.exit(1)
