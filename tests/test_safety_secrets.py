"""Secrets: a password never shows in a report, a log line, an error, a traceback or a file.

The password is distinctive and full of URL special characters (``Zq7p@ss:w/rd%9``, which a
URL carries percent-encoded). Every run goes through the real CLI in its own process with
``-vv`` (debug logging) and, for failures, ``--debug`` (tracebacks): the strictest output.
PostgreSQL here trusts local connections, so it accepts any password; MariaDB checks it.
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from safety_support import (
    CHAT_MODELS,
    admin_engine,
    build_chat,
    closed_port,
    run_cli_process,
    silent_listener,
)
from schemadoctor.cli.check import check_command

PASSWORD = "Zq7p@ss:w/rd%9"
ENCODED = urllib.parse.quote(PASSWORD, safe="")
# Any of these in any output is a leak: the whole password in either spelling, or a piece.
FRAGMENTS = (PASSWORD, ENCODED, "Zq7p", "ss:w", "w/rd", "%3Aw%2F")
FORMATS = next(p for p in check_command.params if p.name == "format_name").type.choices  # type: ignore[attr-defined]


def _with_password(url: str, password: str = PASSWORD) -> str:
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def _assert_no_secret(*texts: str) -> None:
    for text_ in texts:
        for fragment in FRAGMENTS:
            assert fragment not in text_, f"{fragment!r} leaked in:\n{text_}"


def _assert_clean_failure(outcome, sentence: str) -> None:
    assert outcome.exit_code == 2, outcome.stderr
    assert sentence in outcome.stderr, outcome.stderr
    _assert_no_secret(outcome.stdout, outcome.stderr)


@pytest.fixture
def mysql_user(mysql_url) -> Iterator[str]:
    """A MariaDB user whose password is PASSWORD, allowed to read the test database."""
    name = make_url(mysql_url).database
    user = f"sd_secret_{uuid.uuid4().hex[:8]}"
    with admin_engine(mysql_url).connect() as admin:
        admin.execute(
            text(f"CREATE USER '{user}'@'%' IDENTIFIED BY :password"), {"password": PASSWORD}
        )
        admin.execute(text(f"GRANT SELECT ON `{name}`.* TO '{user}'@'%'"))
    try:
        yield user
    finally:
        with admin_engine(mysql_url).connect() as admin:
            admin.execute(text(f"DROP USER '{user}'@'%'"))


# Reports, logs and saved files


@pytest.mark.postgresql
def test_no_password_in_any_report_format_or_log_line(postgresql_url, tmp_path):
    build_chat(postgresql_url)
    url = _with_password(postgresql_url)
    written = tmp_path / "report.json"

    printed = {
        format_name: run_cli_process(
            "-vv", "check", "--models", CHAT_MODELS, "--db", url, "--format", format_name
        )
        for format_name in FORMATS
    }
    saved = run_cli_process(
        "check", "--models", CHAT_MODELS, "--db", url, "--format", "json", "-o", str(written)
    )

    for outcome in [*printed.values(), saved]:
        assert outcome.exit_code == 1, outcome.stderr
        _assert_no_secret(outcome.stdout, outcome.stderr)
    assert all(outcome.stdout.strip() for outcome in printed.values())
    assert all("INFO schemadoctor" in outcome.stderr for outcome in printed.values())
    _assert_no_secret(written.read_text())


@pytest.mark.postgresql
def test_no_password_in_a_snapshot_a_diff_or_a_fix_script(postgresql_url, tmp_path):
    build_chat(postgresql_url)
    url = _with_password(postgresql_url)
    snapshot = tmp_path / "schema.json"

    saved = run_cli_process("-vv", "snapshot", "--db", url, "-o", str(snapshot))
    printed = run_cli_process("snapshot", "--db", url)
    compared = run_cli_process("-vv", "diff", url, str(snapshot), "--format", "json")
    script = run_cli_process("-vv", "fix", "--models", CHAT_MODELS, "--db", url)

    assert saved.exit_code == 0, saved.stderr
    assert printed.exit_code == 0, printed.stderr
    assert compared.exit_code == 0, compared.stderr
    assert "workflow_config" in script.stdout, script.stderr
    _assert_no_secret(
        snapshot.read_text(),
        *(o.stdout + o.stderr for o in (saved, printed, compared, script)),
    )


@pytest.mark.mysql
def test_no_password_when_mariadb_checks_it(mysql_url, mysql_user):
    build_chat(mysql_url)
    url = _with_password(make_url(mysql_url).set(username=mysql_user).render_as_string(False))

    outcome = run_cli_process(
        "-vv", "check", "--models", CHAT_MODELS, "--db", url, "--format", "json"
    )

    assert outcome.exit_code == 1, outcome.stderr
    _assert_no_secret(outcome.stdout, outcome.stderr)


# Errors, with --debug tracebacks


@pytest.mark.mysql
def test_no_password_when_mariadb_refuses_it(mysql_url, mysql_user):
    build_chat(mysql_url)
    url = make_url(mysql_url).set(username=mysql_user).render_as_string(False)

    outcome = run_cli_process(
        "-vv", "--debug", "check", "--models", CHAT_MODELS, "--db",
        _with_password(url, PASSWORD + "-wrong"),
    )  # fmt: skip

    _assert_clean_failure(outcome, "refused the credentials")


@pytest.mark.parametrize(
    ("dialect", "sentence"),
    [("postgresql", "does not exist"), ("mysql", "refused the credentials")],
)
def test_no_password_when_the_database_is_unknown(request, dialect, sentence):
    admin_url = request.getfixturevalue(f"{dialect}_url")
    url = make_url(_with_password(admin_url)).set(database="sd_no_such_database")

    outcome = run_cli_process(
        "-vv", "--debug", "check", "--models", CHAT_MODELS, "--db",
        url.render_as_string(hide_password=False),
    )  # fmt: skip

    _assert_clean_failure(outcome, sentence)


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
def test_no_password_when_the_server_is_unreachable_or_silent(scheme):
    refused = run_cli_process(
        "-vv", "--debug", "check", "--models", CHAT_MODELS, "--db",
        f"{scheme}://app:{ENCODED}@127.0.0.1:{closed_port()}/app",
    )  # fmt: skip
    with silent_listener() as port:
        silent = run_cli_process(
            "-vv", "--debug", "check", "--models", CHAT_MODELS, "--connect-timeout", "1",
            env={"SCHEMADOCTOR_DATABASE_URL": f"{scheme}://app:{ENCODED}@127.0.0.1:{port}/app"},
        )  # fmt: skip

    _assert_clean_failure(refused, "refused the connection")
    _assert_clean_failure(silent, "timed out")


MALFORMED = [
    f"postgresql://app:{PASSWORD}@127.0.0.1:5432/app",  # the password not percent-encoded
    f"mysql://app:{PASSWORD}@127.0.0.1:3306/app",
    f"postgresql://app:{ENCODED}@127.0.0.1:port/app",
    f"postgresql://app:{ENCODED}@[::1/app",
    f"postgresql://app:{ENCODED}",
    f"postgresql:/app:{ENCODED}@127.0.0.1/app",
    ENCODED,
]


@pytest.mark.postgresql
def test_no_password_given_as_a_query_parameter(postgresql_url):
    build_chat(postgresql_url)
    url = f"{postgresql_url}?password={ENCODED}&application_name=safety"

    outcome = run_cli_process(
        "-vv", "check", "--models", CHAT_MODELS, "--db", url, "--format", "json"
    )

    assert outcome.exit_code == 1, outcome.stderr
    assert "application_name=safety" in outcome.stdout
    _assert_no_secret(outcome.stdout, outcome.stderr)


DRIVER_REJECTS = [
    (f"postgresql://app:{ENCODED}@127.0.0.1:5432/app?sslmode=bogus", "sslmode"),
    (f"postgresql://app:{ENCODED}@127.0.0.1:5432/app?bogus_option=1", "bogus_option"),
    (f"nosuchdialect://app:{ENCODED}@127.0.0.1/app", "unknown dialect"),
    (f"postgresql+nosuchdriver://app:{ENCODED}@127.0.0.1/app", "unknown dialect"),
]


@pytest.mark.parametrize("url", MALFORMED)
def test_no_password_when_the_url_is_malformed(url):
    outcome = run_cli_process("-vv", "--debug", "check", "--models", CHAT_MODELS, "--db", url)

    _assert_clean_failure(outcome, "is malformed")


@pytest.mark.parametrize(("url", "sentence"), DRIVER_REJECTS)
def test_no_password_when_the_driver_rejects_the_url(url, sentence):
    outcome = run_cli_process("-vv", "--debug", "check", "--models", CHAT_MODELS, "--db", url)

    _assert_clean_failure(outcome, sentence)


# The warning


WARNING = "warning: the --db URL holds a password"


@pytest.mark.postgresql
def test_a_password_on_the_command_line_is_warned_about(postgresql_url):
    build_chat(postgresql_url)
    url = _with_password(postgresql_url)
    models = ("--models", CHAT_MODELS)

    on_command_line = [
        run_cli_process("check", *models, "--db", url),
        run_cli_process("fix", *models, "--db", url),
        run_cli_process("snapshot", "--db", url),
    ]
    in_environment = run_cli_process("check", *models, env={"SCHEMADOCTOR_DATABASE_URL": url})
    without_password = run_cli_process("check", *models, "--db", postgresql_url)

    for outcome in [*on_command_line, in_environment, without_password]:
        assert outcome.exit_code in (0, 1), outcome.stderr
        _assert_no_secret(outcome.stdout, outcome.stderr)
    for outcome in on_command_line:
        assert WARNING in outcome.stderr
        assert "SCHEMADOCTOR_DATABASE_URL" in outcome.stderr
    assert WARNING not in in_environment.stderr
    assert WARNING not in without_password.stderr
