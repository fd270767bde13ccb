"""The quote table as plain text, when that text is exactly what rich's table would print.

Why: laying out a rich `Table` (measuring, padding and cropping every cell through its renderables) and
importing `rich.table` cost ~0.03 s of CPU of a cold `ratecalc quote` on the development machine, a
tenth of the whole command, to print 25 short rows. The layout of the quote table is simple whenever
it fits the console: each column as wide as its widest cell, one space of padding inside the table, a
rule of `─` under the header, and on a terminal with colours the header bold (rich's escape codes: each
header cell and each of its padding spaces wrapped in `ESC[1m` ... `ESC[0m`).

`table_text` answers only when it is sure that rich would print the same characters; otherwise it
returns None and the caller draws the rich table. Not sure means: a console other than a plain stream or
an ANSI terminal (Windows' legacy console, Jupyter), a stream that does not encode UTF-8, a cell holding markup or emoji syntax (`[`, `:`) or
characters whose width is not one cell, a cell wider than its column's `max_width`, or a table wider
than the console (rich would then shrink and wrap columns). tests/test_cli_plaintable.py holds
the two equal over many tables and widths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence, Union

if TYPE_CHECKING:
    from rich.console import Console

    from ._plainout import PlainConsole


class Column:
    """A column as `render_quotes` declares it to rich: header, justification, and an optional max width."""

    __slots__ = ("header", "right", "max_width")

    def __init__(self, header: str, *, right: bool = False, max_width: Optional[int] = None):
        self.header = header
        self.right = right
        self.max_width = max_width


def _plain(text: str) -> bool:
    """Printable ASCII or the dashes the table uses, without rich's markup and emoji syntax: one cell per
    character, printed as written."""
    return all((" " <= c <= "~" and c not in "[]:") or c in "–—" for c in text)


def table_text(
    console: Union[Console, PlainConsole], columns: Sequence[Column], rows: Sequence[Sequence[str]]
) -> Optional[str]:
    """The lines rich prints for a `box.SIMPLE_HEAD` table (`pad_edge=False`, `show_edge=False`, every column
    `no_wrap`) of these columns and rows, or None when they might differ (see the module docstring)."""
    if console.color_system not in (None, "standard", "256", "truecolor") or console.legacy_windows:
        return None
    if console.is_jupyter or not rows:
        return None
    encoding = getattr(console.file, "encoding", None)  # None: an in-memory stream, which takes any text
    if encoding is not None and encoding.lower().replace("-", "").replace("_", "") != "utf8":
        return None  # rich adds a hint to the UnicodeEncodeError a dash would raise: let it
    bold = console.color_system is not None  # rich's `header_style="bold"`: the same SGR in every ANSI mode
    cells = [[c.header for c in columns], *rows]
    widths = []
    for i, col in enumerate(columns):
        texts = [row[i] for row in cells]
        if not all(isinstance(t, str) and _plain(t) for t in texts):
            return None
        width = max(len(t) for t in texts)
        if col.max_width is not None and width > col.max_width:
            return None
        widths.append(width)
    last = len(columns) - 1
    padded = [w + (i > 0) + (i < last) for i, w in enumerate(widths)]
    if sum(padded) + last > console.width:
        return None

    def line(row: Sequence[str], style: str = "") -> str:
        start, end = (style, "\x1b[0m") if style else ("", "")
        pad = f"{start} {end}"
        out = []
        for i, (col, text, width) in enumerate(zip(columns, row, widths)):
            body = text.rjust(width) if col.right else text.ljust(width)
            out.append((pad if i > 0 else "") + start + body + end + (pad if i < last else ""))
        return " ".join(out)

    rule = "─".join("─" * w for w in padded)
    return "\n".join([line(cells[0], "\x1b[1m" if bold else ""), rule, *(line(r) for r in rows)]) + "\n"
