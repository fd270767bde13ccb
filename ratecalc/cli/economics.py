"""`ratecalc economics` (one SKU, or a whole catalogue with --input) and the RUB table of `ratecalc quote --fx`.

`register(app)` is called by ratecalc.cli; every error goes through `cli.guarded` (one line, exit 2).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, List, Optional, Sequence, Union

import typer

from ..errors import InputError
from ._econ_table import render_forward, render_reverse
from .options import (
    Battery,
    Cbr,
    Courier,
    Date,
    Delimiter,
    DimsOrNone,
    Errors,
    Fx,
    InputFormat,
    Json,
    Language,
    Liquid,
    Map,
    NoProgress,
    OutputFormat,
    OutputOrNone,
    OzonFee,
    RatesFile,
    Reading,
    Scheme,
    ShowAll,
    Tariffs,
    Top,
    Weight,
)

if TYPE_CHECKING:
    from decimal import Decimal

    from rich.console import Console

    from ..i18n import Lang
    from ..money.economics import EconomicsInput, Target
    from ..pricing.parcels import Parcel
    from ..pricing.result import ServiceQuote
    from ..units import Money


def render_rub(quotes: Sequence[ServiceQuote], console: Console) -> None:
    """What the seller pays per priced service, in RUB, with the rate and its source."""
    priced = [q for q in quotes if q.status == "ok"]
    if not priced:
        return
    from rich.table import Table

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
        console.print(
            f"Customs (paid by the buyer, not in the totals): {duty.explanation}"
            + (f"; {duty.duty_rub} RUB" if duty.duty_rub and duty.duty_free is False else "")
        )


def parse_pct(text: Optional[str], field: str) -> Decimal:
    """`1.9`, `1.9%`, `1,9 %` -> Decimal percent."""
    from decimal import Decimal

    from ..units import parse_decimal

    if text is None:
        return Decimal(0)
    return parse_decimal(str(text).strip().rstrip("%"), field, what="percentage (like 1.9 or 1.9%)", signed=True)


def _money_or_rub(text: Optional[str], field: str):
    """`62CNY`, `5 usd`, or a bare number meaning RUB."""
    from ..units import Money, parse_decimal, parse_money

    if text is None:
        return None
    if any(c.isalpha() for c in str(text)):
        return parse_money(text, field)
    return Money(parse_decimal(text, field, what="amount"), "RUB")


# The options of `economics` alone (those it shares with other commands: `options`).
_Category = Annotated[
    Optional[str],
    typer.Option(
        "--category",
        "-c",
        help="Commission category: its name in Russian, Chinese or English (any case), or its slug "
        "(see `ratecalc categories`). With --input: the default for rows without one.",
    ),
]
_Brand = Annotated[
    Optional[str],
    typer.Option(
        "--brand", help="Brand (Apple, Dyson, Samsung, Sony...): its own commission rows where Ozon has them."
    ),
]
_PurchaseCost = Annotated[
    Optional[str],
    typer.Option(
        "--purchase-cost", "--cost", help="Purchase cost per unit, any currency, e.g. 62CNY (bare number: RUB)."
    ),
]
_SalePrice = Annotated[
    Optional[str], typer.Option("--sale-price", "--price", help="Sale price in RUB (also the declared price).")
]
_TargetMargin = Annotated[
    Optional[str], typer.Option("--target-margin", help="Find the lowest price reaching this margin, e.g. 20%.")
]
_TargetProfit = Annotated[
    Optional[str], typer.Option("--target-profit", help="Find the lowest price reaching this profit in RUB.")
]
_Packaging = Annotated[Optional[str], typer.Option("--packaging", help="Packaging per order, e.g. 5CNY.")]
_FirstMile = Annotated[Optional[str], typer.Option("--first-mile", help="First-mile cost per order, e.g. 2CNY.")]
_Acquiring = Annotated[Optional[str], typer.Option("--acquiring", help="Acquiring / payment fee, % of price.")]
_FxLoss = Annotated[Optional[str], typer.Option("--fx-loss", help="FX / withdrawal loss, % of price.")]
_Ads = Annotated[Optional[str], typer.Option("--ads", help="Advertising, % of price.")]
_ReturnRate = Annotated[
    Optional[str],
    typer.Option("--return-rate", help="Share of orders a buyer returns, %: costed by each service's own return rule."),
]
_NotCollectedRate = Annotated[
    Optional[str], typer.Option("--not-collected-rate", help="Share of orders never picked up, %.")
]
_StorageDays = Annotated[
    Optional[int],
    typer.Option("--storage-days", help="Days a unit waits at Ozon's border warehouse (with --scheme fbp)."),
]
_Input = Annotated[
    Optional[Path],
    typer.Option(
        "--input",
        "-i",
        help="A whole catalogue (.csv/.parquet): the columns of `ratecalc batch` plus category, purchase_cost, "
        "optional brand/packaging/first_mile, and sale_price or target_margin / target_profit per row.",
    ),
]


def register(app: typer.Typer) -> None:
    """Add the `economics` command to the ratecalc CLI."""
    app.command()(economics)


def economics(
    weight: Weight = None,
    dims: DimsOrNone = None,
    category: _Category = None,
    brand: _Brand = None,
    purchase_cost: _PurchaseCost = None,
    sale_price: _SalePrice = None,
    target_margin: _TargetMargin = None,
    target_profit: _TargetProfit = None,
    date: Date = None,
    scheme: Scheme = "rfbs",
    packaging: _Packaging = None,
    first_mile: _FirstMile = None,
    acquiring: _Acquiring = None,
    fx_loss: _FxLoss = None,
    ads: _Ads = None,
    return_rate: _ReturnRate = None,
    not_collected_rate: _NotCollectedRate = None,
    storage_days: _StorageDays = None,
    courier: Courier = False,
    battery: Battery = False,
    liquid: Liquid = False,
    fx: Fx = None,
    rates_file: RatesFile = None,
    cbr: Cbr = False,
    ozon_fee: OzonFee = None,
    reading: Reading = None,
    top: Top = None,
    as_json: Json = False,
    input_path: _Input = None,
    output: OutputOrNone = None,
    errors_path: Errors = None,
    input_format: InputFormat = None,
    output_format: OutputFormat = None,
    delimiter: Delimiter = ",",
    mapping: Map = None,
    no_progress: NoProgress = False,
    tariffs: Tariffs = None,
    show_all: ShowAll = False,
    lang: Language = None,
) -> None:
    """Profit, margin and ROI per carrier at a sale price, or the lowest price reaching a target;
    with --input, the same for every SKU of a catalogue file (one row per SKU; exit 1 if some rows failed)."""
    # Long only by its signature, the table of its 39 options; the work is in the named steps below.
    from ._common import guarded

    sku = _Sku(
        category, brand, purchase_cost, scheme, packaging, first_mile, acquiring, fx_loss, ads, return_rate,
        not_collected_rate, storage_days, ozon_fee, tuple(reading or ()),
    )  # fmt: skip
    failed = {"any": False}

    def run() -> None:
        from ..i18n import choose_cli
        from ..i18n import lang as lang_of
        from ..money.fx import build_chain

        t = lang_of(choose_cli(lang))
        chain = build_chain(fx, rates_file, cbr=cbr)
        if input_path is not None:
            files = _Files(
                input_path, output, errors_path, input_format, output_format, delimiter, mapping, no_progress
            )
            _check_catalogue_paths(input_path, output, errors_path, rates_file)
            failed["any"] = _catalogue(files, chain, tariffs, date, sku)
            return
        prices = (sale_price, target_margin, target_profit)
        _check_one_sku(weight, dims, sku, prices)
        inp = sku.input(_parcel(weight, dims, date, courier, battery, liquid))
        _one_sku(inp, chain, prices, tariffs, t, as_json=as_json, top=top, show_all=show_all)

    guarded(run, flags={"input": "--input"})
    if failed["any"]:
        raise typer.Exit(1)


@dataclass(frozen=True)
class _Sku:
    """The flags that describe what is sold and what it costs, as typed: one SKU, or a catalogue's defaults."""

    category: Optional[str]
    brand: Optional[str]
    purchase_cost: Optional[str]
    scheme: str
    packaging: Optional[str]
    first_mile: Optional[str]
    acquiring: Optional[str]
    fx_loss: Optional[str]
    ads: Optional[str]
    return_rate: Optional[str]
    not_collected_rate: Optional[str]
    storage_days: Optional[int]
    ozon_fee: Optional[str]
    readings: tuple[str, ...]

    def percents(self) -> dict[str, Decimal]:
        """The percentage flags as Decimal percent (absent: 0), each error naming its flag."""
        names = ("acquiring", "fx_loss", "ads", "return_rate", "not_collected_rate")
        return {name: parse_pct(getattr(self, name), name) for name in names}

    def catalogue_options(self) -> dict[str, Any]:
        """The defaults of every catalogue row (`files.catalogue.Options`; a row's own column wins)."""
        return dict(
            scheme=self.scheme, category=self.category, brand=self.brand, purchase_cost=self.purchase_cost,
            ozon_fee=self.ozon_fee, storage_days=self.storage_days, **self.percents(),
        )  # fmt: skip

    def input(self, parcel: Parcel) -> EconomicsInput:
        """One SKU's economics input (the required flags were checked by `_one_sku_target`)."""
        from ..money.economics import EconomicsInput

        purchase = _money_or_rub(self.purchase_cost, "purchase_cost")
        packaging = _money_or_rub(self.packaging, "packaging")
        first_mile = _money_or_rub(self.first_mile, "first_mile")
        return EconomicsInput(
            parcel=parcel,
            category=self.category,  # type: ignore[arg-type]
            purchase_cost=purchase,
            scheme=self.scheme,
            brand=self.brand,
            packaging=packaging,
            first_mile=first_mile,
            ozon_fee=self.ozon_fee,
            readings=self.readings,
            storage_days=self.storage_days,
            **self.percents(),
        )


