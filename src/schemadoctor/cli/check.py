"""``schemadoctor check``."""

from __future__ import annotations

import sys

import click

from schemadoctor.cli import Application, color_wanted
from schemadoctor.cli.options import FAIL_ON, database_options, model_options


def write_output(path: str, text: str) -> None:
    """Write the report to ``--output``; a path that cannot be written is bad input."""
    from schemadoctor.errors import ConfigurationError

    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise ConfigurationError(
            f"Cannot write the report to {path!r} ({error.strerror or error}); "
            "check that the folder exists and is writable."
        ) from error


def warn_password_on_command_line(db_url: str | None) -> None:
    """Passwords on the command line end up in shell history and process lists."""
    if db_url and "@" in db_url and ":" in db_url.split("://", 1)[-1].split("@", 1)[0]:
        click.echo(
            "warning: the --db URL holds a password; pass it through "
            "SCHEMADOCTOR_DATABASE_URL instead, so it stays out of shell history.",
            err=True,
        )


@click.command("check")
@model_options
@database_options
@click.option(
    "--format",
    "format_name",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option(
    "--fail-on",
    type=FAIL_ON,
    default="warning",
    show_default=True,
    help="Lowest severity that makes the exit code 1.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report here.")
def check_command(
    model_targets: tuple[str, ...],
    exclude_tables: tuple[str, ...],
    include_tables: tuple[str, ...],
    db_url: str | None,
    schemas: tuple[str, ...],
    connect_timeout: float,
    lock_timeout: float,
    statement_timeout: float,
    format_name: str,
    fail_on: str,
    output: str | None,
) -> None:
    """Compare the models with the live database and report every drift.

    Example: schemadoctor check --models app.models:Base --db sqlite:///app.db
    """
    from schemadoctor.api import check
    from schemadoctor.connect import Timeouts, resolve_url
    from schemadoctor.report import render

    warn_password_on_command_line(db_url)
    url = resolve_url(db_url)
    app = click.get_current_context().find_object(Application)
    if app is not None:
        app.remember_password(url)
    timeouts = Timeouts(connect=connect_timeout, lock=lock_timeout, statement=statement_timeout)

    report = check(
        list(model_targets),
        url,
        schemas=schemas,
        exclude_tables=exclude_tables,
        include_tables=include_tables,
        fail_on=fail_on,
        timeouts=timeouts,
    )

    if output:
        write_output(output, render(report, format_name))
    else:
        color = color_wanted(sys.stdout)
        # click.echo would strip the escape codes off a non-terminal, even under FORCE_COLOR.
        click.echo(render(report, format_name, color=color), nl=False, color=color)
    sys.exit(report.exit_code)
