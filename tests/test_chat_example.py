"""The incident's shape: the chat database lacks conversations.workflow_config."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = str(ROOT / "examples" / "chat" / "models.py")


def _build(url: str) -> None:
    script = ROOT / "examples" / "chat" / "make_database.py"
    subprocess.run([sys.executable, str(script), url], check=True, capture_output=True)


def test_missing_workflow_config_is_the_only_finding(db_url, run_cli):
    _build(db_url)

    result = run_cli("check", "--models", MODELS, "--db", db_url, "--format", "json")

    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    kinds = [(f["kind"], f["table"], f["column"], f["severity"]) for f in report["findings"]]
    assert kinds == [("missing_column", "conversations", "workflow_config", "error")]
    assert report["summary"] == {"error": 1, "warning": 0, "info": 0}


def test_text_report_names_the_column(sqlite_url, run_cli):
    _build(sqlite_url)

    result = run_cli("check", "--models", MODELS, "--db", sqlite_url)

    assert result.exit_code == 1
    assert "missing_column" in result.stdout
    assert "workflow_config" in result.stdout
    assert "1 error, 0 warnings, 0 info: drift found" in result.stdout
