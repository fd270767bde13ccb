"""`ratecalc quote`: one parcel against every service in force on the order date.

The table is written for an 80-column terminal: one short row per priced service (cheapest or fastest
first), then one line counting the services without a price; `--all` lists those too, each with its
reasons as word-wrapped text (never a word broken across lines).
"""

from __future__ import annotations

import sys
import textwrap
from typing import TYPE_CHECKING, Annotated, Callable, List, Literal, Optional, Sequence, Union

import typer

from ..errors import InputError
from ..i18n import ENGLISH, Lang
from ..tariffdata.confidence import confidence_of
from ._common import consoles, guarded, load
from ._parcel import parcel_from_flags
from ._plaintable import Column, table_text
from .options import (
    Battery,
    Cbr,
    Courier,
    Date,
    Dims,
    Fx,
    Json,
    Language,
    Liquid,
    MinConfidence,
    OzonFee,
    RatesFile,
    Reading,
    Scheme,
    ShowAll,
    Tariffs,
    Top,
    Value,
    Weight,
)

if TYPE_CHECKING:
    from rich.console import Console

    from ..pricing.result import ServiceQuote
    from ._plainout import PlainConsole

    Out = Union[Console, PlainConsole]

SortBy = Literal["price", "days"]


def _price(q: ServiceQuote, t: Lang = ENGLISH) -> str:
    return t.money(q.price.amount, q.price.currency) if q.price else "—"


def _days(q: ServiceQuote, t: Lang = ENGLISH) -> str:
    if not q.delivery_days:
        return "—"
    days = f"{q.delivery_days.min}–{q.delivery_days.max}"
    if q.delivery_days.basis == "dropoff_to_sorting_centre":
        days += t._(" to SC")  # Ozon's 2026 sheets count days to its sorting centre, not to the buyer
    return days


def confidence(q: ServiceQuote) -> str:
    return confidence_of(q.tariff.sources, q.tariff.confidence)


def _confidence_label(q: ServiceQuote, t: Lang) -> str:
    if t is ENGLISH:
        return confidence(q)
    from ..pricing.wording import CONFIDENCE

    return t._(CONFIDENCE.get(confidence(q), confidence(q)))


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
    if not (first + text).isascii():  # Chinese takes two cells a character and breaks between characters
        from ._wrap import label, wrap

        lines = wrap(label(first, text), width)
    for line in lines:
        console.print(line, highlight=False, markup=False, soft_wrap=True)


def render_quotes(
    quotes: Sequence[ServiceQuote],
    console: Optional[Out] = None,
    *,
    show_all: bool = False,
    top: Optional[int] = None,
    t: Lang = ENGLISH,
    why: Optional[Callable[[ServiceQuote], str]] = None,
) -> None:
    """The priced services as a table (in the order given), then the others counted or listed; `t` is the
    language, `why` words a service's reasons in it (default: the library's English sentences)."""
    console = console or consoles.out
    priced = [q for q in quotes if q.status == "ok"]
    shown = priced[:top] if top else priced
    unpriced = [q for q in quotes if q.status == "unpriced"]
    ineligible = [q for q in quotes if q.status == "ineligible"]
    rub = any(q.total_rub or q.price_rub for q in shown)
    from ..pricing.ties import group_ties

    ties = group_ties(shown)
    grouped = not show_all and len(ties) < len(shown)  # ties as one row, unless --all asks for every service
    if shown:
        columns = [Column(t._("Service"), max_width=30), Column(t._("Price"), right=True)]
        if rub:
            columns.append(Column("RUB", right=True))
        columns += [Column(t._("Days"), right=True), Column(t._("Charged"), right=True), Column(t._("Confidence"))]
        rows = []
        firsts = [tie.first for tie in ties] if grouped else shown
        width = _name_width(console, columns, [_quote_row(q, "", rub, t) for q in firsts], shown)
        for tie in ties if grouped else [None]:
            for q in [tie.first] if tie is not None else shown:
                lines = _tie_lines(tie, width) if tie is not None else [q.service]
                rows.append(_quote_row(q, lines[0], rub, t))
                rows.extend([line] + [""] * (len(columns) - 1) for line in lines[1:])
        _print_table(console, columns, rows)
        if grouped:
            _wrap(console, t._("Ties"), t._("one row per price, days and rules; --all lists every service"))
    else:
        console.print(t._("No service has a published price for this parcel on this date."), highlight=False)
    _rest(console, priced, shown, unpriced, ineligible, show_all, t, why)


