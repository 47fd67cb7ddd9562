"""``schemadoctor explain``."""

from __future__ import annotations

import json
import sys

import click

from schemadoctor.cli.options import config_option, database_options


@click.command("explain")
@click.argument("error_text", metavar="ERROR_TEXT")
@click.option(
    "--models",
    "model_targets",
    multiple=True,
    metavar="TARGET",
    help="Where the models are: package.module[:attr] or path/to/models.py[:attr].",
)
@database_options
@click.option(
    "--alembic-config",
    metavar="PATH",
    help="Alembic configuration for the cause; default: alembic.ini in the current directory.",
)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@config_option
def explain_command(
    error_text: str,
    model_targets: tuple[str, ...],
    db_url: str | None,
    schemas: tuple[str, ...],
    connect_timeout: float,
    lock_timeout: float,
    statement_timeout: float,
    alembic_config: str | None,
    format_name: str,
    config_path: str | None,
) -> None:
    """Explain a database error the application logged: diagnosis, cause and fix ('-': stdin).

    Example: schemadoctor explain "column conversations.workflow_config does not exist"
    --models app.models:Base --db postgresql://localhost/app
    """
    from schemadoctor.api import as_database, as_models
    from schemadoctor.config import load_config
    from schemadoctor.connect import Timeouts
    from schemadoctor.explain import explain_error
    from schemadoctor.migrations import locate_alembic_config

    config = load_config(config_path)
    text = sys.stdin.read() if error_text == "-" else error_text
    models = as_models(list(model_targets or config.models))
    timeouts = Timeouts(connect=connect_timeout, lock=lock_timeout, statement=statement_timeout)
    database = as_database(config.resolve_url(db_url), timeouts)
    alembic_path = locate_alembic_config(
        alembic_config or config.alembic_config, also_in=config.root
    )

    explanation = explain_error(
        text,
        models,
        database,
        alembic_config=alembic_path,
        schemas=schemas or config.schemas,
    )

    if format_name == "json":
        click.echo(json.dumps(explanation.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_explanation(explanation), nl=False)
    sys.exit(1 if explanation.confirmed else 0)


def render_explanation(explanation: object) -> str:
    """The explanation as aligned ``label: text`` lines."""
    from schemadoctor.explain import Explanation
    from schemadoctor.findings import Cause

    assert isinstance(explanation, Explanation)
    reference = explanation.reference
    names = {"postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB", "sqlite": "SQLite"}
    lines = [
        f"error:      {reference.message}  ({names[reference.dialect]}, "
        f"{reference.kind.replace('_', ' ')})",
        f"database:   {explanation.report.url}",
    ]
    migrations = explanation.report.migrations
    if migrations is not None:
        lines.append(f"migrations: {migrations.message}")
    for item in explanation.items:
        subject = f"{item['table']}.{item['column']}" if item["column"] else item["table"]
        lines.append("")
        lines.append(f"subject:    {subject}")
        lines.append(f"diagnosis:  {item['diagnosis']}")
        if item["cause"]:
            detail = f": {item['cause_detail']}" if item["cause_detail"] else ""
            lines.append(f"cause:      {Cause(item['cause']).label}{detail}")
        lines.append(f"fix:        {item['fix']}")
    return "\n".join(lines) + "\n"
