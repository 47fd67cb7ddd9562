"""Bad input through the real CLI: exit 2, one sentence on stderr, no traceback, no password."""

from __future__ import annotations

import os
import re
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
CHAT_MODELS = str(ROOT / "examples" / "chat" / "models.py")
PASSWORD = "S3cr3t-Pa55"
# Characters that URL-encoding changes, to prove the encoded form is hidden too.
ODD_PASSWORD = "S3cr3t@Pa55/w0rd:%"
NOT_FOUND = [
    PASSWORD,
    ODD_PASSWORD,
    urllib.parse.quote(ODD_PASSWORD, safe=""),
    urllib.parse.quote(ODD_PASSWORD),
]


def assert_bad_input(result: Result, *fragments: str) -> str:
    """Exit 2, nothing on stdout, one one-sentence error line, no traceback and no password."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1, result.stderr
    message = lines[0]
    assert message.startswith("error: ")
    assert message.endswith("."), message
    # One sentence: no full stop followed by a new capitalised sentence.
    assert not re.search(r"[.!?] [A-Z][a-z]", message), message
    assert "Traceback" not in result.stderr
    for secret in NOT_FOUND:
        assert secret not in result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.fixture
def chat_check(run_cli) -> Callable[..., Result]:
    """``schemadoctor check`` on the chat example's models, with extra arguments."""

    def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
        return run_cli("check", "--models", CHAT_MODELS, *args, env=env)

    return run


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A local TCP port that accepts connections and never says a word (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_malformed_url(chat_check):
    assert_bad_input(chat_check("--db", "not a url"), "'not a url' is malformed")


def test_malformed_port_is_a_malformed_url(chat_check):
    url = f"postgresql://app:{PASSWORD}@127.0.0.1:54x2/app"

    message = assert_bad_input(chat_check("--db", url), "is malformed")

    assert "app:***@" in message


def test_unknown_dialect(chat_check):
    assert_bad_input(chat_check("--db", "oracle9://u@h/d"), "unknown dialect or driver")


def test_unknown_driver(chat_check):
    assert_bad_input(
        chat_check("--db", f"postgresql+nodriver://u:{PASSWORD}@h/d"),
        "unknown dialect or driver 'postgresql+nodriver'",
    )


def test_no_url_at_all(chat_check):
    env = {"SCHEMADOCTOR_DATABASE_URL": None, "DATABASE_URL": None}

    assert_bad_input(chat_check(env=env), "No database URL was given")  # type: ignore[arg-type]


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
def test_closed_port(chat_check, scheme):
    url = f"{scheme}://app:{PASSWORD}@127.0.0.1:{_free_port()}/app"

    message = assert_bad_input(chat_check("--db", url), "refused the connection")

    assert f"127.0.0.1:{make_url(url).port}" in message


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
def test_server_that_never_answers_times_out(chat_check, silent_server, scheme):
    url = f"{scheme}://app:{PASSWORD}@127.0.0.1:{silent_server}/app"

    started = time.monotonic()
    result = chat_check("--db", url, "--connect-timeout", "1")
    elapsed = time.monotonic() - started

    # The server took the TCP connection and never spoke: not a wrong host or port.
    assert_bad_input(
        result, "timed out after the server accepted the connection", "--connect-timeout"
    )
    assert elapsed < 5, elapsed


def test_default_connect_timeout_is_at_most_ten_seconds():
    from schemadoctor.cli import main

    for command in main.commands.values():
        for parameter in command.params:
            if parameter.name == "connect_timeout":
                assert isinstance(parameter.default, int | float)
                assert 0 < parameter.default <= 10


class _PasswordRefusingServer:
    """Speaks just enough of the PostgreSQL protocol to ask for a password and refuse it.

    The local PostgreSQL trusts every connection from 127.0.0.1, so it never checks a password;
    this server stands in for one that does, in front of the real libpq client.
    """

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = int(self.listener.getsockname()[1])
        self.received_password = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.listener.settimeout(10)
        try:
            connection = self.listener.accept()[0]
        except OSError:
            return
        with connection:
            connection.settimeout(10)
            self._talk(connection)

    def _talk(self, connection: socket.socket) -> None:
        while True:
            length = struct.unpack("!I", _read(connection, 4))[0]
            code = struct.unpack("!I", _read(connection, 4))[0]
            _read(connection, length - 8)
            if code in (80877103, 80877104):  # SSLRequest, GSSENCRequest: not offered
                connection.sendall(b"N")
                continue
            break
        connection.sendall(b"R" + struct.pack("!II", 8, 3))  # cleartext password, please
        assert _read(connection, 1) == b"p"
        length = struct.unpack("!I", _read(connection, 4))[0]
        self.received_password = _read(connection, length - 4).rstrip(b"\0")
        fields = b'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "app"\0\0'
        connection.sendall(b"E" + struct.pack("!I", len(fields) + 4) + fields)

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=5)


