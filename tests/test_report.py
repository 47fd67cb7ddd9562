"""The report: text grouped by table, colour only when wanted, the JSON format, exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
CHAT_MODELS = str(ROOT / "examples" / "chat" / "models.py")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
NO_TERMINAL_HINTS = {"NO_COLOR": None, "FORCE_COLOR": None, "TERM": "xterm-256color"}


def _chat_metadata():
    from schemadoctor.load import load_models

    # load_models, not a plain import: another test may have imported a different "models".
    return load_models([CHAT_MODELS]).metadata[0]


@pytest.fixture
def drifted_sqlite(sqlite_url: str) -> Callable[..., str]:
    """The chat database made by create_all, then changed by the given statements."""

    def build(*statements: str) -> str:
        engine = create_engine(sqlite_url)
        _chat_metadata().create_all(engine)
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
        engine.dispose()
        return sqlite_url

    return build


ONE_OF_EACH = (
    "ALTER TABLE conversations DROP COLUMN workflow_config",  # error
    "DROP INDEX ix_conversations_user_updated",  # warning
    "CREATE TABLE audit_log (id INTEGER PRIMARY KEY)",  # info
)


def test_json_report_format(drifted_sqlite, run_cli):
    url = drifted_sqlite(*ONE_OF_EACH)

    result = run_cli("check", "--models", CHAT_MODELS, "--db", url, "--format", "json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["version"] == 1
    assert report["database"] == {"dialect": "sqlite", "url": url}
    assert report["summary"] == {"error": 1, "warning": 1, "info": 1}
    by_kind = {finding["kind"]: finding for finding in report["findings"]}
    assert set(by_kind) == {"missing_column", "missing_index", "extra_table"}
    for finding in report["findings"]:
        assert list(finding)[:10] == [
            "kind",
            "severity",
            "schema",
            "table",
            "column",
            "name",
            "expected",
            "actual",
            "message",
            "hint",
        ]
        assert finding["message"] and finding["hint"]
    column = by_kind["missing_column"]
    assert (column["severity"], column["table"], column["column"]) == (
        "error",
        "conversations",
        "workflow_config",
    )
    assert column["expected"] == "JSON" and column["actual"] is None
    assert column["location"]["path"].endswith("examples/chat/models.py")
    assert isinstance(column["location"]["line"], int)
    assert by_kind["extra_table"]["severity"] == "info"
    assert by_kind["missing_index"]["severity"] == "warning"


@pytest.mark.parametrize(
    ("statements", "fail_on", "exit_code"),
    [
        ((), "info", 0),
        (ONE_OF_EACH[2:], "warning", 0),
        (ONE_OF_EACH[2:], "info", 1),
        (ONE_OF_EACH[1:], "error", 0),
        (ONE_OF_EACH[1:], "warning", 1),
        (ONE_OF_EACH, "error", 1),
    ],
)
def test_fail_on_decides_the_exit_code(drifted_sqlite, run_cli, statements, fail_on, exit_code):
    url = drifted_sqlite(*statements)

    result = run_cli("check", "--models", CHAT_MODELS, "--db", url, "--fail-on", fail_on)

    assert result.exit_code == exit_code, result.stdout
    verdict = "drift found" if exit_code else "in sync"
    assert f"{verdict} (fail-on {fail_on})." in result.stdout


def test_default_fail_on_is_warning(drifted_sqlite, run_cli):
    url = drifted_sqlite(*ONE_OF_EACH[1:2])

    assert run_cli("check", "--models", CHAT_MODELS, "--db", url).exit_code == 1


def test_text_report_groups_by_table(drifted_sqlite, run_cli, monkeypatch):
    url = drifted_sqlite(*ONE_OF_EACH)
    monkeypatch.chdir(ROOT)

    result = run_cli("check", "--models", CHAT_MODELS, "--db", url, env=NO_TERMINAL_HINTS)

    lines = result.stdout.splitlines()
    assert lines[0] == f"schemadoctor {url} (sqlite, schema main)"
    headings = [line for line in lines if line and not line.startswith(" ")][1:-1]
    assert headings == ["main.audit_log", "main.conversations"]
    conversations = result.stdout.split("main.conversations", 1)[1]
    assert re.search(r"ERROR\s+missing_column\s+workflow_config", conversations)
    assert re.search(r"WARNING\s+missing_index\s+ix_conversations_user_updated", conversations)
    assert "models: JSON   database: (absent)" in conversations
    assert conversations.count("hint: ") == 2
    # Inside the current directory, locations are shown relative to it.
    assert "at examples/chat/models.py:" in conversations
    assert str(ROOT) not in result.stdout
    assert lines[-1] == "1 error, 1 warning, 1 info: drift found (fail-on warning)."
    assert not ANSI.search(result.stdout)


def test_colour_when_forced_to_a_terminal_and_never_with_no_color(drifted_sqlite, run_cli):
    url = drifted_sqlite(*ONE_OF_EACH[:1])
    args = ("check", "--models", CHAT_MODELS, "--db", url)

    plain = run_cli(*args, env=NO_TERMINAL_HINTS)
    forced = run_cli(*args, env={**NO_TERMINAL_HINTS, "FORCE_COLOR": "1"})
    refused = run_cli(*args, env={**NO_TERMINAL_HINTS, "FORCE_COLOR": "1", "NO_COLOR": "1"})

    assert not ANSI.search(plain.stdout)
    assert ANSI.search(forced.stdout)
    assert ANSI.sub("", forced.stdout) == plain.stdout
    assert refused.stdout == plain.stdout


def test_render_text_colour_switch(drifted_sqlite, monkeypatch):
    from schemadoctor.api import check
    from schemadoctor.report import render

    monkeypatch.delenv("NO_COLOR", raising=False)
    report = check(CHAT_MODELS, drifted_sqlite(*ONE_OF_EACH[:1]))

    coloured = render(report, "text", color=True)
    assert ANSI.search(coloured)
    assert not ANSI.search(render(report, "text", color=False))
    monkeypatch.setenv("NO_COLOR", "1")
    assert render(report, "text", color=True) == ANSI.sub("", coloured)


def test_colour_on_a_real_terminal(drifted_sqlite):
    url = drifted_sqlite(*ONE_OF_EACH[:1])
    command = [sys.executable, "-m", "schemadoctor", "check", "--models", CHAT_MODELS]
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["TERM"] = "xterm-256color"

    # script(1) gives the child a pseudo-terminal, as a developer's shell would.
    on_tty = subprocess.run(
        ["script", "-qec", " ".join([*command, "--db", url]), "/dev/null"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    piped = subprocess.run([*command, "--db", url], capture_output=True, text=True, env=env)

    assert ANSI.search(on_tty.stdout)
    assert not ANSI.search(piped.stdout)


def test_output_file(drifted_sqlite, run_cli, tmp_path):
    url = drifted_sqlite(*ONE_OF_EACH[:1])
    target = tmp_path / "report.json"

    result = run_cli(
        "check", "--models", CHAT_MODELS, "--db", url, "--format", "json", "-o", str(target)
    )

    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads(target.read_text())["summary"]["error"] == 1


def test_version_and_python_dash_m(run_cli):
    from schemadoctor import __version__

    result = run_cli("--version")
    child = subprocess.run(
        [sys.executable, "-m", "schemadoctor", "--version"], capture_output=True, text=True
    )

    assert result.exit_code == 0 and child.returncode == 0
    assert result.stdout == child.stdout == f"schemadoctor, version {__version__}\n"


def test_every_command_has_help(run_cli):
    from schemadoctor.cli import main

    assert main.commands, "no commands registered"
    for name, command in main.commands.items():
        result = run_cli(name, "--help")
        assert result.exit_code == 0, name
        assert (command.help or "").strip(), f"{name} has no help text"
        summary = command.get_short_help_str(limit=200)
        assert summary and summary in " ".join(result.stdout.split()), name
        assert "Example:" in result.stdout, f"{name} --help shows no example"
        for parameter in command.params:
            if isinstance(parameter, __import__("click").Option) and not parameter.hidden:
                assert parameter.help, f"{name} {parameter.opts[0]} has no help"


def test_help_is_fast():
    # --help must not import SQLAlchemy: it answers before the heavy imports happen.
    code = "import sys; from schemadoctor.cli import main; print('sqlalchemy' in sys.modules)"
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert child.stdout.strip() == "False", child.stderr


def _readme_block(language: str, containing: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(rf"```{language}\n(.*?)```", readme, flags=re.S)
    return next(block for block in blocks if containing in block)


def test_readme_json_example_is_what_check_prints(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    database = tmp_path / "chat.db"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "chat" / "make_database.py"),
            f"sqlite:///{database}",
        ],
        check=True,
        capture_output=True,
    )
    documented = json.loads(_readme_block("json", '"version": 1'))

    result = run_cli(
        "check",
        "--models",
        "examples/chat/models.py",
        "--db",
        f"sqlite:///{database}",
        "--format",
        "json",
    )

    printed = json.loads(result.stdout)
    printed["database"]["url"] = documented["database"]["url"]
    # Fields may be added within a version (README says so): compare the documented ones.
    assert {key: printed[key] for key in documented if key != "findings"} == {
        key: value for key, value in documented.items() if key != "findings"
    }
    assert len(printed["findings"]) == len(documented["findings"]) == 1
    finding = printed["findings"][0]
    assert {key: finding[key] for key in documented["findings"][0]} == documented["findings"][0]


def test_readme_quick_start_shows_the_real_text_report(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    database = tmp_path / "chat.db"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "chat" / "make_database.py"),
            f"sqlite:///{database}",
        ],
        check=True,
        capture_output=True,
    )
    shown = _readme_block("console", "schemadoctor exited with 1").splitlines()
    url = "sqlite:///examples/chat/chat.db"

    result = run_cli(
        "check",
        "--models",
        "examples/chat/models.py",
        "--db",
        f"sqlite:///{database}",
        env=NO_TERMINAL_HINTS,
    )

    assert result.exit_code == 1
    printed = result.stdout.replace(f"sqlite:///{database}", url).splitlines()
    assert shown[1:-1] == printed


def test_json_details_tell_widening_from_an_incompatible_type(postgresql_url, writable_engine):
    from sqlalchemy import Column, Integer, MetaData, String, Table

    from schemadoctor import check
    from schemadoctor.report.json import report_data

    metadata = MetaData()
    Table(
        "accounts",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(100)),
        Column("balance", Integer),
    )
    with writable_engine(postgresql_url).begin() as connection:
        connection.execute(
            text("CREATE TABLE accounts (id integer PRIMARY KEY, name varchar(50), balance text)")
        )

    findings = report_data(check(metadata, postgresql_url))["findings"]

    relations = {
        f["column"]: (f["severity"], f["details"]["relation"])
        for f in findings
        if f["kind"] == "type_mismatch"
    }
    assert relations == {"name": ("warning", "narrower"), "balance": ("error", "incompatible")}
