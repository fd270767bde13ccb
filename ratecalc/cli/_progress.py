"""The progress bar of the file commands (`batch`, `economics --input`): bytes of input read, rows, rows/s."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from rich.console import Console

Tick = Callable[[int, int], None]  # (rows done, bytes of input read)


@contextmanager
def file_progress(input_path: Path, console: Console, *, show: bool, verb: str, unit: str) -> Iterator[Tick]:
    """A bar over the input file's bytes; yields the `progress` callback the file functions take.

    The input is checked first, so a missing file is one clear line (exit 2) rather than an empty bar.
    """
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from ..files.paths import check_input

    check_input("input", input_path)
    size = max(input_path.stat().st_size, 1)
    started = time.perf_counter()
    columns = (
        TextColumn(verb),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:>12,} " + unit),
        TextColumn("{task.fields[rate]:>12,.0f} " + unit + "/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, disable=not show, transient=False) as bar:
        task = bar.add_task(verb, total=size, rows=0, rate=0.0)

        def tick(rows: int, nbytes: int) -> None:
            took = time.perf_counter() - started
            bar.update(task, completed=nbytes, rows=rows, rate=rows / took if took > 0 else 0.0)

        yield tick
        bar.update(task, completed=size)
