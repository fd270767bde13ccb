"""`ratecalc economics` (one SKU, or a whole catalogue with --input) and the RUB table of `ratecalc quote --fx`.

`register(app)` is called by ratecalc.cli; every error goes through `cli.guarded` (one line, exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Sequence, Union

import typer

from ..errors import InputError

if TYPE_CHECKING:
    from decimal import Decimal

    from rich.console import Console

    from ..pricing.result import ServiceQuote


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


def _pct(f) -> str:
    from decimal import Decimal

    return f"{Decimal(f.numerator) / Decimal(f.denominator) * 100:.2f} %"


def _r(minor: int) -> str:
    from decimal import Decimal

    return f"{Decimal(minor).scaleb(-2):,.2f}".replace(",", " ")


def render_commission(com, console: Console) -> None:
    """The commission at the sale price, with its category, tier, table and confidence (as a tariff's)."""
    cat = com.category
    names = " / ".join(x for x in (cat.en, cat.ru, cat.zh) if x)
    console.print(
        f"commission: {com.percent:f} % = {com.amount_rub:.2f} RUB — {names}"
        + (f" [brand {cat.brand}]" if cat.brand else "")
        + f", tier {com.tier_label}, {com.scheme}, table {com.table.id}, confidence {com.confidence}",
        highlight=False,
        soft_wrap=True,
    )
    if com.note:
        console.print(f"note: {com.note}", highlight=False, soft_wrap=True)


def render_forward(result, console: Console, top: Optional[int]) -> None:
    if result.commission is not None:
        render_commission(result.commission, console)
    from rich.table import Table

    table = Table(header_style="bold", title=f"Sale price {_r(result.sale_price_minor)} RUB — per carrier, RUB")
    for col in (
        "Service",
        "Group",
        "Carrier price",
        "Carrier",
        "Commission",
        "Ozon fee",
        "Other costs",
        "Profit",
        "Margin",
        "ROI",
    ):
        table.add_column(col, overflow="fold", justify="left" if col in ("Service", "Group") else "right")
    for ln in result.lines[:top] if top else result.lines:
        other = ln.costs_rub - ln.carrier_rub - ln.commission_rub - ln.ozon_fee_rub
        table.add_row(
            ln.service,
            ln.group or "—",
            f"{ln.carrier_price.amount} {ln.carrier_price.currency}",
            _r(ln.carrier_rub),
            f"{_r(ln.commission_rub)} ({ln.commission.percent}%)",
            _r(ln.ozon_fee_rub),
            _r(other),
            _r(ln.profit_rub),
            _pct(ln.margin),
            _pct(ln.roi) if ln.roi is not None else "—",
        )
    console.print(table)
    if top and len(result.lines) > top:
        console.print(f"({len(result.lines) - top} more priced services: drop --top or use --json)")
    _render_return_rules(result.lines[:top] if top else result.lines, console)
    from rich.text import Text

    for c in result.cliffs:
        console.print(Text.assemble(("cliff:", "yellow"), " ", c.message), highlight=False, soft_wrap=True)
    _render_skipped(result.skipped, console)
    if result.customs is not None:
        duty = result.customs
        extra = f" = {duty.duty_rub} RUB" if duty.duty_rub is not None and duty.duty_free is False else ""
        console.print(
            f"customs (paid by the buyer, not in the costs): {duty.explanation}{extra}", highlight=False, soft_wrap=True
        )
    for w in result.warnings:
        console.print(Text.assemble(("warning:", "red"), " ", w), highlight=False, soft_wrap=True)
    for n in result.notes:
        console.print(f"note: {n}", highlight=False, soft_wrap=True)


def _render_return_rules(lines, console: Console) -> None:
    """Which return rule each shown line applied, one line per rule, with the services and their source rows."""
    by: dict[tuple[str, str], list[str]] = {}
    for ln in lines:
        for rule, amount in ((ln.returns_rule, ln.returns_rub), (ln.not_collected_rule, ln.not_collected_rub)):
            if rule is None or not amount:
                continue
            label = ("returned" if rule.case == "returned" else "not collected") + f" ({rule.text or 'no rule stated'})"
            where = f" ({rule.source_row})" if rule.source_row else ""
            by.setdefault((label, rule.formula()), []).append(f"{ln.service}{where}")
    for (label, formula), names in by.items():
        console.print(f"{label}: {formula} — {', '.join(names)}", highlight=False, soft_wrap=True, markup=False)


def _render_skipped(skipped, console: Console) -> None:
    by: dict[str, list[str]] = {}
    for s in skipped:
        by.setdefault(s.status, []).append(s.service_id)
    for status, ids in sorted(by.items()):
        console.print(f"not costed ({status}, reasons in --json): {', '.join(ids)}", highlight=False, soft_wrap=True)


def render_reverse(result, console: Console, top: Optional[int]) -> None:
    from rich.table import Table

    table = Table(header_style="bold", title=f"Lowest sale price reaching {result.target.label()}")
    for col in ("Service", "Lowest price RUB", "Group", "Carrier price", "Profit", "Margin", "ROI"):
        table.add_column(col, overflow="fold", justify="left" if col in ("Service", "Group") else "right")
    reached = [r for r in result.lines if r.price_minor is not None]
    for r in reached[:top] if top else reached:
        ln = r.line
        table.add_row(
            r.service,
            _r(r.price_minor),
            ln.group or "—",
            f"{ln.carrier_price.amount} {ln.carrier_price.currency}",
            _r(ln.profit_rub),
            _pct(ln.margin),
            _pct(ln.roi) if ln.roi is not None else "—",
        )
    console.print(table)
    unreached = [r for r in result.lines if r.price_minor is None]
    reasons: dict[str, list[str]] = {}
    for r in unreached:
        reasons.setdefault(r.reason or "", []).append(r.service_id)
    for why, ids in reasons.items():
        console.print(f"not reached: {', '.join(ids)} — {why}", highlight=False, soft_wrap=True)
    for n in result.notes:
        console.print(f"note: {n}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the `economics` command to the ratecalc CLI."""
    from . import _common as cli

    @app.command()
    def economics(
        weight: Optional[str] = typer.Option(None, "--weight", "-w", help="Actual weight, e.g. 450g."),
        dims: Optional[str] = typer.Option(None, "--dims", "-d", help="L x W x H with a unit, e.g. 20x15x10cm."),
        category: Optional[str] = typer.Option(
            None,
            "--category",
            "-c",
            help="Commission category: its name in Russian, Chinese or English (any case), or its slug "
            "(see `ratecalc categories`). With --input: the default for rows without one.",
        ),
        brand: Optional[str] = typer.Option(
            None, "--brand", help="Brand (Apple, Dyson, Samsung, Sony...): its own commission rows where Ozon has them."
        ),
        purchase_cost: Optional[str] = typer.Option(
            None,
            "--purchase-cost",
            "--cost",
            help="Purchase cost per unit, any currency, e.g. 62CNY (bare number: RUB).",
        ),
        sale_price: Optional[str] = typer.Option(
            None, "--sale-price", "--price", help="Sale price in RUB (also the declared price)."
        ),
        target_margin: Optional[str] = typer.Option(
            None, "--target-margin", help="Find the lowest price reaching this margin, e.g. 20%."
        ),
        target_profit: Optional[str] = typer.Option(
            None, "--target-profit", help="Find the lowest price reaching this profit in RUB."
        ),
        date: Optional[str] = typer.Option(None, "--date", help="Order date YYYY-MM-DD (default: today)."),
        scheme: str = typer.Option(
            "rfbs", "--scheme", help="rfbs or fbp (border warehouse): the commission column and the lanes quoted."
        ),
        packaging: Optional[str] = typer.Option(None, "--packaging", help="Packaging per order, e.g. 5CNY."),
        first_mile: Optional[str] = typer.Option(None, "--first-mile", help="First-mile cost per order, e.g. 2CNY."),
        acquiring: Optional[str] = typer.Option(None, "--acquiring", help="Acquiring / payment fee, % of price."),
        fx_loss: Optional[str] = typer.Option(None, "--fx-loss", help="FX / withdrawal loss, % of price."),
        ads: Optional[str] = typer.Option(None, "--ads", help="Advertising, % of price."),
        return_rate: Optional[str] = typer.Option(
            None, "--return-rate", help="Share of orders a buyer returns, %: costed by each service's own return rule."
        ),
        not_collected_rate: Optional[str] = typer.Option(
            None, "--not-collected-rate", help="Share of orders never picked up, %."
        ),
        storage_days: Optional[int] = typer.Option(
            None, "--storage-days", help="Days a unit waits at Ozon's border warehouse (with --scheme fbp)."
        ),
        courier: bool = typer.Option(False, "--courier", help="Courier (door) delivery instead of pickup point."),
        battery: bool = typer.Option(False, "--battery", help="The parcel contains batteries."),
        liquid: bool = typer.Option(False, "--liquid", help="The parcel contains liquids."),
        fx: Optional[List[str]] = typer.Option(None, "--fx", help="Rate CUR=RUB per unit, e.g. CNY=11.5 (repeatable)."),
        rates_file: Optional[Path] = typer.Option(
            None, "--rates-file", help="CSV/YAML rates file (date, currency, rate)."
        ),
        cbr: bool = typer.Option(False, "--cbr/--no-cbr", help="Fall back to the CBR daily feed (off by default)."),
        ozon_fee: Optional[str] = typer.Option(None, "--ozon-fee", help="Force an Ozon fee rule (flat-15, percent-2)."),
        reading: Optional[List[str]] = typer.Option(None, "--reading", help="Named alternative reading (repeatable)."),
        top: Optional[int] = typer.Option(None, "--top", help="Show only the first N services."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
        input_path: Optional[Path] = typer.Option(
            None,
            "--input",
            "-i",
            help="A whole catalogue (.csv/.parquet): the columns of `ratecalc batch` plus category, purchase_cost, "
            "optional brand/packaging/first_mile, and sale_price or target_margin / target_profit per row.",
        ),
        output: Optional[Path] = typer.Option(None, "--output", "-o", help="With --input: output .csv or .parquet."),
        errors_path: Optional[Path] = typer.Option(
            None, "--errors", help="With --input: errors file (default: OUTPUT-stem.errors.csv)."
        ),
        input_format: Optional[str] = typer.Option(None, "--input-format", help="csv or parquet (default: by name)."),
        output_format: Optional[str] = typer.Option(None, "--output-format", help="csv or parquet (default: by name)."),
        delimiter: str = typer.Option(",", "--delimiter", help="CSV field delimiter of the input."),
        mapping: Optional[List[str]] = typer.Option(
            None, "--map", help="Read a parcel column under another name: CANONICAL=YOURS (repeatable)."
        ),
        no_progress: bool = typer.Option(False, "--no-progress", help="Do not draw the progress bar."),
        tariffs: Optional[List[Path]] = cli.TariffsOpt,
    ) -> None:
        """Profit, margin and ROI per carrier at a sale price, or the lowest price reaching a target;
        with --input, the same for every SKU of a catalogue file (one row per SKU; exit 1 if some rows failed)."""
        failed = {"any": False}

        def run() -> None:
            from ..money.economics import EconomicsInput, EconomicsResult, ReverseResult, Target, reverse_price
            from ..money.economics import economics as forward
            from ..money.fx import build_chain
            from ..pricing.parcels import Parcel

            chain = build_chain(fx, rates_file, cbr=cbr)
            if input_path is not None:
                _check_catalogue_paths(input_path, output, errors_path, rates_file)
                failed["any"] = _catalogue(
                    cli, chain, input_path, output, errors_path, input_format, output_format, delimiter, mapping,
                    no_progress, tariffs, reading, date,
                    dict(
                        scheme=scheme, category=category, brand=brand, purchase_cost=purchase_cost,
                        acquiring=parse_pct(acquiring, "acquiring"), fx_loss=parse_pct(fx_loss, "fx_loss"),
                        ads=parse_pct(ads, "ads"), return_rate=parse_pct(return_rate, "return_rate"), ozon_fee=ozon_fee,
                        not_collected_rate=parse_pct(not_collected_rate, "not_collected_rate"),
                        storage_days=storage_days,
                    ),
                )  # fmt: skip
                return
            for value, flag in ((weight, "--weight"), (dims, "--dims"), (category, "--category")):
                if value is None:
                    raise InputError(flag.lstrip("-"), f"{flag} is required (or give a catalogue with --input)")
            if purchase_cost is None:
                raise InputError("purchase_cost", "--purchase-cost is required (or give a catalogue with --input)")
            modes = [x is not None for x in (sale_price, target_margin, target_profit)]
            if sum(modes) != 1:
                raise InputError("sale_price", "give exactly one of --sale-price, --target-margin, --target-profit")
            parcel = Parcel.parse(
                weight,  # type: ignore[arg-type]
                dims,  # type: ignore[arg-type]
                date=date,
                delivery="courier" if courier else "pickup_point",
                battery=battery,
                liquid=liquid,
            )
            inp = EconomicsInput(
                parcel=parcel,
                category=category,  # type: ignore[arg-type]
                purchase_cost=_money_or_rub(purchase_cost, "purchase_cost"),
                scheme=scheme,
                brand=brand,
                packaging=_money_or_rub(packaging, "packaging"),
                first_mile=_money_or_rub(first_mile, "first_mile"),
                acquiring=parse_pct(acquiring, "acquiring"),
                fx_loss=parse_pct(fx_loss, "fx_loss"),
                ads=parse_pct(ads, "ads"),
                return_rate=parse_pct(return_rate, "return_rate"),
                ozon_fee=ozon_fee,
                readings=tuple(reading or ()),
                not_collected_rate=parse_pct(not_collected_rate, "not_collected_rate"),
                storage_days=storage_days,
            )
            ts = cli.load(tariffs)
            result: Union[EconomicsResult, ReverseResult]
            if sale_price is not None:
                sale = _money_or_rub(sale_price, "sale_price")
                result = forward(ts, inp, sale, chain)
                render = render_forward
            else:
                target = (
                    Target("margin", parse_pct(target_margin, "target_margin"))
                    if target_margin is not None
                    else Target("profit", parse_pct(target_profit, "target_profit"))
                )
                result = reverse_price(ts, inp, target, chain)
                render = render_reverse
            if as_json:
                import json

                sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
            else:
                console = cli.consoles.out
                console.print(
                    f"{parcel.weight_g} g, {'x'.join(str(s) for s in parcel.dims_mm)} mm, order date "
                    f"{parcel.order_date}, {parcel.delivery}, category {category}"
                    + (f", brand {brand}" if brand else "")
                    + f", scheme {scheme}",
                    highlight=False,
                )
                render(result, console, top)

        cli.guarded(run, flags={"input": "--input"})
        if failed["any"]:
            raise typer.Exit(1)


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


def _catalogue(
    cli, chain, input_path, output, errors_path, input_format, output_format, delimiter, mapping, no_progress,
    tariffs, reading, date, options,
) -> bool:  # fmt: skip
    """`economics --input`: the catalogue, chunk by chunk, with the progress bar of `ratecalc batch`."""
    import time

    from ..files.catalogue import Options, cost_file
    from ._progress import file_progress
    from .batch import _mapping

    opts = Options(**options)
    compiled = cli.load(tariffs).compiled(reading or (), opts.scheme)
    err = cli.consoles.err
    started = time.perf_counter()
    with file_progress(input_path, err, show=not no_progress, verb="costing", unit="SKUs") as tick:
        summary = cost_file(
            input_path,
            output,
            compiled,
            chain,
            opts,
            date=date,
            mapping=_mapping(mapping),
            errors_path=errors_path,
            input_format=input_format,
            output_format=output_format,
            delimiter=delimiter,
            progress=tick,
        )
    took = time.perf_counter() - started
    err.print(
        f"{summary.rows:,} SKUs: {summary.quoted:,} costed, {summary.failed:,} failed in {took:.2f} s\n"
        f"output: {summary.output}\nerrors: {summary.errors_path or 'none (every SKU costed)'}",
        highlight=False,
    )
    return summary.failed > 0
