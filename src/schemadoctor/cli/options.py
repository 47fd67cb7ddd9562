"""Options shared by the commands that read the models and the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

FAIL_ON = click.Choice(["error", "warning", "info"])
# The report formats; kept here (not imported from report/) so that --help stays fast.
FORMATS = ("text", "json", "sarif", "junit", "github", "markdown")


def config_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """--config: the configuration file, instead of searching from the current folder up."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        help="Configuration file (default: schemadoctor.toml or pyproject.toml, found upward).",
    )(function)


def database_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """--db, --schema and the timeouts."""
    return _database_options(function, many=False)


def databases_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """--db (repeatable: several databases or shards), --schema, --jobs and the timeouts."""
    function = click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=1, max=32),
        default=1,
        show_default=True,
        help="Connections reading at once (schema batches, or databases with several --db).",
    )(function)
    return _database_options(function, many=True)


def _database_options(function: Callable[..., Any], many: bool) -> Callable[..., Any]:
    options = [
        click.option(
            "--db",
            "db_urls" if many else "db_url",
            metavar="URL",
            multiple=many,
            help="Database URL; defaults to $SCHEMADOCTOR_DATABASE_URL, then $DATABASE_URL."
            + (" Repeat it to check several databases (shards)." if many else ""),
        ),
        click.option(
            "--schema",
            "schemas",
            multiple=True,
            metavar="NAME",
            help="Schema to check (repeatable, globs allowed); default: the database's default.",
        ),
        click.option(
            "--connect-timeout",
            type=click.FloatRange(min=0.5),
            default=10.0,
            show_default=True,
            help="Seconds to wait for a connection.",
        ),
        click.option(
            "--lock-timeout",
            type=click.FloatRange(min=0.1),
            default=5.0,
            show_default=True,
            help="Seconds to wait for a lock before giving up.",
        ),
        click.option(
            "--statement-timeout",
            type=click.FloatRange(min=0.1),
            default=120.0,
            show_default=True,
            help="Seconds one catalog query may run.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def model_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """--models, --exclude-table, --include-table."""
    options = [
        click.option(
            "--models",
            "model_targets",
            multiple=True,
            metavar="TARGET",
            help="Where the models are: package.module[:attr] or path/to/models.py[:attr].",
        ),
        click.option(
            "--exclude-table",
            "exclude_tables",
            multiple=True,
            metavar="GLOB",
            help="Leave out tables whose name (or schema.name) matches (repeatable).",
        ),
        click.option(
            "--include-table",
            "include_tables",
            multiple=True,
            metavar="GLOB",
            help="Check only tables whose name (or schema.name) matches (repeatable).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function