def _check_one_sku(weight, dims, sku: _Sku, prices: tuple[Optional[str], ...]) -> None:
    """Without --input: the parcel, the category, the purchase cost, and exactly one of the sale price,
    the target margin and the target profit."""
    for value, flag in ((weight, "--weight"), (dims, "--dims"), (sku.category, "--category")):
        if value is None:
            raise InputError(flag.lstrip("-"), f"{flag} is required (or give a catalogue with --input)")
    if sku.purchase_cost is None:
        raise InputError("purchase_cost", "--purchase-cost is required (or give a catalogue with --input)")
    if sum(x is not None for x in prices) != 1:
        raise InputError("sale_price", "give exactly one of --sale-price, --target-margin, --target-profit")


def _target(sale_price, target_margin, target_profit) -> Union[Money, Target]:
    """What one SKU is priced at: its sale price (forward), or the margin or profit to reach (reverse)."""
    from ..money.economics import Target

    if sale_price is not None:
        return _money_or_rub(sale_price, "sale_price")
    if target_margin is not None:
        return Target("margin", parse_pct(target_margin, "target_margin"))
    return Target("profit", parse_pct(target_profit, "target_profit"))


def _parcel(weight, dims, date, courier: bool, battery: bool, liquid: bool) -> Parcel:
    from ..pricing.parcels import Parcel

    delivery = "courier" if courier else "pickup_point"
    return Parcel.parse(weight, dims, date=date, delivery=delivery, battery=battery, liquid=liquid)


