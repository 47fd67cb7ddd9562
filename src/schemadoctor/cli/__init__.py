"""The command line: a thin click layer over the library; errors become one sentence."""

from __future__ import annotations

import gc
import logging
import sys
import traceback
from typing import Any

import click

from schemadoctor import __version__


class Application:
    """State shared by every command: verbosity, --debug, and where messages go."""

    def __init__(self, debug: bool, verbosity: int) -> None:
        self.debug = debug
        self.verbosity = verbosity
        self.secrets: set[str] = set()

    def warn(self, message: str) -> None:
        """A warning on stderr."""
        click.echo(f"warning: {message}", err=True)

    def remember_password(self, url_text: str) -> None:
        """Keep the URL's password (raw and URL-encoded) so that no error message shows it."""
        import urllib.parse

        from sqlalchemy.engine import make_url

        try:
            password = make_url(url_text).password
        except Exception:  # noqa: BLE001 - a malformed URL is reported later, by parse_url
            return
        if password:
            text = str(password)
            self.secrets.update(
                v for v in (text, urllib.parse.quote(text, safe=""), urllib.parse.quote(text)) if v
            )

    def mask(self, text: str) -> str:
        """Text with every URL password and every remembered password replaced by ***."""
        from schemadoctor.connect import mask_text

        masked = mask_text(text)
        for secret in sorted(self.secrets, key=len, reverse=True):
            masked = masked.replace(secret, "***")
        return masked


def color_wanted(stream: Any, environ: Any = None) -> bool:
    """Colour only on a terminal; NO_COLOR turns it off and FORCE_COLOR on (no-color.org)."""
    import os

    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class DoctorGroup(click.Group):
    """Maps every error to one sentence on stderr and its exit code, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            # click would print "Aborted!" and exit 1, which a CI gate reads as drift found.
            click.echo("error: interrupted before the command finished; run it again.", err=True)
            ctx.exit(2)
        except Exception as error:  # noqa: BLE001 - the one place that turns errors into exits
            _fail(ctx, error)


def _fail(ctx: click.Context, error: BaseException) -> None:
    from schemadoctor.errors import SchemaDoctorError

    app = ctx.find_root().obj
    if not isinstance(app, Application):
        app = Application(debug=False, verbosity=0)
    debug = bool(ctx.find_root().params.get("debug"))
    if debug:
        click.echo(app.mask("".join(traceback.format_exception(error))), err=True)
    if isinstance(error, SchemaDoctorError):
        click.echo(f"error: {' '.join(app.mask(str(error)).split())}", err=True)
        ctx.exit(error.exit_code)
    message = " ".join(app.mask(str(error)).split())[:300]
    click.echo(
        f"error: unexpected {type(error).__name__}: {message}; rerun with --debug for details.",
        err=True,
    )
    ctx.exit(2)


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING
    if verbosity == 1:
        level = logging.INFO
    elif verbosity >= 2:
        level = logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("schemadoctor")
    root.handlers[:] = [handler]
    root.setLevel(level)


@click.group(cls=DoctorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="schemadoctor")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
@click.option("-v", "--verbose", count=True, help="Log progress on stderr (-vv for debug).")
@click.pass_context
def main(ctx: click.Context, debug: bool, verbose: int) -> None:
    """Find the drift between SQLAlchemy models and the live database.

    Example: schemadoctor check --models app.models:Base --db postgresql://localhost/app
    """
    _configure_logging(verbose)
    ctx.obj = Application(debug=debug, verbosity=verbose)


def run() -> None:
    """The ``schemadoctor`` command: ``main`` in a process of its own."""
    # One command is one short process whose objects live until it exits: the cyclic garbage
    # collector would only walk the imported models again and again (seconds at 3,000 classes,
    # a sixth of importing them), and it finds next to nothing to free. Callers of ``main`` in
    # a process of theirs (click's test runner) keep their collector.
    gc.disable()
    main()


from schemadoctor.cli.check import check_command  # noqa: E402
from schemadoctor.cli.diff import diff_command  # noqa: E402
from schemadoctor.cli.explain import explain_command  # noqa: E402
from schemadoctor.cli.snapshot import snapshot_command  # noqa: E402

main.add_command(check_command)
main.add_command(snapshot_command)
main.add_command(diff_command)
main.add_command(explain_command)

from schemadoctor.cli.fix import fix_command  # noqa: E402

main.add_command(fix_command)
