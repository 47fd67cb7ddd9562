"""Helpers for the tests/test_safety_*.py files: the CLI in a child process, other sessions.

The child process matters for the safety tests: a check that hangs is killed by the
``subprocess`` timeout instead of hanging the test run, and its connections really close.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url

from schemadoctor.connect import parse_url

ROOT = Path(__file__).resolve().parent.parent
CHAT_MODELS = str(ROOT / "examples" / "chat" / "models.py")
# Every bounded wait must end well inside this, or the test fails instead of hanging.
HARD_LIMIT = 60.0


@dataclass
class Outcome:
    """What one run of the CLI in a child process did."""

    exit_code: int
    stdout: str
    stderr: str
    elapsed: float


def run_cli_process(*args: str, env: dict[str, str] | None = None) -> Outcome:
    """Run ``python -m schemadoctor ARGS`` and time it; fails the test past HARD_LIMIT."""
    environ = {**os.environ, **(env or {})}
    for variable in ("SCHEMADOCTOR_DATABASE_URL", "DATABASE_URL"):
        if env is None or variable not in env:
            environ.pop(variable, None)
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "schemadoctor", *args],
        capture_output=True,
        text=True,
        timeout=HARD_LIMIT,
        env=environ,
        cwd=ROOT,
    )
    elapsed = time.monotonic() - started
    return Outcome(completed.returncode, completed.stdout, completed.stderr, elapsed)


def start_cli_process(*args: str) -> subprocess.Popen[str]:
    """Start the CLI in a child process, for tests that act on it while it runs."""
    return subprocess.Popen(
        [sys.executable, "-m", "schemadoctor", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def build_chat(url: str) -> None:
    """The example chat database: every table, without conversations.workflow_config."""
    path = ROOT / "examples" / "chat" / "make_database.py"
    spec = importlib.util.spec_from_file_location("chat_make_database", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(url)


def admin_engine(url: str) -> Engine:
    """An autocommit engine on the test database, for the other sessions of a test."""
    return create_engine(parse_url(url), isolation_level="AUTOCOMMIT")


@contextmanager
def session_holding(url: str, *statements: str) -> Iterator[Connection]:
    """Another session that runs ``statements`` in a transaction and holds it open."""
    engine = create_engine(parse_url(url))
    connection = engine.connect()
    transaction = connection.begin()
    try:
        for statement in statements:
            connection.exec_driver_sql(statement)
        yield connection
    finally:
        if transaction.is_active:
            transaction.rollback()
        connection.close()
        engine.dispose()


@contextmanager
def statement_running(url: str, statement: str, until_state: str = "User sleep") -> Iterator[int]:
    """Another session runs a long statement in a thread; yields once it is in ``until_state``.

    At the end the statement is killed if it still runs (MariaDB/MySQL), so the test does not
    wait for it.
    """
    engine = create_engine(parse_url(url))
    connection = engine.connect()
    session_id = int(connection.exec_driver_sql("SELECT CONNECTION_ID()").scalar_one())
    errors: list[BaseException] = []

    def run() -> None:
        try:
            connection.exec_driver_sql(statement)
        except Exception as error:  # noqa: BLE001 - the kill at the end ends it with an error
            errors.append(error)

    def state() -> str:
        with admin_engine(url).connect() as admin:
            return str(
                admin.execute(
                    text("SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = :id"),
                    {"id": session_id},
                ).scalar()
                or ""
            )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    wait_for(lambda: state() == until_state)
    try:
        yield session_id
    finally:
        with admin_engine(url).connect() as admin:
            admin.exec_driver_sql(f"KILL QUERY {session_id}")
        thread.join(HARD_LIMIT)
        connection.close()
        engine.dispose()


def wait_for(predicate: Any, timeout: float = 20.0) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up after {timeout} s waiting for {predicate.__name__}")


def database_name(url: str) -> str:
    """The database part of a URL."""
    return make_url(url).database or ""


@contextmanager
def silent_listener() -> Iterator[int]:
    """A loopback TCP port that accepts connections and never says a word."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                peer, _ = server.accept()
            except OSError:
                continue
            accepted.append(peer)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for peer in accepted:
            peer.close()
        server.close()


def closed_port() -> int:
    """A loopback port that nothing listens on (bound, then released)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


def assert_no_traceback(outcome: Outcome) -> None:
    """The CLI failed in one sentence, never with a Python traceback."""
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert "Traceback" not in outcome.stdout, outcome.stdout
