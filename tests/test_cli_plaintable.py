"""The quote table printed as plain text is, character for character, what rich's table prints.

`ratecalc quote` writes its table without rich when it can (ratecalc.cli._plaintable); these tests draw
the same quotes both ways, over many parcels, dates, options and console widths, and compare.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from ratecalc import Parcel, TariffSet
from ratecalc.cli import quote as cli_quote
from ratecalc.cli._plaintable import Column, table_text

PARCELS = [
    Parcel.parse(weight, dims, date=day, value=value, delivery=delivery, battery=battery)
    for day in ("2022-07-01", "2023-06-01", "2024-12-10", "2025-06-01", "2026-08-01")
    for weight, dims, value, delivery, battery in (
        ("300g", "20x15x5cm", "1000RUB", "pickup_point", False),
        ("1.2kg", "30x20x10cm", "3000RUB", "courier", False),
        ("45g", "10x8x2cm", "50RUB", "pickup_point", True),
        ("7.5kg", "60x40x35cm", "25000RUB", "courier", False),
    )
]


@pytest.fixture(scope="module")
def tariffs() -> TariffSet:
    return TariffSet.load()


TERMINALS = {
    "a file or pipe": {},
    "a 16-colour terminal": {"force_terminal": True, "color_system": "standard"},
    "a true-colour terminal": {"force_terminal": True, "color_system": "truecolor"},
}


def _drawn(quotes, width: int, rich_only: bool, monkeypatch: pytest.MonkeyPatch, terminal: str = "", **kw) -> str:
    monkeypatch.setattr(cli_quote, "rich_tables_only", rich_only)
    out = io.StringIO()
    cli_quote.render_quotes(quotes, Console(file=out, width=width, **TERMINALS.get(terminal, {})), **kw)
    return out.getvalue()


@pytest.mark.parametrize("terminal", list(TERMINALS))
@pytest.mark.parametrize("width", [40, 64, 80, 120, 250])
def test_the_plain_table_is_what_rich_draws_for_every_parcel_and_width(tariffs, width, terminal, monkeypatch):
    answers: list[bool] = []

    def counted(*args):
        text = table_text(*args)
        answers.append(text is not None)
        return text

    monkeypatch.setattr(cli_quote, "table_text", counted)
    for parcel in PARCELS:
        quotes = cli_quote.order(tariffs.quote(parcel), "price")
        for kw in ({}, {"show_all": True}, {"top": 3}):
            rich_text = _drawn(quotes, width, True, monkeypatch, terminal, **kw)
            assert _drawn(quotes, width, False, monkeypatch, terminal, **kw) == rich_text, (parcel, kw)
    assert len(answers) > 20  # tables were drawn; from 64 columns on, every one of them as plain text
    assert all(answers) if width >= 64 else not any(answers)


def test_the_plain_table_with_a_rub_column_is_what_rich_draws(tariffs, monkeypatch):
    from ratecalc.money.costs import with_rub
    from ratecalc.money.fx import build_chain

    for parcel in PARCELS[:8]:
        quotes = with_rub(tariffs.quote(parcel), parcel, build_chain(["USD=92.45", "CNY=12.61"], None, cbr=False))
        quotes = cli_quote.order(quotes, "days")
        for width in (80, 250):
            for terminal in TERMINALS:
                plain = _drawn(quotes, width, False, monkeypatch, terminal)
                assert plain == _drawn(quotes, width, True, monkeypatch, terminal)


def test_the_plain_table_is_drawn_for_the_usual_quote_and_left_to_rich_when_unsure():
    console = Console(file=io.StringIO(), width=80)
    columns = [Column("Service", max_width=30), Column("Price", right=True), Column("Confidence")]
    usual = [["ABT Economy", "11.80 CNY", "third_party"], ["Ural Express", "18.52 CNY", "official"]]
    text = table_text(console, columns, usual)
    assert text is not None and text.splitlines()[1] == "─" * 38
    assert text.splitlines()[3] == "Ural Express   18.52 CNY   official   "
    unsure = {
        "longer than the column's max width": [["S" * 31, "1 CNY", "official"]],
        "markup": [["[bold]x[/bold]", "1 CNY", "official"]],
        "emoji syntax": [["a :smile: b", "1 CNY", "official"]],
        "wide characters": [["中国 rFBS", "1 CNY", "official"]],
        "wider than the console": [["S" * 30, "1" * 40, "official" * 2]],
    }
    for why, rows in unsure.items():
        assert table_text(console, columns, rows) is None, why
    jupyter = Console(file=io.StringIO(), width=80, force_jupyter=True)
    assert table_text(jupyter, columns, usual) is None, "a notebook gets rich's own rendering"
    terminal = Console(file=io.StringIO(), width=80, force_terminal=True, color_system="256")
    assert (table_text(terminal, columns, usual) or "").startswith("\x1b[1mService"), "the header is bold"


def test_a_stream_that_cannot_encode_the_dashes_is_left_to_rich():
    """rich adds a PYTHONIOENCODING hint to the UnicodeEncodeError; the plain table never takes that path."""
    latin = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    columns = [Column("Service", max_width=30), Column("Days", right=True)]
    assert table_text(Console(file=latin, width=80), columns, [["ABT Economy", "17–29"]]) is None
    utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert table_text(Console(file=utf8, width=80), columns, [["ABT Economy", "17–29"]]) is not None
