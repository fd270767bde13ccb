"""CLI for issue 5: `ratecalc economics` and the RUB table printed by `ratecalc quote --fx ...`.

`register(app)` is called by ratecalc.cli; every error goes through `cli.guarded` (one line, exit 2).
"""

from __future__ import annotations

from typing import Sequence

import typer
from rich.console import Console
from rich.table import Table

from .result import ServiceQuote


def render_rub(quotes: Sequence[ServiceQuote], console: Console) -> None:
    """What the seller pays per priced service, in RUB, with the rate and its source."""
    priced = [q for q in quotes if q.status == "ok"]
    if not priced:
        return
    table = Table(header_style="bold", title="In RUB (carrier price × rate, half-up to the kopeck, + Ozon fee)")
    for col in ("Service", "Carrier price", "Rate (date, source)", "In RUB", "Ozon fee", "Total RUB", "Note"):
        table.add_column(col, overflow="fold")
    for q in priced:
        rate = f"{q.fx.rate} ({q.fx.date}, {q.fx.source})" if q.fx else "—"
        fee = f"{q.ozon_fee_rub.amount} ({q.ozon_fee_rule})" if q.ozon_fee_rub else "—"
        table.add_row(
            q.service,
            f"{q.price.amount} {q.price.currency}" if q.price else "—",
            rate,
            q.price_rub.amount if q.price_rub else "—",
            fee,
            q.total_rub.amount if q.total_rub else "—",
            q.rub_missing_reason or "",
        )
    console.print(table)
    duty = priced[0].customs
    if duty is not None:
        console.print(f"Customs (paid by the buyer, not in the totals): {duty.explanation}"
                      + (f"; {duty.duty_rub} RUB" if duty.duty_rub and duty.duty_free is False else ""))


def register(app: typer.Typer) -> None:
    """Add the `economics` command to the ratecalc CLI."""
