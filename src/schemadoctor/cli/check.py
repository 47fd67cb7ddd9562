"""``schemadoctor check``."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from schemadoctor.cli import Application, color_wanted
from schemadoctor.cli.options import (
    FAIL_ON,
    FORMATS,
    config_option,
    databases_options,
    model_options,
)


def warn_password_on_command_line(db_url: str | None) -> None:
    """Passwords on the command line end up in shell history and process lists."""
    if db_url and "@" in db_url and ":" in db_url.split("://", 1)[-1].split("@", 1)[0]:
        click.echo(
            "warning: the --db URL holds a password; pass it through "
            "SCHEMADOCTOR_DATABASE_URL instead, so it stays out of shell history.",
            err=True,
        )


if TYPE_CHECKING:
    from schemadoctor.findings import Report


@click.command("check")
@model_options
@databases_options
@click.option(
    "--format",
    "format_name",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Report format: text, json, sarif (code scanning), junit, github, markdown.",
)
@click.option(
    "--fail-on",
    type=FAIL_ON,
    default=None,
    help="Lowest severity that makes the exit code 1  [default: the configuration's, or warning]",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write the report here (- for stdout)."
)
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
@click.option(
    "--snapshot",
    "snapshot_path",
    type=click.Path(dir_okay=False),
    help="Compare with this snapshot (schemadoctor snapshot) instead of connecting.",
)
@config_option
def check_command(
    model_targets: tuple[str, ...],
    exclude_tables: tuple[str, ...],
    include_tables: tuple[str, ...],
    db_urls: tuple[str, ...],
    jobs: int,
    schemas: tuple[str, ...],
    connect_timeout: float,
    lock_timeout: float,
    statement_timeout: float,
    format_name: str,
    fail_on: str | None,
    output: str | None,
    snapshot_path: str | None,
    config_path: str | None,
    alembic_config: str | None,
    probe: bool,
) -> None:
    """Compare the models with the live database and report every drift.

    Example: schemadoctor check --models app.models:Base --db sqlite:///app.db
    """
    from schemadoctor.api import check_databases
    from schemadoctor.cli.progress import progress_display
    from schemadoctor.config import load_config
    from schemadoctor.connect import Timeouts
    from schemadoctor.errors import ConfigurationError
    from schemadoctor.migrations import locate_alembic_config
    from schemadoctor.snapshot import Snapshot, load_snapshot

    config = load_config(config_path)
    for db_url in db_urls:
        warn_password_on_command_line(db_url)
    if snapshot_path and db_urls:
        raise ConfigurationError("Give either --db or --snapshot, not both.")
    dbs: list[str | Snapshot] = (
        [load_snapshot(snapshot_path)]
        if snapshot_path
        else [config.resolve_url(db_url) for db_url in db_urls or (None,)]
    )
    remember_passwords(db for db in dbs if isinstance(db, str))
    timeouts = Timeouts(connect=connect_timeout, lock=lock_timeout, statement=statement_timeout)
    # Without a path, alembic.ini is looked for in cwd, then beside the configuration file.
    alembic_path = locate_alembic_config(
        alembic_config or config.alembic_config, also_in=config.root
    )

    with progress_display() as progress:
        reports = check_databases(
            list(model_targets or config.models),
            dbs,
            jobs=jobs,
            progress=progress,
            schemas=schemas or config.schemas,
            exclude_tables=exclude_tables or config.exclude_tables,
            include_tables=include_tables or config.include_tables,
            fail_on=fail_on or config.fail_on or "warning",
            timeouts=timeouts,
            ignore=config.ignore,
            alembic_config=alembic_path,
            probe=probe,
        )

    if len(reports) == 1:
        write_report(reports[0], format_name, output)
    else:
        write_reports(reports, format_name, output)
    sys.exit(max(report.exit_code for report in reports))


def write_report(report: Report, format_name: str, output: str | None) -> None:
    """Render the report to --output or stdout; the github format also fills the step summary."""
    from schemadoctor.report import render
    from schemadoctor.report.github import append_step_summary
    from schemadoctor.report.paths import repository_root

    root = repository_root()
    if output and output != "-":
        write_output(output, render(report, format_name, root=root))
    else:
        color = color_wanted(sys.stdout)
        # click.echo would strip the escape codes off a non-terminal, even under FORCE_COLOR.
        click.echo(render(report, format_name, color=color, root=root), nl=False, color=color)
    if format_name == "github":
        append_step_summary(report, root)


def write_reports(reports: list[Report], format_name: str, output: str | None) -> None:
    """Render the reports of several databases together to --output or stdout."""
    from schemadoctor.report.github import append_step_summary
    from schemadoctor.report.many import render_many
    from schemadoctor.report.paths import repository_root

    root = repository_root()
    if output and output != "-":
        write_output(output, render_many(reports, format_name, root=root))
    else:
        color = color_wanted(sys.stdout)
        click.echo(render_many(reports, format_name, color=color, root=root), nl=False, color=color)
    if format_name == "github":
        for report in reports:
            append_step_summary(report, root)


def remember_passwords(urls: Iterable[str]) -> None:
    """Tell the error handler every password, so that no message or traceback shows one."""
    app = click.get_current_context().find_object(Application)
    if app is not None:
        for url in urls:
            app.remember_password(url)


def write_output(path: str, text: str) -> None:
    """Write the report to ``--output``; a path that cannot be written is bad input."""
    from schemadoctor.errors import ConfigurationError

    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(
            f"Cannot write the report to {path!r} ({error.strerror or error}); "
            "check that the folder exists and is writable."
        ) from error