def _name_width(console: Out, columns: list[Column], rows: list[list[str]], shown: Sequence[ServiceQuote]) -> int:
    """How wide tie names may wrap: what the other columns leave of the console (as the plain table pads
    them), between the longest service name (at least 12) and the column's 30."""
    others = sum(max(len(c.header), *(len(r[i]) for r in rows)) + 2 for i, c in enumerate(columns) if i) - 1
    room = console.width - others - len(columns) - 1
    return max(12, *(len(q.service) for q in shown), min(30, room))


def _tie_lines(tie, width: int) -> list[str]:
    """A tie's name cell as lines of at most `width` cells ("Economy (8) ABT, ATC," / "  GBS, ..."), so the
    table stays plain text rows as narrow as the services' own names; a service alone keeps its name."""
    if not tie.tied:
        return [tie.first.service]
    from ._wrap import wrap

    head = tie.tier or tie.first.service
    return wrap(f"{head} ({len(tie.quotes)}) {', '.join(tie.names())}", min(width, 30), indent="  ")


def _quote_row(q: ServiceQuote, name: str, rub: bool, t: Lang) -> list[str]:
    row = [name, _price(q, t)]
    if rub:
        money = q.total_rub or q.price_rub
        row.append((money.amount if t is ENGLISH else t.number(money.amount, 2)) if money else "—")
    return row + [_days(q, t), t.grams(q.chargeable_weight_g), _confidence_label(q, t)]


def _rest(console, priced, shown, unpriced, ineligible, show_all: bool, t: Lang, why) -> None:
    """The services not in the table: counted, or with --all listed with their reasons."""
    rest = []
    if len(shown) < len(priced):
        rest.append(t._("%(n)s more priced", n=len(priced) - len(shown)))
    if unpriced:
        rest.append(t._("%(n)s without a published rate", n=len(unpriced)))
    if ineligible:
        rest.append(t._("%(n)s cannot carry it", n=len(ineligible)))
    if rest and not show_all:
        _wrap(console, t._("Also"), t._(", ").join(rest) + t._(" (--all lists them with the reasons)"))
    if show_all:
        word = why or (lambda q: "; ".join(r.message for r in q.reasons))
        for q in priced[len(shown) :]:
            _wrap(console, f"  {q.service}", t._("%(price)s, %(days)s days", price=_price(q, t), days=_days(q, t)))
        by_reason: dict[str, list[str]] = {}
        for q in unpriced:  # most share one reason ("rate not published"): say it once
            text = word(q) or t._("rate not published")
            by_reason.setdefault(text, []).append(q.service)
        for text, names in by_reason.items():
            _wrap(
                console,
                t._("No published rate (%(n)s)", n=len(names)),
                t._("%(names)s. Why: %(why)s", names=", ".join(names), why=text),
            )
        for q in ineligible:
            _wrap(console, t._("Cannot carry it: %(service)s", service=q.service), word(q) or t._("ineligible"))


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


def _header(quotes: Sequence[ServiceQuote], parcel, t: Lang = ENGLISH, scheme: str = "rfbs") -> str:
    dv = parcel.declared_value
    value = t._(", declared %(value)s", value=t.money(dv.amount, dv.currency) if t is not ENGLISH else dv) if dv else ""
    where = t._("courier") if parcel.delivery == "courier" else t._("pickup point")
    sep = t._(", ")
    dims = "x".join(str(s) for s in parcel.dims_mm) + " " + t._("mm")
    out = sep.join(
        [t.grams(parcel.weight_g), dims + value, t._("order date %(day)s", day=t.date(parcel.order_date)), where]
    )
    if scheme.lower() == "fbp":
        out += t._(", from Ozon's border warehouse (fbp)")
    group = next((q.group.name for q in quotes if q.group is not None and q.group.name), None)
    if group:
        out += t._("; shipment group %(group)s", group=group)
    readings = sorted({r for q in quotes for r in q.tariff.readings})
    if readings:
        out += t._("; reading %(names)s", names=", ".join(readings))
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


# The options of `quote` alone (those it shares with other commands: `options`).
_Full = Annotated[
    bool,
    typer.Option("--full", help="With --json: the complete quotes (billing rule, tariff sources, reason sentences)."),
]
_Carrier = Annotated[Optional[List[str]], typer.Option("--carrier", help="Only this carrier, id or name (repeatable).")]
_Sort = Annotated[str, typer.Option("--sort", help="price (cheapest first) or days (fastest first).")]
_Item = Annotated[
    Optional[List[str]],
    typer.Option(
        "--item",
        help="One item of a multi-item shipment, WEIGHT:PRICE e.g. 300g:900RUB (repeatable). Weights and "
        "prices are summed (Ozon groups a shipment by the sums); use instead of --weight/--value.",
    ),
]


