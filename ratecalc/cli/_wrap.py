"""Word wrapping by terminal cells: Chinese characters take two cells and may break anywhere, other words
break at spaces only (never inside a word), as `textwrap` does for text of one-cell characters."""

from __future__ import annotations

import unicodedata


def cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wide(c: str) -> bool:
    return unicodedata.east_asian_width(c) in "WF"


def _pieces(text: str) -> list[str]:
    """Words (with the space before them) and single wide characters: the units a line may break between."""
    out: list[str] = []
    word = ""
    for c in text:
        if _wide(c):
            if word:
                out.append(word)
            out.append(c)
            word = ""
        elif c == " " and word.strip():
            out.append(word)
            word = c
        else:
            word += c
    if word:
        out.append(word)
    return out


def wrap(text: str, width: int, indent: str = "    ") -> list[str]:
    """Lines of at most `width` cells (a word longer than a line stands alone); continuation lines indented."""
    lines: list[str] = []
    line = ""
    for piece in _pieces(text):
        if line and cells(line) + cells(piece) > width:
            lines.append(line.rstrip())
            line = indent + piece.lstrip()
        else:
            line += piece
    if line.strip():
        lines.append(line.rstrip())
    return lines


def label(first: str, text: str) -> str:
    """`first: text`, with the full-width colon after a Chinese label."""
    sep = "：" if first and _wide(first[-1]) else ": "
    return f"{first}{sep}{text}"


def wrap_items(head: str, items: list[str], width: int, indent: str = "    ") -> list[str]:
    """`head` then the items joined by ", ", lines broken only between items (an item is never split)."""
    lines: list[str] = []
    line = head
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        sep = "" if line in (head,) and head.endswith(" ") else " "
        if cells(line) + len(sep) + cells(piece) > width and line.strip():
            lines.append(line)
            line = indent + piece
        else:
            line = line + sep + piece if line else piece
    lines.append(line)
    return lines
