"""A configured repository: check with no options, ignore rules with reasons, until dates."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gate_support import APP_MODELS, build_drifted_database, import_file, write_models


@pytest.fixture
def configured(tmp_path, monkeypatch, sqlite_url, writable_engine):
    """A repository whose pyproject.toml names the models and the URL's variable."""
    models = write_models(tmp_path)
    build_drifted_database(writable_engine(sqlite_url))
    monkeypatch.setenv("APP_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("SCHEMADOCTOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    (tmp_path / "src" / "deep").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "src" / "deep")

    def configure(extra: str = "") -> None:
        (tmp_path / "pyproject.toml").write_text(
            "[project]\nname = 'app'\n\n"
            "[tool.schemadoctor]\n"
            f'models = ["{models.name}"]\n'
            'url-env = "APP_DATABASE_URL"\n' + extra,
            encoding="utf-8",
        )

    return configure


def _kinds(report: dict, key: str = "findings") -> list[tuple[str, str, str | None]]:
    return [(f["kind"], f["table"], f["column"]) for f in report[key]]


def test_configured_repository_checks_with_no_options(configured, run_cli):
    configured()

    result = run_cli("check")

    assert result.exit_code == 1, result.stderr
    assert "missing_column" in result.stdout and "nickname" in result.stdout
    assert "2 errors, 0 warnings, 1 info: drift found" in result.stdout


def test_fail_on_from_the_file_and_the_option_overrides_it(configured, run_cli):
    configured(
        'fail-on = "error"\nexclude-tables = ["ledgers"]\n'
        '[[tool.schemadoctor.ignore]]\nkind = "missing_column"\ntable = "accounts"\n'
        'reason = "added by the next release"\n'
    )

    from_file = run_cli("check")
    overridden = run_cli("check", "--fail-on", "info")

    assert from_file.exit_code == 0, from_file.stdout
    assert "0 errors, 0 warnings, 1 info, 1 ignored: in sync (fail-on error)" in from_file.stdout
    assert overridden.exit_code == 1


def test_ignore_rule_silences_exactly_the_findings_it_names(configured, run_cli):
    configured(
        "[[tool.schemadoctor.ignore]]\n"
        'kind = "missing_column"\ntable = "acc*"\ncolumn = "nickname"\n'
        'reason = "the column ships with release 42"\n'
    )

    result = run_cli("check", "--format", "json")

    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert _kinds(report) == [("missing_table", "ledgers", None), ("extra_table", "legacy", None)]
    assert _kinds(report, "ignored") == [("missing_column", "accounts", "nickname")]
    assert report["ignored"][0]["ignored"] == {
        "reason": "the column ships with release 42",
        "until": None,
    }
    assert report["summary"] == {"error": 1, "warning": 0, "info": 1}
    text = run_cli("check")
    assert "1 error, 0 warnings, 1 info, 1 ignored: drift found" in text.stdout
    assert "the column ships with release 42" in text.stdout


def test_ignore_rule_until_a_future_date_silences(configured, run_cli):
    configured(
        '[[tool.schemadoctor.ignore]]\nkind = ["missing_table", "extra_table"]\n'
        'reason = "tables move in Q3"\nuntil = 2999-12-31\n'
    )

    report = json.loads(run_cli("check", "--format", "json").stdout)

    assert _kinds(report) == [("missing_column", "accounts", "nickname")]
    assert sorted(_kinds(report, "ignored")) == [
        ("extra_table", "legacy", None),
        ("missing_table", "ledgers", None),
    ]


def test_expired_ignore_rule_stops_silencing_and_says_so(configured, run_cli):
    configured(
        '[[tool.schemadoctor.ignore]]\nkind = "missing_column"\ntable = "accounts"\n'
        'reason = "temporary"\nuntil = 2001-02-03\n'
    )

    result = run_cli("check", "--format", "json")

    report = json.loads(result.stdout)
    assert ("missing_column", "accounts", "nickname") in _kinds(report)
    assert report["ignored"] == []
    assert any("expired on 2001-02-03" in warning for warning in report["warnings"])
    assert "expired on 2001-02-03" in run_cli("check").stdout