def _read(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


def test_wrong_password_postgresql_protocol(chat_check):
    server = _PasswordRefusingServer()
    quoted = urllib.parse.quote(ODD_PASSWORD, safe="")
    url = f"postgresql://app:{quoted}@127.0.0.1:{server.port}/app"
    try:
        result = chat_check("--db", url)
    finally:
        server.close()

    assert server.received_password == ODD_PASSWORD.encode()
    assert_bad_input(result, "refused the credentials", "check the user and password")
    assert "warning: the --db URL holds a password" in result.stderr


def test_wrong_password_real_postgresql_role_never_shows_the_password(
    postgresql_url, writable_engine, chat_check
):
    # The local server trusts 127.0.0.1, so the login may succeed; whatever happens, no password.
    role = f"sd_role_{uuid.uuid4().hex[:8]}"
    admin = writable_engine(postgresql_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'"))
    url = make_url(postgresql_url).set(username=role, password=ODD_PASSWORD)
    try:
        result = chat_check("--db", url.render_as_string(hide_password=False))
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP ROLE {role}"))

    assert result.exit_code in (1, 2)
    for secret in NOT_FOUND:
        assert secret not in result.stdout + result.stderr


def test_wrong_password_mariadb(mysql_url, writable_engine, chat_check):
    user = f"sd_user_{uuid.uuid4().hex[:8]}"
    admin = writable_engine(mysql_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{PASSWORD}'"))
        connection.execute(text(f"CREATE USER '{user}'@'localhost' IDENTIFIED BY '{PASSWORD}'"))
    url = make_url(mysql_url).set(username=user, password=ODD_PASSWORD)
    try:
        result = chat_check("--db", url.render_as_string(hide_password=False))
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP USER '{user}'@'%'"))
            connection.execute(text(f"DROP USER '{user}'@'localhost'"))

    assert_bad_input(result, "refused the credentials")


def test_wrong_password_in_the_environment_is_not_warned_about(mysql_url, chat_check):
    url = make_url(mysql_url).set(password=PASSWORD).render_as_string(hide_password=False)

    result = chat_check(env={"SCHEMADOCTOR_DATABASE_URL": url})

    assert_bad_input(result, "refused the credentials")
    assert "warning:" not in result.stderr


@pytest.mark.parametrize(
    ("option", "named"), [("charset=bogus", "(charset)"), ("nosuchoption=1", "(nosuchoption)")]
)
def test_url_option_the_driver_rejects(mysql_url, chat_check, option, named):
    url = make_url(mysql_url).set(password=PASSWORD).render_as_string(hide_password=False)

    result = chat_check(env={"SCHEMADOCTOR_DATABASE_URL": f"{url}?{option}"})

    message = assert_bad_input(result, "driver rejected the options of")
    assert named in message
    assert "check the query options" in message


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_missing_database(request, chat_check, dialect):
    server_url = request.getfixturevalue(f"{dialect}_url")
    url = make_url(server_url).set(database=f"sd_absent_{uuid.uuid4().hex[:8]}")

    message = assert_bad_input(
        chat_check("--db", url.render_as_string(hide_password=False)), "does not exist"
    )

    assert url.database in message


def test_missing_sqlite_file_is_never_created(tmp_path, chat_check):
    path = tmp_path / "absent.db"

    assert_bad_input(chat_check("--db", f"sqlite:///{path}"), "does not exist", "absent.db")

    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_async_sqlite_url_to_a_missing_file_is_never_created(tmp_path, chat_check):
    path = tmp_path / "absent.db"

    assert_bad_input(chat_check("--db", f"sqlite+aiosqlite:///{path}"), "does not exist")

    assert not path.exists()


def test_sqlite_url_without_a_file(chat_check):
    assert_bad_input(chat_check("--db", "sqlite://"), "names no file")


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder for model files, with sys.path and sys.modules restored afterwards."""
    saved_path, saved_modules = list(sys.path), set(sys.modules)
    monkeypatch.chdir(tmp_path)
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path[:] = saved_path
    for name in set(sys.modules) - saved_modules:
        del sys.modules[name]


def _write_models(folder: Path, source: str) -> str:
    name = f"bad_models_{uuid.uuid4().hex[:8]}"
    (folder / f"{name}.py").write_text(textwrap.dedent(source))
    return name


def test_models_that_fail_to_import(models_dir, sqlite_url, run_cli):
    module = _write_models(models_dir, "raise ImportError('cannot import name Settings')\n")

    assert_bad_input(
        run_cli("check", "--models", module, "--db", sqlite_url),
        f"'{module}'",
        "ImportError: cannot import name Settings",
    )


def test_models_module_that_does_not_exist(models_dir, sqlite_url, run_cli):
    assert_bad_input(
        run_cli("check", "--models", "myapp.modles:Base", "--db", sqlite_url),
        "no module named 'myapp'",
    )


def test_no_models_given(sqlite_url, run_cli):
    assert_bad_input(run_cli("check", "--db", sqlite_url), "No models were given")


def test_target_without_metadata(models_dir, sqlite_url, run_cli):
    module = _write_models(models_dir, "VERSION = '1.0'\n")

    assert_bad_input(
        run_cli("check", "--models", module, "--db", sqlite_url), "No MetaData or declarative base"
    )


def test_empty_metadata(models_dir, sqlite_url, run_cli):
    module = _write_models(models_dir, "from sqlalchemy import MetaData\nmetadata = MetaData()\n")

    assert_bad_input(
        run_cli("check", "--models", f"{module}:metadata", "--db", sqlite_url), "define no tables"
    )


@pytest.mark.parametrize("schema", ["nope", 'we"ird; drop', "sch\u00e9ma_\u00fc"])
def test_unknown_schema(db_url, chat_check, schema):
    assert_bad_input(chat_check("--db", db_url, "--schema", schema), repr(schema), "does not exist")


def test_unwritable_output(sqlite_url, tmp_path, chat_check):
    target = tmp_path / "no" / "such" / "folder" / "report.json"

    assert_bad_input(
        chat_check("--db", sqlite_url, "--output", str(target)), "Cannot write the report"
    )


QUOTED_MODELS = """
from sqlalchemy import Column, Integer, MetaData, String, Table
metadata = MetaData()
Table(
    'we"ird ''table''',
    metadata,
    Column("id", Integer, primary_key=True),
    Column('co"l', String(20)),
)
Table(
    "n\u00e4ive_\u00fcnic\u00f6de_\u8868",
    metadata,
    Column("\u00e9t\u00e9", Integer, primary_key=True),
)
"""


def test_table_names_with_quotes_and_unicode(models_dir, db_url, writable_engine, run_cli):
    module = _write_models(models_dir, QUOTED_MODELS)
    models = __import__(module)
    models.metadata.create_all(writable_engine(db_url))

    in_sync = run_cli("check", "--models", f"{module}:metadata", "--db", db_url)
    models.metadata.tables["n\u00e4ive_\u00fcnic\u00f6de_\u8868"].drop(writable_engine(db_url))
    drifted = run_cli("check", "--models", f"{module}:metadata", "--db", db_url)

    assert in_sync.exit_code == 0, in_sync.stdout + in_sync.stderr
    assert drifted.exit_code == 1, drifted.stdout + drifted.stderr
    assert "missing_table" in drifted.stdout
    assert "n\u00e4ive_\u00fcnic\u00f6de_\u8868" in drifted.stdout


def test_debug_shows_the_traceback_without_the_password(chat_check):
    url = f"postgresql://app:{PASSWORD}@127.0.0.1:{_free_port()}/app"

    result = chat_check("--db", url)
    debug = _run_root("--debug", "check", "--models", CHAT_MODELS, "--db", url)

    assert "Traceback" not in result.stderr
    assert debug.returncode == 2
    assert "Traceback (most recent call last)" in debug.stderr
    assert PASSWORD not in debug.stderr + debug.stdout
    assert debug.stderr.rstrip().splitlines()[-1].startswith("error: Cannot connect")


def _run_root(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "schemadoctor", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_password_on_the_command_line_is_warned_about(chat_check):
    result = chat_check("--db", f"postgresql://app:{PASSWORD}@127.0.0.1:{_free_port()}/app")

    assert "warning: the --db URL holds a password" in result.stderr
    assert_bad_input(result)
