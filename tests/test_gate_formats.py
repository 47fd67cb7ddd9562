"""SARIF, JUnit, GitHub and Markdown reports: valid, and located at the model's lines."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from gate_support import build_drifted_database, line_of, write_models

# The OASIS SARIF 2.1.0 schema is kept in tests/data, so that a fresh clone validates too.
SCHEMA_NAME = "shared/schemas/sarif-schema-2.1.0.json"
REPOSITORY = Path(__file__).resolve().parents[1]
VENDORED_SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"


def _sarif_schema() -> dict:
    candidates = (
        VENDORED_SCHEMA,
        REPOSITORY.parent / SCHEMA_NAME,
        REPOSITORY.parents[1] / SCHEMA_NAME,
    )
    for candidate in candidates:
        if candidate.is_file():
            return json.loads(candidate.read_text(encoding="utf-8"))
    pytest.fail("the SARIF 2.1.0 schema (shared/schemas/sarif-schema-2.1.0.json) is missing")


@pytest.fixture
def repo(tmp_path, monkeypatch, sqlite_url, writable_engine):
    """A repository root (it has .git) holding the models, as the current directory."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "app").mkdir()
    models = write_models(root / "app")
    build_drifted_database(writable_engine(sqlite_url))
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return root, models, sqlite_url


def test_sarif_validates_and_points_at_the_model_lines(repo, run_cli):
    _, models, url = repo

    result = run_cli("check", "--models", str(models), "--db", url, "--format", "sarif")

    assert result.exit_code == 1, result.stderr
    log = json.loads(result.stdout)
    jsonschema.validate(log, _sarif_schema())
    run = log["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert len(rules) == len(set(rules)) == 15
    relative = f"app/{models.name}"
    located = {
        (r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]): (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["level"],
        )
        for r in run["results"]
    }
    assert located == {
        ("missing_column", "main.accounts.nickname"): (
            relative,
            line_of(models, "nickname: Mapped"),
            "error",
        ),
        ("missing_table", "main.ledgers"): (relative, line_of(models, "class Ledger"), "error"),
        # A table only the database has is anchored at the models' file: code scanning
        # rejects a result without a file.
        ("extra_table", "main.legacy"): (relative, 1, "note"),
    }
    for result_item in run["results"]:
        assert rules[result_item["ruleIndex"]] == result_item["ruleId"]


def test_junit_has_a_case_per_table_and_a_failure_per_finding_at_fail_on(repo, run_cli, tmp_path):
    _, models, url = repo
    output = tmp_path / "report.xml"

    result = run_cli(
        "check", "--models", str(models), "--db", url, "--format", "junit", "-o", str(output)
    )
    strict = run_cli("check", "--models", str(models), "--db", url, "--format", "junit")
    lenient = run_cli(
        "check", "--models", str(models), "--db", url, "--format", "junit", "--fail-on", "info"
    )

    assert result.exit_code == strict.exit_code == lenient.exit_code == 1
    assert result.stdout == ""
    for xml, expected in (
        (output.read_text(encoding="utf-8"), {"main.accounts": 1, "main.ledgers": 1}),
        (lenient.stdout, {"main.accounts": 1, "main.ledgers": 1, "main.legacy": 1}),
    ):
        suites = JUnitXml.fromstring(xml)
        cases = {
            f"{case.classname.removeprefix('schemadoctor.')}.{case.name}": [
                r for r in case.result if isinstance(r, Failure)
            ]
            for suite in suites
            for case in suite
        }
        assert set(cases) == {"main.accounts", "main.ledgers", "main.legacy"}
        assert {k: len(v) for k, v in cases.items() if v} == expected
        assert [f.type for f in cases["main.accounts"]] == ["missing_column"]
        assert "nickname" in cases["main.accounts"][0].text


def test_junit_case_without_drift_passes(repo, run_cli):
    _, models, url = repo

    result = run_cli(
        "check", "--models", str(models), "--db", url, "--format", "junit", "--fail-on", "error"
    )

    suites = JUnitXml.fromstring(result.stdout)
    legacy = [case for suite in suites for case in suite if case.name == "legacy"]
    assert len(legacy) == 1 and legacy[0].is_passed
    assert "extra_table" in (legacy[0].system_out or "")


def test_github_annotations_name_the_model_file_and_line(repo, run_cli, tmp_path, monkeypatch):
    _, models, url = repo
    summary = tmp_path / "step-summary.md"
    summary.write_text("# Earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    result = run_cli("check", "--models", str(models), "--db", url, "--format", "github")

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    relative = f"app/{models.name}"
    nickname = line_of(models, "nickname: Mapped")
    ledger = line_of(models, "class Ledger")
    assert any(
        line.startswith(f"::error file={relative},line={nickname},title=")
        and "accounts.nickname" in line
        for line in lines
    ), lines
    assert any(
        line.startswith(f"::error file={relative},line={ledger},title=") and "ledgers" in line
        for line in lines
    ), lines
    assert any(line.startswith("::notice ") and "legacy" in line for line in lines), lines
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# Earlier step\n")
    assert "### schemadoctor: drift found" in text
    assert f"`{relative}:{nickname}`" in text


def test_markdown_table_lists_each_finding(repo, run_cli):
    _, models, url = repo

    result = run_cli("check", "--models", str(models), "--db", url, "--format", "markdown")

    assert result.exit_code == 1
    rows = [line for line in result.stdout.splitlines() if line.startswith("| **")]
    assert len(rows) == 3
    assert any("missing_column" in row and "`main.accounts.nickname`" in row for row in rows)
    assert "2 errors, 0 warnings, 1 info" in result.stdout


def test_check_without_drift_writes_valid_empty_sarif(
    tmp_path, run_cli, sqlite_url, writable_engine
):
    from gate_support import import_file

    models = write_models(tmp_path)
    import_file(models).Base.metadata.create_all(writable_engine(sqlite_url))

    result = run_cli("check", "--models", str(models), "--db", sqlite_url, "--format", "sarif")

    assert result.exit_code == 0, result.stdout
    log = json.loads(result.stdout)
    jsonschema.validate(log, _sarif_schema())
    assert log["runs"][0]["results"] == []


def test_several_databases_give_one_sarif_run_and_a_junit_suite_each(
    tmp_path, monkeypatch, run_cli, writable_engine
):
    from gate_support import import_file

    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    models = write_models(root)
    shard_a, shard_b = (f"sqlite:///{root / name}.db" for name in ("shard_a", "shard_b"))
    build_drifted_database(writable_engine(shard_a))
    import_file(models).Base.metadata.create_all(writable_engine(shard_b))
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    check = ("check", "--models", str(models), "--db", shard_a, "--db", shard_b, "--format")

    sarif = run_cli(*check, "sarif")
    junit = run_cli(*check, "junit")
    github = run_cli(*check, "github")

    assert sarif.exit_code == junit.exit_code == github.exit_code == 1, sarif.stderr
    log = json.loads(sarif.stdout)
    jsonschema.validate(log, _sarif_schema())
    assert len(log["runs"]) == 1
    results = log["runs"][0]["results"]
    assert len(results) == 3
    assert {r["properties"]["database"] for r in results} == {
        "sqlite:///" + str(root / "shard_a.db")
    }
    suites = list(JUnitXml.fromstring(junit.stdout))
    assert [suite.failures for suite in suites] == [2, 0]
    assert [suite.tests for suite in suites] == [3, 2]
    errors = [line for line in github.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == 2 and all(f"file={models.name}," in line for line in errors)
    assert github.stdout.rstrip().endswith("drift in sqlite:///" + str(root / "shard_a.db") + ".")
