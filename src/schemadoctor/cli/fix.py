"""``schemadoctor fix``."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import click

from schemadoctor.cli.check import warn_password_on_command_line
from schemadoctor.cli.options import FAIL_ON, config_option, database_options, model_options

if TYPE_CHECKING:
    from schemadoctor.plan import Plan


@click.command("fix")
@model_options
@database_options
@click.option(
    "--fail-on",
    type=FAIL_ON,
    default=None,
    help="Lowest severity of the findings to fix  [default: the configuration's, or warning]",
)
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Also drop, narrow, convert types and SET NOT NULL (data can be lost).",
)
@click.option(
    "--concurrently",
    is_flag=True,
    help="PostgreSQL: build indexes with CREATE INDEX CONCURRENTLY, after the transaction.",
)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(["sql", "alembic"]),
    default="sql",
    show_default=True,
    help="A SQL script, or an Alembic revision file.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the script here.")
@click.option(
    "--alembic-config",
    type=click.Path(exists=True, dir_okay=False),
    help="The alembic.ini whose head the revision follows  [default: the configuration's, "
    "or ./alembic.ini]",
)
@click.option("--message", "-m", default="fix schema drift", help="The revision's message.")
@click.option("--apply", "apply_", is_flag=True, help="Run the statements on the database.")
@click.option("--yes", "-y", is_flag=True, help="Apply without asking for confirmation.")
@config_option
def fix_command(
    model_targets: tuple[str, ...],
    exclude_tables: tuple[str, ...],
    include_tables: tuple[str, ...],
    db_url: str | None,
    schemas: tuple[str, ...],
    connect_timeout: float,
    lock_timeout: float,
    statement_timeout: float,
    fail_on: str | None,
    allow_destructive: bool,
    concurrently: bool,
    format_name: str,
    output: str | None,
    alembic_config: str | None,
    message: str,
    apply_: bool,
    yes: bool,
    config_path: str | None,
) -> None:
    """Print the statements that fix the drift; --apply runs them.

    Example: schemadoctor fix --models app.models:Base --db sqlite:///app.db --apply
    """
    from schemadoctor.api import CheckRequest, as_models, plan
    from schemadoctor.config import load_config
    from schemadoctor.connect import Timeouts
    from schemadoctor.errors import ConfigurationError
    from schemadoctor.findings import Severity
    from schemadoctor.plan import PlanOptions

    config = load_config(config_path)
    warn_password_on_command_line(db_url)
    url = config.resolve_url(db_url)
    if apply_ and format_name == "alembic":
        raise ConfigurationError(
            "--apply runs SQL; to apply an Alembic revision, write it with --format alembic "
            "and run alembic upgrade head."
        )
    if concurrently and format_name == "alembic":
        raise ConfigurationError(
            "--concurrently cannot be written into an Alembic revision; leave it out and wrap "
            "the index in op.get_context().autocommit_block() by hand."
        )
    request = CheckRequest(
        schemas=schemas or config.schemas,
        exclude_tables=exclude_tables or config.exclude_tables,
        include_tables=include_tables or config.include_tables,
        fail_on=Severity(fail_on or config.fail_on or "warning"),
        timeouts=Timeouts(connect=connect_timeout, lock=lock_timeout, statement=statement_timeout),
        ignore=config.ignore,
    )
    options = PlanOptions(allow_destructive=allow_destructive, concurrently=concurrently)
    models = as_models(list(model_targets or config.models))

    the_plan = plan(models, url, request, options)

    for warning in the_plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    artefact = _render(the_plan, format_name, alembic_config or config.alembic_config, message)
    if not apply_:
        _write(artefact, output)
        _summarize(the_plan)
        sys.exit(the_plan.exit_code)
    _apply(the_plan, artefact, output, models, url, request, options, yes)


def _render(the_plan: Plan, format_name: str, alembic_config: str | None, message: str) -> str:
    from schemadoctor.plan import render_alembic, render_sql

    if format_name == "sql":
        return render_sql(the_plan)
    down_revision = _alembic_head(alembic_config)
    return render_alembic(the_plan, uuid.uuid4().hex[:12], down_revision, message)


def _alembic_head(config_path: str | None) -> str | None:
    """The current head of the Alembic environment, when there is one."""
    from schemadoctor.errors import ConfigurationError

    path = Path(config_path) if config_path else Path("alembic.ini")
    if not path.is_file():
        return None
    try:
        from alembic.config import Config
        from alembic.script import ScriptDirectory
        from alembic.util.exc import CommandError

        script = ScriptDirectory.from_config(Config(str(path)))
        return script.get_current_head()
    except CommandError as error:
        raise ConfigurationError(
            f"The Alembic environment of {str(path)!r} has no single head ({error}); merge the "
            "heads first."
        ) from error


def _write(artefact: str, output: str | None) -> None:
    if output:
        Path(output).write_text(artefact, encoding="utf-8")
        click.echo(f"Wrote {output}", err=True)
    else:
        click.echo(artefact, nl=False)


def _summarize(the_plan: Plan) -> None:
    count = len(the_plan.statements)
    click.echo(
        f"{len(the_plan.changes)} change(s), {count} statement(s) planned; "
        f"{len(the_plan.skipped)} skipped.",
        err=True,
    )
    for change in the_plan.skipped:
        click.echo(f"skipped: {change.summary}: {change.skip_reason}", err=True)
    if the_plan.refused:
        click.echo(
            f"{len(the_plan.refused)} change(s) need --allow-destructive; they were left out.",
            err=True,
        )


def _apply(
    the_plan: Plan,
    artefact: str,
    output: str | None,
    models: object,
    url: str,
    request: object,
    options: object,
    yes: bool,
) -> None:
    from schemadoctor.apply import apply_fix
    from schemadoctor.errors import ApplyFailedError, ConfigurationError
    from schemadoctor.report import render

    click.echo(artefact, nl=False, err=True)
    if output:
        Path(output).write_text(artefact, encoding="utf-8")
    _summarize(the_plan)
    if the_plan.empty:
        click.echo("Nothing to apply.", err=True)
        sys.exit(the_plan.exit_code)
    if not yes:
        if not sys.stdin.isatty():
            raise ConfigurationError(
                "Refusing to apply without confirmation: there is no terminal to ask on; "
                "review the plan and pass --yes to apply it."
            )
        if not click.confirm(f"Apply {len(the_plan.statements)} statement(s)?", err=True):
            click.echo("Nothing was applied.", err=True)
            sys.exit(1)

    try:
        result = apply_fix(models, url, request, options, the_plan)  # type: ignore[arg-type]
    except ApplyFailedError as error:
        for statement in error.ran:
            click.echo(f"ran: {' '.join(statement.split())}", err=True)
        for statement in error.not_run:
            click.echo(f"not run: {' '.join(statement.split())}", err=True)
        raise

    click.echo(f"Applied {len(result.ran)} statement(s). Checking again:", err=True)
    click.echo(render(result.report, "text", color=sys.stdout.isatty()), nl=False)
    if result.report.in_sync:
        sys.exit(0)
    sys.exit(3 if result.plan.refused else 1)
