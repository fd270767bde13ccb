"""`ratecalc quote`: one parcel against every service in force on the order date."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer
from rich.console import Console
from rich.table import Table

from ..errors import InputError
from ._common import TariffsOpt, consoles, guarded, load

if TYPE_CHECKING:
    from ..result import ServiceQuote


def _price(q: ServiceQuote) -> str:
    return f"{q.price.amount} {q.price.currency}" if q.price else "—"


def render_quotes(quotes: list[ServiceQuote], console: Optional[Console] = None) -> None:
    console = console or consoles.out
    table = Table(show_lines=False, header_style="bold")
    for col in ("Service", "Carrier", "Status", "Price", "Chargeable", "Days", "Why / notes"):
        table.add_column(col, overflow="fold")
    style = {"ok": "green", "unpriced": "yellow", "ineligible": "red"}
    for q in quotes:
        charge = f"{q.chargeable_weight_g} g ({q.basis})"
        days = f"{q.delivery_days.min}–{q.delivery_days.max}" if q.delivery_days else "—"
        if q.delivery_days and q.delivery_days.basis == "dropoff_to_sorting_centre":
            days += " to SC"  # Ozon's 2026 sheets count days to its sorting centre, not to the buyer
        # the full "why unpublished" text is in --json; a table row only needs to say so
        notes = "; ".join(
            "rate not published" if r.code == "rate_unpublished" else r.message for r in q.reasons + q.warnings
        )
        if q.group is not None and q.group.name:
            notes = f"group {q.group.name}" + (f"; {notes}" if notes else "")
        if q.tariff.readings:  # which side of a source conflict this price took (see --reading)
            notes += f"; reading {', '.join(q.tariff.readings)}"
        if q.tariff.confidence != "official":  # anything less sure than Ozon's own numbers says so
            notes += f"; confidence {q.tariff.confidence or 'not stated'}"
        table.add_row(q.service, q.carrier, f"[{style[q.status]}]{q.status}[/]", _price(q), charge, days, notes)
    console.print(table)


def _weight_and_value(weight: Optional[str], value: Optional[str], items: Optional[List[str]]):
    """--weight/--value, or the sums of the --item WEIGHT:PRICE list (ratecalc.groups.combine_items)."""
    if not items:
        if weight is None:
            raise InputError("weight", "give --weight (or one --item WEIGHT:PRICE per item)")
        return weight, value
    if weight is not None or value is not None:
        raise InputError("item", "give either --item (per item) or --weight/--value (totals), not both")
    from ..groups import combine_items, parse_item

    return combine_items(parse_item(text, i) for i, text in enumerate(items))


def quote(
    weight: Optional[str] = typer.Option(None, "--weight", "-w", help="Actual weight, e.g. 1.2kg or 350g."),
    dims: str = typer.Option(..., "--dims", "-d", help="L x W x H with a unit, e.g. 30x20x10cm."),
    date: Optional[str] = typer.Option(None, "--date", help="Order date YYYY-MM-DD (default: today)."),
    value: Optional[str] = typer.Option(None, "--value", help="Declared value, e.g. 1500RUB."),
    courier: bool = typer.Option(False, "--courier", help="Courier (door) delivery instead of pickup point."),
    battery: bool = typer.Option(False, "--battery", help="The parcel contains batteries."),
    liquid: bool = typer.Option(False, "--liquid", help="The parcel contains liquids."),
    reading: Optional[List[str]] = typer.Option(
        None, "--reading", help="Use a named alternative reading where sources conflict (repeatable)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the quote list as JSON (compact: what to compare)."),
    full: bool = typer.Option(
        False, "--full", help="With --json: the complete quotes (billing rule, tariff sources, reason sentences)."
    ),
    item: Optional[List[str]] = typer.Option(
        None,
        "--item",
        help="One item of a multi-item shipment, WEIGHT:PRICE e.g. 300g:900RUB (repeatable). Weights and "
        "prices are summed (Ozon groups a shipment by the sums); use instead of --weight/--value.",
    ),
    tariffs: Optional[List[Path]] = TariffsOpt,
    fx: Optional[List[str]] = typer.Option(
        None, "--fx", help="Add RUB figures with this rate, CUR=RUB per unit, e.g. USD=92.45 (repeatable)."
    ),
    rates_file: Optional[Path] = typer.Option(None, "--rates-file", help="Add RUB figures from a CSV/YAML rates file."),
    cbr: bool = typer.Option(False, "--cbr", help="Add RUB figures, falling back to the CBR daily feed (cached)."),
    ozon_fee: Optional[str] = typer.Option(None, "--ozon-fee", help="Force an Ozon fee rule (flat-15, percent-2)."),
    min_confidence: Optional[str] = typer.Option(
        None,
        "--min-confidence",
        help="Drop services whose rates are less sure than this: official, carrier_sheet, third_party, inferred.",
    ),
) -> None:
    """Quote one parcel against every service in force on the order date."""

    def run() -> None:
        from ..parcels import Parcel

        total_weight, total_value = _weight_and_value(weight, value, item)
        parcel = Parcel.parse(
            total_weight,
            dims,
            date=date,
            value=total_value,
            delivery="courier" if courier else "pickup_point",
            battery=battery,
            liquid=liquid,
        )
        ts = load(tariffs)
        quotes = ts.quote(parcel, readings=reading or (), min_confidence=min_confidence)
        notice = ts.coverage(parcel.order_date, readings=reading or ()).message
        rub = bool(fx or rates_file or cbr or ozon_fee)
        if rub:  # RUB figures: ratecalc.costs adds them, ratecalc.cli.economics prints them
            from ..costs import with_rub
            from ..fx import build_chain

            quotes = with_rub(quotes, parcel, build_chain(fx, rates_file, cbr=cbr), ozon_fee=ozon_fee)
        if as_json:
            if notice:  # stdout stays JSON
                consoles.err.print(f"note: {notice}", highlight=False, soft_wrap=True)
            if full:
                data = [q.model_dump(mode="json") for q in quotes]
            else:
                from ..compact import compact

                data = [compact(q) for q in quotes]
            sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            sys.stdout.write("\n")
        else:
            consoles.out.print(
                f"{parcel.weight_g} g, {'x'.join(str(s) for s in parcel.dims_mm)} mm, "
                f"order date {parcel.order_date.isoformat()}, {parcel.delivery}"
            )
            if notice:
                consoles.out.print(f"[bold yellow]note:[/] {notice}", highlight=False, soft_wrap=True)
            render_quotes(quotes)
            if rub:
                from .economics import render_rub

                render_rub(quotes, consoles.out)

    guarded(run)


def register(app: typer.Typer) -> None:
    app.command()(quote)
