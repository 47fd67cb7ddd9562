"""``schemadoctor check``."""

from __future__ import annotations

import sys

import click

from schemadoctor.cli.options import FAIL_ON, databases_options, model_options


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
@databases_options
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
    db_urls: tuple[str, ...],
    jobs: int,
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
    from schemadoctor.api import check_databases
    from schemadoctor.cli.progress import progress_display
    from schemadoctor.connect import Timeouts, resolve_url
    from schemadoctor.report import render
    from schemadoctor.report.many import render_many

    for db_url in db_urls:
        warn_password_on_command_line(db_url)
    urls = list(db_urls) or [resolve_url(None)]
    timeouts = Timeouts(connect=connect_timeout, lock=lock_timeout, statement=statement_timeout)

    with progress_display() as progress:
        reports = check_databases(
            list(model_targets),
            urls,
            jobs=jobs,
            progress=progress,
            schemas=schemas,
            exclude_tables=exclude_tables,
            include_tables=include_tables,
            fail_on=fail_on,
            timeouts=timeouts,
        )

    color = not output and sys.stdout.isatty()
    if len(reports) == 1:
        text = render(reports[0], format_name, color=color)
    else:
        text = render_many(reports, format_name, color=color)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)
    sys.exit(max(report.exit_code for report in reports))
