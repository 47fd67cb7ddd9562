"""A progress display on stderr for long checks: only on a terminal, never on stdout."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

_LABELS = {
    "reflect": "Reflecting schemas",
    "compare": "Comparing schemas",
    "databases": "Checking databases",
}


@contextlib.contextmanager
def progress_display() -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress(stage, done, total) callback drawing on stderr; None when not a terminal."""
    stream = sys.stderr
    if not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=stream, stderr=True)
    display = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = display.add_task(_LABELS.get(stage, stage), total=total)
        display.update(tasks[stage], completed=done, total=total)

    with display:
        yield update
