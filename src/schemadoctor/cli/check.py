"""``schemadoctor check``."""

from __future__ import annotations

import sys

import click

from schemadoctor.cli.options import FAIL_ON, database_options, model_options


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
@click.option(
    "--alembic-config",
    metavar="PATH",
    help="Alembic configuration (alembic.ini) whose history explains each finding's cause; "
    "default: alembic.ini or [tool.alembic] in the current directory.",
)
@click.option(
    "--probe",
    is_flag=True,
    help="Also query every mapped table for every model column (no rows) and report the "
    "database's errors, including permission errors.",
)
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
    alembic_config: str | None,
    probe: bool,
) -> None:
    """Compare the models with the live database and report every drift.

    Example: schemadoctor check --models app.models:Base --db sqlite:///app.db
    """
    from schemadoctor.api import check
    from schemadoctor.connect import Timeouts, resolve_url
    from schemadoctor.migrations import locate_alembic_config
    from schemadoctor.report import render

    warn_password_on_command_line(db_url)
    url = resolve_url(db_url)
    timeouts = Timeouts(connect=connect_timeout, lock=lock_timeout, statement=statement_timeout)
    alembic_path = locate_alembic_config(alembic_config)

    report = check(
        list(model_targets),
        url,
        schemas=schemas,
        exclude_tables=exclude_tables,
        include_tables=include_tables,
        fail_on=fail_on,
        timeouts=timeouts,
        alembic_config=alembic_path,
        probe=probe,
    )

    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(render(report, format_name))
    else:
        click.echo(render(report, format_name, color=sys.stdout.isatty()), nl=False)
    sys.exit(report.exit_code)
