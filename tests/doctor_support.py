"""Helpers for the doctor tests: the chat Alembic example, built one revision behind."""

from __future__ import annotations

import runpy
import shutil
import subprocess
import sys
import textwrap
from argparse import Namespace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "chat_alembic"
ALEMBIC_INI = str(EXAMPLE / "alembic.ini")
MODELS = str(ROOT / "examples" / "chat" / "models.py")
ONE_BEHIND = "8a4e6f2d1b33"
HEAD = "ef29b1af6dfe"
HEAD_FILE = "ef29b1af6dfe_add_workflow_config_column_to_conversations.py"


def build_one_behind(url: str) -> None:
    """The example database at the revision before the one that adds workflow_config."""
    # In-process (the example's own main) to keep the suite fast; the script is the same.
    runpy.run_path(str(EXAMPLE / "make_database.py"))["main"](url)


def alembic(url: str, *args: str, ini: str = ALEMBIC_INI) -> None:
    """Run the real alembic command line on the database, in a process of its own."""
    command = [sys.executable, "-m", "alembic", "-c", ini, "-x", f"url={url}", *args]
    subprocess.run(command, check=True, capture_output=True)


def upgrade(url: str, revision: str = "head") -> None:
    """``alembic upgrade`` through Alembic's command API, in this process."""
    from alembic import command
    from alembic.config import Config

    config = Config(ALEMBIC_INI)
    config.cmd_opts = Namespace(x=[f"url={url}"])
    command.upgrade(config, revision)


def copy_project(tmp_path: Path) -> Path:
    """A copy of the example's Alembic project that a test may change; returns its ini."""
    target = tmp_path / "project"
    shutil.copytree(EXAMPLE / "migrations", target / "migrations")
    ini = target / "alembic.ini"
    ini.write_text(
        "[alembic]\n"
        "script_location = %(here)s/migrations\n"
        "path_separator = os\n"
        f"prepend_sys_path = {ROOT / 'examples' / 'chat'}\n"
    )
    return ini


def write_revision(ini: Path, revision: str, down: str, body: str, message: str) -> Path:
    """Add a revision file with ``body`` as its upgrade() to the copied project."""
    path = ini.parent / "migrations" / "versions" / f"{revision}_test.py"
    path.write_text(
        f'"""{message}"""\n\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = {revision!r}\ndown_revision = {down!r}\n"
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade():\n" + textwrap.indent(textwrap.dedent(body).strip(), "    ") + "\n"
    )
    return path


def changed_models(tmp_path: Path) -> str:
    """The chat models plus conversations.archived_at, which no migration adds."""
    source = (ROOT / "examples" / "chat" / "models.py").read_text()
    source = source.replace(
        "    workflow_config:",
        "    archived_at: Mapped[datetime | None]\n    workflow_config:",
    )
    path = tmp_path / "chat_models_changed.py"
    path.write_text(source)
    return str(path)
