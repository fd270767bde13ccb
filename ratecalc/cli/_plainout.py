"""A console for `ratecalc quote` that writes plain lines itself and imports rich only when it must.

Why: importing `rich.console` is ~0.03–0.04 s of CPU of a cold `ratecalc quote` on the development
machine, and what the quote prints through it is mostly plain lines (the parcel, the notice, the table
of `_plaintable`, the "Also:" line). `PlainConsole` answers what those callers ask of a rich `Console`
(`width`, `color_system`, `print(text, highlight=False, ...)`, `file`) the way rich 15 works them out,
and hands anything else to a real rich console, made on first use.

What it decides like rich, for a POSIX process (anywhere else it defers to rich at once):

* whether the output is a terminal: `TTY_COMPATIBLE` 0/1, then `FORCE_COLOR` (set and not empty), then
  the stream's `isatty()`;
* the colour system, on a terminal: `COLORTERM` truecolor/24bit, else the suffix of `TERM` (`256color`,
  `kitty`: 256; otherwise standard); none off a terminal. A dumb terminal (`TERM` dumb/unknown) is left
  to rich altogether;
* the width: `COLUMNS` when it is digits, else the size of the first of stdin, stdout, stderr that is a
  terminal (0 meaning 80), else 80.

A line is written by hand only when rich would write exactly it: printable ASCII (and the en and em
dashes the quote uses), no markup (`[`), nothing emoji syntax could match (`:` ... `:` without a space),
highlighting off, and either soft-wrapped or no wider than the console; to a stream that encodes UTF-8.
Each write is flushed, as rich's are (a reader that went away is noticed where it was).
tests/test_cli_plainout.py compares these answers and lines with a real rich console's.
"""

from __future__ import annotations

import builtins
import os
import re
import sys
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, TextIO

if TYPE_CHECKING:
    from rich.console import Console

_EMOJI_LIKE = re.compile(r":\S*:")
"""What rich's emoji syntax (`:name:`, `:name-emoji:`) needs: a colon, no whitespace, a colon."""


def plain_text(text: str) -> bool:
    """Text rich prints as written (markup, highlighting off aside): no control, markup, emoji or wide
    characters."""
    if "[" in text or _EMOJI_LIKE.search(text):
        return False
    return all(" " <= c <= "~" or c in "–—" for c in text)


def is_terminal(file: TextIO, environ: Mapping[str, str]) -> bool:
    """rich's `Console.is_terminal` for a console writing to `file` (not in Jupyter or IDLE)."""
    tty_compatible = environ.get("TTY_COMPATIBLE", "")
    if tty_compatible in ("0", "1"):
        return tty_compatible == "1"
    force_color = environ.get("FORCE_COLOR")
    if force_color is not None:
        return force_color != ""
    isatty: Optional[Callable[[], bool]] = getattr(file, "isatty", None)
    try:
        return False if isatty is None else isatty()
    except ValueError:
        return False


def color_system(terminal: bool, environ: Mapping[str, str]) -> Optional[str]:
    """rich's `Console.color_system` on POSIX, for a terminal that is not dumb (None off a terminal)."""
    if not terminal:
        return None
    if environ.get("COLORTERM", "").strip().lower() in ("truecolor", "24bit"):
        return "truecolor"
    colors = environ.get("TERM", "").strip().lower().rpartition("-")[2]
    return "256" if colors in ("256color", "kitty") else "standard"


def width(environ: Mapping[str, str]) -> int:
    """rich's `Console.width` on POSIX (not a dumb terminal, no width given)."""
    columns = environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns)
    found: Optional[int] = None
    for fd in (0, 1, 2):
        try:
            found = os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    return found or 80


class PlainConsole:
    """The part of rich's `Console` that `ratecalc quote` uses; `None` from `make` when rich must decide."""

    legacy_windows = False
    is_jupyter = False

    def __init__(self, file: TextIO, color: Optional[str], columns: int, rich: Callable[[], Console]):
        self.file = file
        self.color_system = color
        self.width = columns
        self._make_rich = rich
        self._rich: Optional[Console] = None

    @classmethod
    def make(cls, file: TextIO, rich: Callable[[], Console]) -> Optional[PlainConsole]:
        """A plain console for `file`, or None when only rich can tell how it would print there."""
        if sys.platform == "win32" or getattr(sys.stdin, "__module__", "").startswith("idlelib"):
            return None
        if hasattr(builtins, "get_ipython"):
            return None  # IPython or Jupyter: rich's own detection decides
        if (getattr(file, "encoding", None) or "").lower().replace("-", "").replace("_", "") != "utf8":
            return None
        environ = os.environ
        terminal = is_terminal(file, environ)
        if terminal and environ.get("TERM", "").lower() in ("dumb", "unknown"):
            return None
        return cls(file, color_system(terminal, environ), width(environ), rich)

    def rich(self) -> Console:
        if self._rich is None:
            self._rich = self._make_rich()
        return self._rich

    def write(self, text: str) -> None:
        """Text rich would write as it is (see `_plaintable`), written and flushed as rich does."""
        self.file.write(text)
        self.file.flush()

    def print(self, obj: Any, *, highlight: Optional[bool] = None, **kwargs: Any) -> None:
        """`Console.print`: a plain line by hand, anything else by rich."""
        soft_wrap = kwargs.get("soft_wrap", False)
        known = set(kwargs) <= {"soft_wrap", "markup"}
        if (
            known
            and highlight is False
            and isinstance(obj, str)
            and plain_text(obj)
            and (soft_wrap or len(obj) <= self.width)
        ):
            self.write(obj + "\n")
        else:
            self.rich().print(obj, highlight=highlight, **kwargs)
