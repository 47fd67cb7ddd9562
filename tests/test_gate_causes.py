"""Diagnosed causes in the CI formats, with the Alembic project named by the configuration."""

from __future__ import annotations

import json

from junitparser import JUnitXml

from doctor_support import ALEMBIC_INI, HEAD, MODELS, build_one_behind


def test_configured_alembic_project_puts_causes_in_every_ci_format(
    tmp_path, monkeypatch, sqlite_url, run_cli
):
    build_one_behind(sqlite_url)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.schemadoctor]\n"
        f'models = ["{MODELS}"]\n'
        f'alembic-config = "{ALEMBIC_INI}"\n'
        'url-env = "APP_URL"\n',
        encoding="utf-8",
    )
    (tmp_path / "deploy").mkdir()
    monkeypatch.chdir(tmp_path / "deploy")
    monkeypatch.setenv("APP_URL", sqlite_url)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)

    sarif = run_cli("check", "--format", "sarif")
    markdown = run_cli("check", "--format", "markdown")
    github = run_cli("check", "--format", "github")
    junit = run_cli("check", "--format", "junit")

    assert sarif.exit_code == markdown.exit_code == github.exit_code == junit.exit_code == 1
    (result,) = json.loads(sarif.stdout)["runs"][0]["results"]
    assert result["properties"]["cause"] == "pending_migration"
    assert HEAD in result["properties"]["cause_detail"]
    header = next(line for line in markdown.stdout.splitlines() if line.startswith("| Severity"))
    assert "| Cause |" in header
    assert "fixed by a pending migration" in markdown.stdout
    assert "%0Acause: fixed by a pending migration: revision " + HEAD in github.stdout
    (case,) = [c for suite in JUnitXml.fromstring(junit.stdout) for c in suite if c.result]
    assert "cause: fixed by a pending migration" in case.result[0].text