def quote(
    dims: Dims,
    weight: Weight = None,
    date: Date = None,
    value: Value = None,
    courier: Courier = False,
    battery: Battery = False,
    liquid: Liquid = False,
    reading: Reading = None,
    as_json: Json = False,
    full: _Full = False,
    show_all: ShowAll = False,
    top: Top = None,
    carrier: _Carrier = None,
    sort: _Sort = "price",
    item: _Item = None,
    tariffs: Tariffs = None,
    fx: Fx = None,
    rates_file: RatesFile = None,
    cbr: Cbr = False,
    ozon_fee: OzonFee = None,
    min_confidence: MinConfidence = None,
    scheme: Scheme = "rfbs",
    lang: Language = None,
) -> None:
    """Quote one parcel against every service of the scheme in force on the order date."""

    def run() -> None:
        from ..i18n import choose_cli

        t = _lang_of(choose_cli(lang))
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
        rub = bool(fx or rates_file or cbr or ozon_fee)
        quotes = ts.quote(parcel, readings=reading or (), min_confidence=min_confidence, scheme=scheme)
        if rub:
            quotes = _with_rub(quotes, parcel, fx, rates_file, cbr, ozon_fee)
        quotes = order(select(quotes, carrier or []), sort)  # type: ignore[arg-type]
        notice = ts.coverage(parcel.order_date, readings=reading or (), scheme=scheme).message
        if as_json:
            _print_json(quotes, notice, full)
            return
        out = consoles.plain_out
        _print_quotes(out, quotes, parcel, ts, notice, t, scheme=scheme, reading=reading, show_all=show_all, top=top)
        if rub:
            _rates_lines(quotes, out, t)

    guarded(run)


def _with_rub(quotes: list[ServiceQuote], parcel, fx, rates_file, cbr: bool, ozon_fee) -> list[ServiceQuote]:
    """RUB figures: ratecalc.money.costs adds them (the rate, its date and source on every quote)."""
    from ..money.costs import with_rub
    from ..money.fx import build_chain

    return with_rub(quotes, parcel, build_chain(fx, rates_file, cbr=cbr), ozon_fee=ozon_fee)


def _print_json(quotes: Sequence[ServiceQuote], notice: Optional[str], full: bool) -> None:
    """The quotes as JSON on stdout (compact unless --full); the coverage note goes to stderr."""
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


def _print_quotes(
    out: Out, quotes, parcel, ts, notice: Optional[str], t: Lang, *, scheme, reading, show_all, top
) -> None:
    """The parcel line, the coverage note (worded in `t`) and the table of quotes."""
    _wrap(out, t._("Parcel"), _header(quotes, parcel, t, scheme))
    if notice and t is not ENGLISH:
        from ..pricing.wording import coverage_text

        notice = coverage_text(ts.coverage(parcel.order_date, readings=reading or ()), t)
    if notice:
        _wrap(out, t._("Note"), notice)
    render_quotes(quotes, out, show_all=show_all, top=top, t=t, why=_why(ts, parcel, reading, t))


def _rates_lines(quotes: Sequence[ServiceQuote], console: Out, t: Lang = ENGLISH) -> None:
    """Which rates made the RUB column, and why a row has none."""
    seen: dict[tuple, None] = {}
    for q in quotes:
        if q.fx is not None and q.fx.currency != "RUB":
            seen[(q.fx.currency, q.fx.rate, q.fx.date, q.fx.source)] = None
    for cur, rate, day, source in seen:
        _wrap(
            console,
            t._("Rate"),
            t._("1 %(cur)s = %(rate)s RUB (%(day)s, %(source)s); RUB = price × rate + Ozon fee",
                cur=cur, rate=rate, day=day, source=source),
        )  # fmt: skip
    missing = {q.rub_missing_reason for q in quotes if q.status == "ok" and q.rub_missing_reason}
    for reason in sorted(missing):
        _wrap(console, t._("No RUB"), reason)
    duty = next((q.customs for q in quotes if q.status == "ok" and q.customs is not None), None)
    if duty is not None:
        _wrap(console, t._("Customs (paid by the buyer, not in the totals)"), duty.explanation)


def _lang_of(code: str) -> Lang:
    from ..i18n import lang

    return lang(code)


def _why(ts, parcel, reading, t: Lang) -> Optional[Callable[[ServiceQuote], str]]:
    """Reasons worded in `t` from the rows that applied (None in English: the library's sentences)."""
    if t is ENGLISH:
        return None
    from ..pricing.facts import facts_for
    from ..pricing.wording import reasons_text

    compiled = ts.compiled(reading or ())
    return lambda q: reasons_text(q, parcel, facts_for(compiled, q, parcel), t, only_blocking=False)


def register(app: typer.Typer) -> None:
    app.command()(quote)
