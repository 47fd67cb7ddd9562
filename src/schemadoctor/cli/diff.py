"""``schemadoctor diff``."""

from __future__ import annotations

import sys

import click

from schemadoctor.cli.check import write_report
from schemadoctor.cli.options import FAIL_ON, FORMATS, config_option


@click.command("diff")
@click.argument("source")
@click.argument("target")
@click.option(
    "--schema",
    "schemas",
    multiple=True,
    metavar="NAME",
    help="Schema to compare on both sides (repeatable); default: each side's default.",
)
@click.option(
    "--exclude-table", "exclude_tables", multiple=True, metavar="GLOB", help="Leave out tables."
)
@click.option(
    "--include-table", "include_tables", multiple=True, metavar="GLOB", help="Compare only these."
)
@click.option(
    "--dialect",
    "dialect_name",
    type=click.Choice(["postgresql", "mysql", "mariadb", "sqlite"]),
    help="Dialect to spell types in when both sides are models.",
)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option("--fail-on", type=FAIL_ON, default=None, help="Lowest severity that fails.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report here.")
@config_option
def diff_command(
    source: str,
    target: str,
    schemas: tuple[str, ...],
    exclude_tables: tuple[str, ...],
    include_tables: tuple[str, ...],
    dialect_name: str | None,
    format_name: str,
    fail_on: str | None,
    output: str | None,
    config_path: str | None,
) -> None:
    """Compare two of: database URL, snapshot file, models; SOURCE is the expected side.

    Example: schemadoctor diff postgresql://staging/app production-schema.json
    """
    from schemadoctor.config import load_config
    from schemadoctor.diff import diff

    config = load_config(config_path)

    report = diff(
        source,
        target,
        schemas=schemas,
        exclude_tables=exclude_tables or config.exclude_tables,
        include_tables=include_tables or config.include_tables,
        fail_on=fail_on or config.fail_on or "warning",
        dialect_name=dialect_name,
        ignore=config.ignore,
    )

    write_report(report, format_name, output)
    sys.exit(report.exit_code)
