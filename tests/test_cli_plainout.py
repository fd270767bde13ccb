"""`ratecalc quote`'s plain console decides and prints as rich's Console would (ratecalc.cli._plainout)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from ratecalc.cli._plainout import PlainConsole, plain_text


class _Stream(io.TextIOWrapper):
    """A UTF-8 text stream that says whether it is a terminal."""

    def __init__(self, tty: bool, encoding: str = "utf-8"):
        super().__init__(io.BytesIO(), encoding=encoding, newline="\n")
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty

    def text(self) -> str:
        self.flush()
        return self.buffer.getvalue().decode(self.encoding)  # type: ignore[attr-defined]


ENVIRONMENTS = [
    {},
    {"COLUMNS": "57"},
    {"COLUMNS": "wide"},
    {"FORCE_COLOR": "1"},
    {"FORCE_COLOR": ""},
    {"TTY_COMPATIBLE": "1"},
    {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"},
    {"TERM": "xterm-256color"},
    {"TERM": "xterm-kitty", "COLUMNS": "120"},
    {"TERM": "screen-16color"},
    {"COLORTERM": "truecolor", "TERM": "xterm"},
    {"NO_COLOR": "1", "TERM": "xterm-256color"},
]
VARIABLES = ("COLUMNS", "FORCE_COLOR", "TTY_COMPATIBLE", "TERM", "COLORTERM", "NO_COLOR", "TTY_INTERACTIVE")


@pytest.mark.parametrize("tty", [False, True])
@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: ",".join(f"{k}={v}" for k, v in e.items()) or "none")
def test_the_plain_console_sees_the_width_and_colours_rich_sees(env, tty, monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    stream = _Stream(tty)
    plain = PlainConsole.make(stream, lambda: Console(file=stream))
    rich = Console(file=stream)
    assert plain is not None
    assert (plain.width, plain.color_system) == (rich.width, rich.color_system)


def test_the_plain_console_leaves_dumb_terminals_and_other_encodings_to_rich(monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    assert PlainConsole.make(_Stream(True), Console) is None
    assert PlainConsole.make(_Stream(False), Console) is not None  # not a terminal: TERM means nothing
    monkeypatch.delenv("TERM")
    assert PlainConsole.make(_Stream(False, encoding="latin-1"), Console) is None


LINES = [
    ("Parcel: 300 g, 200x150x50 mm, declared 1000 RUB, order date 2026-11-30, pickup point", {}),
    ("    Small", {}),
    ("Also: 3 cannot carry it (--all lists them with the reasons)", {"markup": False}),
    ("  ABT Economy: 11.80 CNY, 17–29 to SC days", {}),
    ("No service has a published price for this parcel on this date.", {"soft_wrap": False}),
    ("note: reading 10:30:00 in a note", {}),  # emoji-like: rich decides
    ("a :smile: here", {}),
    ("[bold]markup[/bold]", {}),
    ("中国 rFBS!6", {}),
    ("tab\there", {}),
    ("x" * 100, {"soft_wrap": False}),  # wider than the console: rich wraps it
]


@pytest.mark.parametrize("tty", [False, True])
def test_a_line_prints_as_rich_prints_it(tty, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TERM", "xterm-256color")
    for text, kw in LINES:
        options = {"highlight": False, "soft_wrap": True, **kw}
        ours, theirs = _Stream(tty), _Stream(tty)
        plain = PlainConsole.make(ours, lambda s=ours: Console(file=s))
        assert plain is not None
        plain.print(text, **options)
        Console(file=theirs).print(text, **options)
        assert ours.text() == theirs.text(), text


def test_only_text_rich_prints_as_written_is_written_by_hand():
    assert plain_text("Parcel: 300 g; 17–29 days — none")
    assert not plain_text("10:30:00")
    assert not plain_text("[red]x")
    assert not plain_text("中国")
    assert not plain_text("a\tb")
