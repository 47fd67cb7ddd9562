"""The progress display: on stderr when it is a terminal, never on stdout, else nothing."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = str(ROOT / "examples" / "chat" / "models.py")


def _build(url: str) -> None:
    script = ROOT / "examples" / "chat" / "make_database.py"
    subprocess.run([sys.executable, str(script), url], check=True, capture_output=True)


def _command(url: str) -> list[str]:
    return [sys.executable, "-m", "schemadoctor", "check", "--models", MODELS, "--db", url]


def _run_with_terminal_stderr(command: list[str]) -> tuple[int, bytes, bytes]:
    """Run with stderr on a pseudo-terminal and stdout on a pipe; (exit code, stdout, tty)."""
    controller, terminal = pty.openpty()
    environment = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    environment.pop("NO_COLOR", None)
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=terminal, env=environment, cwd=ROOT
    )
    os.close(terminal)
    shown = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the process has exited
                break
            if not chunk:
                break
            shown += chunk
        elif process.poll() is not None:
            break
    os.close(controller)
    stdout = process.stdout.read() if process.stdout else b""
    return process.wait(timeout=60), stdout, shown


def test_progress_shows_on_a_terminal_stderr_and_not_on_stdout(sqlite_url):
    _build(sqlite_url)

    code, stdout, shown = _run_with_terminal_stderr(_command(sqlite_url))
    piped = subprocess.run(_command(sqlite_url), capture_output=True, cwd=ROOT, timeout=60)

    assert code == piped.returncode == 1
    assert b"Comparing schemas" in shown
    assert stdout == piped.stdout
    assert b"\x1b" not in stdout


def test_nothing_on_stderr_when_it_is_not_a_terminal(sqlite_url):
    _build(sqlite_url)

    piped = subprocess.run(_command(sqlite_url), capture_output=True, cwd=ROOT, timeout=60)

    assert piped.returncode == 1
    assert piped.stderr == b""
    assert b"Reflecting" not in piped.stdout and b"Comparing" not in piped.stdout