def test_ignore_rule_without_reason_is_a_configuration_error(configured, run_cli):
    configured('[[tool.schemadoctor.ignore]]\nkind = "extra_table"\ntable = "legacy"\n')

    result = run_cli("check")

    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ") and "ignore rule 1 has no reason" in lines[0]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ('fail-on = "fatal"', "fail-on = 'fatal'"),
        ('modles = ["x"]', "unknown schemadoctor setting(s) modles"),
        ('[[tool.schemadoctor.ignore]]\nkind = "missing_colum"\nreason = "r"', "unknown kind"),
        (
            '[[tool.schemadoctor.ignore]]\nkind = "extra_table"\nreason = "r"\nuntil = "soon"',
            "until",
        ),
    ],
)
def test_bad_settings_are_one_sentence_errors(configured, run_cli, setting, message):
    configured(setting + "\n")

    result = run_cli("check")

    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unset_url_variable_is_named_in_the_error(configured, run_cli, monkeypatch):
    configured()
    monkeypatch.delenv("APP_DATABASE_URL")

    result = run_cli("check")

    assert result.exit_code == 2
    assert "$APP_DATABASE_URL" in result.stderr


def test_schemadoctor_toml_and_explicit_config(tmp_path, run_cli, sqlite_url, writable_engine):
    models = write_models(tmp_path)
    build_drifted_database(writable_engine(sqlite_url))
    config = tmp_path / "ci" / "schemadoctor.toml"
    config.parent.mkdir()
    config.write_text(
        f'models = ["../{models.name}"]\ninclude-tables = ["accounts"]\n', encoding="utf-8"
    )

    result = run_cli("check", "--config", str(config), "--db", sqlite_url, "--format", "json")

    assert result.exit_code == 1, result.stderr
    assert _kinds(json.loads(result.stdout)) == [("missing_column", "accounts", "nickname")]


def _hook_command() -> list[str]:
    """The pre-commit hook's entry and default args, read from .pre-commit-hooks.yaml."""
    text = (Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml").read_text("utf-8")
    entry = re.search(r"^\s+entry:\s*(.+)$", text, re.MULTILINE)
    args = re.search(r"^\s+args:\s*(\[.*\])$", text, re.MULTILINE)
    assert entry and args, "the hook needs an entry and args"
    return entry.group(1).split() + json.loads(args.group(1))


def test_pre_commit_hook_checks_the_models_against_the_committed_snapshot(
    tmp_path, monkeypatch, sqlite_url, writable_engine, run_cli
):
    command = _hook_command()
    assert command[0] == "schemadoctor"
    models = write_models(tmp_path)
    import_file(models).Base.metadata.create_all(writable_engine(sqlite_url))
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.schemadoctor]\nmodels = ["{models.name}"]\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    run_cli("snapshot", "--db", sqlite_url, "-o", "schema.json")

    in_sync = run_cli(*command[1:])
    drifted = write_models(tmp_path, APP_MODELS.replace("String(30)", "String(60)"))
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.schemadoctor]\nmodels = ["{drifted.name}"]\n', encoding="utf-8"
    )
    after_edit = run_cli(*command[1:])

    assert in_sync.exit_code == 0, in_sync.stdout + in_sync.stderr
    assert after_edit.exit_code == 1
    assert "type_mismatch" in after_edit.stdout and "nickname" in after_edit.stdout


def test_configuration_outside_the_repository_is_not_read(tmp_path, monkeypatch, run_cli):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schemadoctor]\nmodels = ["elsewhere.py"]\n', encoding="utf-8"
    )
    repository = tmp_path / "repository"
    (repository / ".git").mkdir(parents=True)
    monkeypatch.chdir(repository)
    monkeypatch.delenv("SCHEMADOCTOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)

    result = run_cli("check", "--db", "sqlite:///absent.db")

    assert result.exit_code == 2
    assert "No models were given" in result.stderr
