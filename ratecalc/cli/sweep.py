"""`ratecalc sweep`: the cheapest (or fastest) service per weight band, for one size, value and date."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from ..errors import InputError
from . import _curves as flags
from ._common import consoles, guarded
from .options import (
    Battery,
    Cbr,
    Courier,
    Date,
    Dims,
    Fx,
    Json,
    Liquid,
    MaxWeight,
    RatesFile,
    Reading,
    Step,
    Tariffs,
    Value,
    Weight,
)

if TYPE_CHECKING:
    from ..money.bands import Band, Bands
    from ..pricing.curves import Curves


def _g(g: int) -> str:
    return f"{g / 1000:g} kg" if g >= 1000 and g % 100 == 0 else f"{g} g"


def bands_json(b: Bands) -> dict:
    return {
        "by": b.by,
        "compared_in": b.compared_in,
        "note": b.note,
        "bands": [
            {
                "from_g": x.from_g,
                "to_g": x.to_g,
                "service_id": x.service_id,
                "service": x.service,
                "price_from": None if x.price_from is None else str(x.price_from),
                "price_to": None if x.price_to is None else str(x.price_to),
                "delivery_days": None if x.delivery_days is None else list(x.delivery_days),
                "days_basis": x.days_basis,
            }
            for x in b.bands
        ],
    }


def sweep(
    dims: Dims,
    weight: Weight = None,
    date: Date = None,
    value: Value = None,
    courier: Courier = False,
    battery: Battery = False,
    liquid: Liquid = False,
    max_weight: MaxWeight = None,
    step: Step = None,
    by: str = typer.Option("price", "--by", help="price: cheapest per band; days: fastest (then cheapest)."),
    reading: Reading = None,
    fx: Fx = None,
    rates_file: RatesFile = None,
    cbr: Cbr = False,
    as_json: Json = False,
    tariffs: Tariffs = None,
) -> None:
    """Which service is cheapest (or fastest) in each weight band, swept in one engine run."""

    def run() -> None:
        if by not in ("price", "days"):
            raise InputError("--by", f"{by!r} is not an order; use price or days")
        curves = flags.run_curves(
            weight, dims, date, value, courier, battery, liquid, max_weight, step, reading, tariffs
        )
        chain = None
        if fx or rates_file or cbr:
            from ..money.fx import build_chain

            chain = build_chain(fx, rates_file, cbr=cbr)
        from ..money.bands import cheapest_bands

        bands = cheapest_bands(curves, by, chain)  # type: ignore[arg-type]
        if as_json:
            import json

            sys.stdout.write(json.dumps(bands_json(bands), ensure_ascii=False, indent=2) + "\n")
            return
        _print_bands(bands, curves, by)

    guarded(run)


def _print_bands(bands: Bands, curves: Curves, by: str) -> None:
    """The parcel in one line, the note if any, and a table of weight bands."""
    p = curves.parcel
    out = consoles.out
    what = "Fastest" if by == "days" else "Cheapest"
    value_text = f", declared {p.declared_value}" if p.declared_value else ""
    out.print(
        f"{what} service by weight, {'x'.join(map(str, p.dims_mm))} mm{value_text}, "
        f"{p.order_date.isoformat()}, {'courier' if p.delivery == 'courier' else 'pickup point'}"
        + (f"; prices in {bands.compared_in}" if bands.compared_in else ""),
        highlight=False,
    )
    if bands.note:
        out.print(f"Note: {bands.note}", highlight=False)
    if not bands.bands:
        return
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_edge=False)
    table.add_column("Weight", no_wrap=True)
    table.add_column("Service", no_wrap=True, overflow="ellipsis", max_width=30)
    table.add_column("Price", justify="right", no_wrap=True)
    table.add_column("Days", justify="right", no_wrap=True)
    for b in bands.bands:
        table.add_row(f"{_g(b.from_g)}–{_g(b.to_g)}", b.service or "no price", _band_price(b), _band_days(b))
    out.print(table)


def _band_price(b: Band) -> str:
    if b.price_from is None or b.price_to is None:
        return "—"
    if b.price_from.amount == b.price_to.amount:
        return str(b.price_from)
    return f"{b.price_from.amount}–{b.price_to.amount} {b.price_to.currency}"


def _band_days(b: Band) -> str:
    days = f"{b.delivery_days[0]}–{b.delivery_days[1]}" if b.delivery_days else "—"
    if b.delivery_days and b.days_basis == "dropoff_to_sorting_centre":
        days += " to SC"  # Ozon's 2026 sheets count days to its sorting centre
    return days


def register(app: typer.Typer) -> None:
    app.command()(sweep)