def _one_sku(inp: EconomicsInput, chain, prices, tariffs, t: Lang, *, as_json: bool, top, show_all: bool) -> None:
    """Price one SKU forward (at a sale price) or in reverse (to a target), and print it."""
    from ..money.economics import ReverseResult, Target, reverse_price
    from ..money.economics import economics as forward
    from ._common import consoles, load

    ts = load(tariffs)
    target = _target(*prices)
    result = reverse_price(ts, inp, target, chain) if isinstance(target, Target) else forward(ts, inp, target, chain)
    if as_json:
        import json

        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    from .quote import _header, _wrap

    console = consoles.plain_out
    what = t._("; category %(category)s", category=inp.category) + (f", {inp.brand}" if inp.brand else "")
    _wrap(console, t._("Parcel"), _header([], inp.parcel, t) + what + f", {inp.scheme}")
    render = render_reverse if isinstance(result, ReverseResult) else render_forward
    render(result, ts, inp.parcel, console, top=top, show_all=show_all, t=t, readings=inp.readings)  # type: ignore[arg-type]


def _check_catalogue_paths(input_path: Path, output: Optional[Path], errors: Optional[Path], rates: Optional[Path]):
    """Before any work: a regular input, and outputs that are neither an input, each other nor special."""
    from ..files.batchfile import default_errors_path
    from ..files.paths import check_input, check_paths

    if output is None:
        raise InputError("output", "--input needs --output (-o) FILE.csv or FILE.parquet")
    check_input("input", input_path)
    check_paths(
        [("output", output), ("errors", errors or default_errors_path(output))],
        [("input", input_path), ("rates_file", rates)],
    )


@dataclass(frozen=True)
class _Files:
    """`economics --input`: the catalogue, where its results and errors go, and how the files are read."""

    input_path: Path
    output: Optional[Path]
    errors_path: Optional[Path]
    input_format: Optional[str]
    output_format: Optional[str]
    delimiter: str
    mapping: Optional[List[str]]
    no_progress: bool


def _catalogue(files: _Files, chain, tariffs: Optional[List[Path]], date: Optional[str], sku: _Sku) -> bool:
    """`economics --input`: the catalogue, chunk by chunk, with the progress bar of `ratecalc batch`."""
    import time

    from ..files.catalogue import Options, cost_file
    from ._common import consoles, load
    from ._progress import file_progress
    from .batch import _mapping

    opts = Options(**sku.catalogue_options())
    compiled = load(tariffs).compiled(sku.readings, opts.scheme)
    err = consoles.err
    started = time.perf_counter()
    with file_progress(files.input_path, err, show=not files.no_progress, verb="costing", unit="SKUs") as tick:
        summary = cost_file(
            files.input_path,
            files.output,  # type: ignore[arg-type]  # checked by _check_catalogue_paths
            compiled,
            chain,
            opts,
            date=date,
            mapping=_mapping(files.mapping),
            errors_path=files.errors_path,
            input_format=files.input_format,
            output_format=files.output_format,
            delimiter=files.delimiter,
            progress=tick,
        )
    took = time.perf_counter() - started
    err.print(
        "\n".join(summary.lines("SKUs", "costed", took))
        + f"\noutput: {summary.output}\nerrors: {summary.errors_path or 'none (every SKU costed)'}",
        highlight=False,
        markup=False,
    )
    return summary.failed > 0
