"""``schemadoctor snapshot``."""

from __future__ import annotations

from pathlib import Path

import click

from schemadoctor.cli.check import warn_password_on_command_line
from schemadoctor.cli.options import config_option, database_options


@click.command("snapshot")
@database_options
@click.option(
    "--models",
    "model_targets",
    multiple=True,
    metavar="TARGET",
    help="Also take the schemas these models name with Table.schema (repeatable).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="Write the snapshot here (default: stdout).",
)
@config_option
def snapshot_command(
    db_url: str | None,
    schemas: tuple[str, ...],
    connect_timeout: float,
    lock_timeout: float,
    statement_timeout: float,
    model_targets: tuple[str, ...],
    output: str | None,
    config_path: str | None,
) -> None:
    """Save the database's schema (no data, no credentials) as JSON, to check against later.

    Example: schemadoctor snapshot --db postgresql://app@db/app -o schema.json
    """
    from schemadoctor.api import model_schemas
    from schemadoctor.config import load_config
    from schemadoctor.connect import Timeouts, open_database
    from schemadoctor.load import load_models
    from schemadoctor.snapshot import render_snapshot, take_snapshot

    config = load_config(config_path)
    warn_password_on_command_line(db_url)
    timeouts = Timeouts(connect=connect_timeout, lock=lock_timeout, statement=statement_timeout)
    database = open_database(config.resolve_url(db_url), read_only=True, timeouts=timeouts)
    extra = sorted(model_schemas(load_models(list(model_targets)))) if model_targets else []

    snapshot = take_snapshot(database, schemas or config.schemas, extra)

    text = render_snapshot(snapshot)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(
            f"Saved {len(snapshot.shape.tables)} tables of {snapshot.source} to {output}.",
            err=True,
        )
    else:
        click.echo(text, nl=False)
