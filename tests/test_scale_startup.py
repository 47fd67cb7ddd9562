"""`schemadoctor --help` stays fast: no command's help imports SQLAlchemy."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
from schemadoctor.cli import main

def run(args):
    try:
        main(args, prog_name="schemadoctor")
    except SystemExit as stop:
        assert stop.code in (0, None), (args, stop.code)

run(["--help"])
imported = {"--help": sorted(m for m in ("sqlalchemy", "alembic") if m in sys.modules)}
for name in sorted(main.commands):
    run([name, "--help"])
    imported[name] = sorted(m for m in ("sqlalchemy", "alembic") if m in sys.modules)
sys.stderr.write(json.dumps(imported))
"""


def test_help_of_every_command_imports_no_sqlalchemy():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )

    imported = json.loads(result.stderr)
    assert "check" in imported
    assert imported == {name: [] for name in imported}
