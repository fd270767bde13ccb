"""`ratecalc quote`: one parcel against every service in force on the order date.

The table is written for an 80-column terminal: one short row per priced service (cheapest or fastest
first), then one line counting the services without a price; `--all` lists those too, each with its
reasons as word-wrapped text (never a word broken across lines).
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, List, Literal, Optional, Sequence, Union

import typer

from ..errors import InputError
from ..tariffdata.confidence import confidence_of
from ._common import TariffsOpt, consoles, guarded, load
from ._parcel import parcel_from_flags
from ._plaintable import Column, table_text

if TYPE_CHECKING:
    from rich.console import Console

    from ..pricing.result import ServiceQuote
    from ._plainout import PlainConsole

    Out = Union[Console, PlainConsole]

SortBy = Literal["price", "days"]


def _price(q: ServiceQuote) -> str:
    return f"{q.price.amount} {q.price.currency}" if q.price else "—"


def _days(q: ServiceQuote) -> str:
    if not q.delivery_days:
        return "—"
    days = f"{q.delivery_days.min}–{q.delivery_days.max}"
    if q.delivery_days.basis == "dropoff_to_sorting_centre":
        days += " to SC"  # Ozon's 2026 sheets count days to its sorting centre, not to the buyer
    return days


def confidence(q: ServiceQuote) -> str:
    return confidence_of(q.tariff.sources, q.tariff.confidence)


def order(quotes: Sequence[ServiceQuote], sort: SortBy) -> list[ServiceQuote]:
    """Priced first, by price (currency, amount) or by published maximum days then price; the rest after."""
    from decimal import Decimal

    def key(q: ServiceQuote) -> tuple:
        rank = {"ok": 0, "unpriced": 1, "ineligible": 2}[q.status]
        amount = Decimal(q.price.amount) if q.price else Decimal(0)
        currency = q.price.currency if q.price else ""
        days = q.delivery_days.max if q.delivery_days else 10_000
        return (rank, days, currency, amount, q.service) if sort == "days" else (rank, currency, amount, q.service)

    return sorted(quotes, key=key)


def select(quotes: Sequence[ServiceQuote], carriers: Sequence[str]) -> list[ServiceQuote]:
    """Keep the named carriers (id or name, any case); an unknown name is an error, not an empty table."""
    if not carriers:
        return list(quotes)
    known = {q.carrier_id.lower(): q.carrier_id for q in quotes} | {q.carrier.lower(): q.carrier_id for q in quotes}
    wanted = set()
    for name in carriers:
        if name.lower() not in known:
            ids = ", ".join(sorted({q.carrier_id for q in quotes}))
            raise InputError("carrier", f"no carrier {name!r} on this date; known: {ids}")
        wanted.add(known[name.lower()])
    return [q for q in quotes if q.carrier_id in wanted]


def _wrap(console: Out, first: str, text: str) -> None:
    """`first: text`, wrapped at word boundaries to the console width, continuation lines indented."""
    width = max(console.width, 40)
    lines = textwrap.wrap(
        f"{first}: {text}",
        width=width,
        subsequent_indent="    ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    for line in lines:
        console.print(line, highlight=False, markup=False, soft_wrap=True)


def render_quotes(
    quotes: Sequence[ServiceQuote],
    console: Optional[Out] = None,
    *,
    show_all: bool = False,
    top: Optional[int] = None,
) -> None:
    """The priced services as a table (in the order given), then the others counted or listed."""
    console = console or consoles.out
    priced = [q for q in quotes if q.status == "ok"]
    shown = priced[:top] if top else priced
    unpriced = [q for q in quotes if q.status == "unpriced"]
    ineligible = [q for q in quotes if q.status == "ineligible"]
    rub = any(q.total_rub or q.price_rub for q in shown)
    if shown:
        columns = [Column("Service", max_width=30), Column("Price", right=True)]
        if rub:
            columns.append(Column("RUB", right=True))
        columns += [Column("Days", right=True), Column("Charged", right=True), Column("Confidence")]
        rows = []
        for q in shown:
            row = [q.service, _price(q)]
            if rub:
                money = q.total_rub or q.price_rub
                row.append(money.amount if money else "—")
            row += [_days(q), f"{q.chargeable_weight_g} g", confidence(q)]
            rows.append(row)
        _print_table(console, columns, rows)
    else:
        console.print("No service has a published price for this parcel on this date.", highlight=False)
    rest = []
    if len(shown) < len(priced):
        rest.append(f"{len(priced) - len(shown)} more priced")
    if unpriced:
        rest.append(f"{len(unpriced)} without a published rate")
    if ineligible:
        rest.append(f"{len(ineligible)} cannot carry it")
    if rest and not show_all:
        _wrap(console, "Also", ", ".join(rest) + " (--all lists them with the reasons)")
    if show_all:
        for q in priced[len(shown) :]:
            _wrap(console, f"  {q.service}", f"{_price(q)}, {_days(q)} days")
        by_reason: dict[str, list[str]] = {}
        for q in unpriced:  # most share one reason ("rate not published"): say it once
            why = "; ".join(r.message for r in q.reasons) or "rate not published"
            by_reason.setdefault(why, []).append(q.service)
        for why, names in by_reason.items():
            _wrap(console, f"No published rate ({len(names)})", f"{', '.join(names)}. Why: {why}")
        for q in ineligible:
            _wrap(console, f"Cannot carry it: {q.service}", "; ".join(r.message for r in q.reasons) or "ineligible")


def _print_table(console: Out, columns: list[Column], rows: list[list[str]]) -> None:
    """The priced services: as plain text when that is exactly what rich would print (`_plaintable`), else
    as a rich table (a narrow console, unusual characters)."""
    text = None if rich_tables_only else table_text(console, columns, rows)
    if text is not None:
        console.file.write(text)
        console.file.flush()  # as rich does after every print: a reader that went away is noticed here
        return
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_edge=False)
    for col in columns:
        if col.max_width is not None:
            table.add_column(col.header, no_wrap=True, overflow="ellipsis", max_width=col.max_width)
        else:
            table.add_column(col.header, justify="right" if col.right else "left", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    console.print(table)


rich_tables_only = False
"""True: always draw the table with rich (tests compare the two ways)."""


def _header(quotes: Sequence[ServiceQuote], parcel, scheme: str = "rfbs") -> str:
    value = f", declared {parcel.declared_value}" if parcel.declared_value else ""
    where = "courier" if parcel.delivery == "courier" else "pickup point"
    out = (
        f"{parcel.weight_g} g, {'x'.join(str(s) for s in parcel.dims_mm)} mm{value}, "
        f"order date {parcel.order_date.isoformat()}, {where}"
    )
    if scheme.lower() == "fbp":
        out += ", from Ozon's border warehouse (fbp)"
    group = next((q.group.name for q in quotes if q.group is not None and q.group.name), None)
    if group:
        out += f"; shipment group {group}"
    readings = sorted({r for q in quotes for r in q.tariff.readings})
    if readings:
        out += f"; reading {', '.join(readings)}"
    return out


def _weight_and_value(weight: Optional[str], value: Optional[str], items: Optional[List[str]]):
    """--weight/--value, or the sums of the --item WEIGHT:PRICE list (ratecalc.pricing.groups.combine_items)."""
    if not items:
        if weight is None:
            raise InputError("weight", "give --weight (or one --item WEIGHT:PRICE per item)")
        return weight, value
    if weight is not None or value is not None:
        raise InputError("item", "give either --item (per item) or --weight/--value (totals), not both")
    from ..pricing.groups import combine_items, parse_item

    return combine_items(parse_item(text, i) for i, text in enumerate(items))


def quote(
    weight: Optional[str] = typer.Option(None, "--weight", "-w", help="Actual weight with a unit: 1.2kg or 350g."),
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
    show_all: bool = typer.Option(False, "--all", help="Also list unpriced and ineligible services with reasons."),
    top: Optional[int] = typer.Option(None, "--top", min=1, help="Show only the first N priced services."),
    carrier: Optional[List[str]] = typer.Option(None, "--carrier", help="Only this carrier, id or name (repeatable)."),
    sort: str = typer.Option("price", "--sort", help="price (cheapest first) or days (fastest first)."),
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
    scheme: str = typer.Option(
        "rfbs", "--scheme", help="rfbs: you hand the parcel to the carrier; fbp: Ozon's border warehouse lanes."
    ),
) -> None:
    """Quote one parcel against every service of the scheme in force on the order date."""

    def run() -> None:
        if sort not in ("price", "days"):
            raise InputError("--sort", f"{sort!r} is not an order; use price or days")
        total_weight, total_value = _weight_and_value(weight, value, item)
        parcel = parcel_from_flags(
            total_weight,
            dims,
            date=date,
            value=total_value,
            courier=courier,
            battery=battery,
            liquid=liquid,
        )
        ts = load(tariffs)
        quotes = ts.quote(parcel, readings=reading or (), min_confidence=min_confidence, scheme=scheme)
        notice = ts.coverage(parcel.order_date, readings=reading or (), scheme=scheme).message
        rub = bool(fx or rates_file or cbr or ozon_fee)
        if rub:  # RUB figures: ratecalc.money.costs adds them (rate, its date and source on every quote)
            from ..money.costs import with_rub
            from ..money.fx import build_chain

            quotes = with_rub(quotes, parcel, build_chain(fx, rates_file, cbr=cbr), ozon_fee=ozon_fee)
        quotes = order(select(quotes, carrier or []), sort)  # type: ignore[arg-type]
        if as_json:
            if notice:  # stdout stays JSON
                consoles.plain_err.print(f"note: {notice}", highlight=False, soft_wrap=True)
            if full:
                data = [q.model_dump(mode="json") for q in quotes]
            else:
                from ..pricing.compact import compact

                data = [compact(q) for q in quotes]
            import json  # here: `--help` and the table output never need it

            sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            sys.stdout.write("\n")
            return
        out = consoles.plain_out
        _wrap(out, "Parcel", _header(quotes, parcel, scheme))
        if notice:
            _wrap(out, "Note", notice)
        render_quotes(quotes, out, show_all=show_all, top=top)
        if rub:
            _rates_lines(quotes, out)

    guarded(run)


def _rates_lines(quotes: Sequence[ServiceQuote], console: Out) -> None:
    """Which rates made the RUB column, and why a row has none."""
    seen: dict[tuple, None] = {}
    for q in quotes:
        if q.fx is not None and q.fx.currency != "RUB":
            seen[(q.fx.currency, q.fx.rate, q.fx.date, q.fx.source)] = None
    for cur, rate, day, source in seen:
        _wrap(console, "Rate", f"1 {cur} = {rate} RUB ({day}, {source}); RUB = price × rate + Ozon fee")
    missing = {q.rub_missing_reason for q in quotes if q.status == "ok" and q.rub_missing_reason}
    for reason in sorted(missing):
        _wrap(console, "No RUB", reason)
    duty = next((q.customs for q in quotes if q.status == "ok" and q.customs is not None), None)
    if duty is not None:
        _wrap(console, "Customs (paid by the buyer, not in the totals)", duty.explanation)


def register(app: typer.Typer) -> None:
    app.command()(quote)
