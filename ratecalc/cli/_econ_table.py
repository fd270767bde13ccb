"""The tables of `ratecalc economics`, written for an 80-column terminal as `ratecalc quote`'s is.

What is the same for every carrier at one sale price (the commission, the purchase cost, the costs in %
of the price) is said once above the table; each row holds only what differs by carrier: its cost in
RUB, Ozon's fee, the returns, and the profit, margin and ROI. Services that tie (ratecalc.money.ties)
share one row whose name cell wraps between words; `--all` lists every service. Numbers never wrap.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Optional, Sequence

from ..i18n import ENGLISH, Lang
from ._plaintable import Column

if TYPE_CHECKING:
    from ..money.economics import EconomicsResult, Line, ReverseResult
    from ..pricing.parcels import Parcel
    from ..pricing.tariffset import TariffSet
    from .quote import Out


def _r(minor: int, t: Lang) -> str:
    value = Decimal(minor).scaleb(-2)
    return f"{value:,.2f}".replace(",", " ") if t is ENGLISH else t.number(value, 2)


def _pct(f, t: Lang) -> str:
    if f is None:
        return "—"
    value = Decimal(f.numerator) / Decimal(f.denominator) * 100
    return f"{value:.2f}" if t is ENGLISH else t.number(value, 2)


def _rows(
    ts: TariffSet,
    parcel: Parcel,
    lines: Sequence[Line],
    show_all: bool,
    readings: Sequence[str],
) -> list[tuple[Line, str, list[str], list[Line]]]:
    """(the first line, its label, short names, every line) per row: ties grouped unless --all."""
    if show_all:
        return [(ln, ln.service, [ln.service], [ln]) for ln in lines]
    from ..money.ties import group_label, line_groups

    items = [(ln.service_id, Decimal(ln.price_minor).scaleb(-2)) for ln in lines]
    out = []
    for idx, tie in line_groups(ts, parcel, items, readings):
        ids = [lines[i].service_id for i in idx]
        label, names = group_label(tie, ids, [lines[i].service for i in idx])
        out.append((lines[idx[0]], label, names if len(idx) > 1 else [], [lines[i] for i in idx]))
    return out


def _name_lines(label: str, names: list[str], width: int) -> list[str]:
    from ._wrap import wrap

    text = f"{label} ({len(names)}) {', '.join(names)}" if names else label
    return wrap(text, width, indent="  ")


def _table(console: Out, headers: list[tuple[str, bool]], rows: list[tuple[str, list[str]]], t: Lang) -> None:
    """Rows of (name text, number cells): the name wraps in what the numbers leave of the console."""
    from ._wrap import cells
    from .quote import _print_table

    width = max([cells(headers[0][0])] + [cells(line) for name, _ in rows for line in name.split("\n")])
    columns = [Column(headers[0][0], max_width=width)] + [Column(h, right=right) for h, right in headers[1:]]
    out: list[list[str]] = []
    for name, numbers in rows:
        lines = name.split("\n")
        out.append([lines[0], *numbers])
        out.extend([line] + [""] * len(numbers) for line in lines[1:])
    _print_table(console, columns, out)


def render_forward(
    result: EconomicsResult,
    ts: TariffSet,
    parcel: Parcel,
    console: Out,
    *,
    top: Optional[int] = None,
    show_all: bool = False,
    t: Lang = ENGLISH,
    readings: Sequence[str] = (),
) -> None:
    from .quote import _wrap

    if result.commission is not None and result.lines:
        _wrap(console, t._("Commission"), _commission(result, t))
        _wrap(console, t._("Same for every carrier"), _fixed(result.lines[0], t))
    rows = _rows(ts, parcel, result.lines, show_all, readings)
    shown = rows[:top] if top else rows
    if shown:
        _wrap(console, t._("Per carrier, RUB"), t._("sale price %(price)s", price=_r(result.sale_price_minor, t)))
        width = console.width
        body = []
        for ln, label, names, _ in shown:
            numbers = [
                _r(ln.carrier_rub, t),
                _r(ln.ozon_fee_rub, t),
                _r(ln.returns_rub + getattr(ln, "not_collected_rub", 0), t),  # returned and never collected
                _r(ln.profit_rub, t),
                _pct(ln.margin, t),
                _pct(ln.roi, t),
            ]
            body.append((label, names, numbers))
        headers = [
            (t._("Service"), False),
            (t._("Carrier"), True),
            (t._("Ozon fee"), True),
            (t._("Returns"), True),
            (t._("Profit"), True),
            (t._("Margin %"), True),
            (t._("ROI %"), True),
        ]
        _table(console, headers, _wrapped(console, headers, body, width), t)
    if top and len(rows) > top:
        _wrap(console, t._("Also"), t._("%(n)s more rows: drop --top or use --json", n=len(rows) - top))
    if not show_all and len(rows) < len(result.lines):
        _wrap(console, t._("Ties"), t._("one row per price, days and rules; --all lists every service"))
    _return_rules([m for *_, members in shown for m in members], console, t)
    _tail(result, console, t)


def _return_rules(lines: Sequence[Line], console: Out, t: Lang) -> None:
    """Which return rule each shown line applied, one line per rule, with the services and their source rows."""
    from ..money.wording import return_rule_text

    by: dict[tuple[str, str], list[str]] = {}
    for ln in lines:
        for rule, amount in (
            (getattr(ln, "returns_rule", None), ln.returns_rub),
            (getattr(ln, "not_collected_rule", None), getattr(ln, "not_collected_rub", 0)),
        ):
            if rule is None or not amount:
                continue
            case = t._("Returned") if rule.case == "returned" else t._("Not collected")
            said, formula = return_rule_text(rule, t)
            where = f" ({rule.source_row})" if rule.source_row else ""
            by.setdefault((f"{case} ({said})", formula), []).append(f"{ln.service}{where}")
    from ._wrap import label as labelled
    from ._wrap import wrap, wrap_items

    width = max(console.width, 40)
    for (label, formula), names in by.items():
        text = wrap(labelled(label, f"{formula} —"), width)  # the names after it, never split inside one
        text[-1:] = wrap_items(text[-1], names, width)
        for line in text:
            console.print(line, highlight=False, markup=False, soft_wrap=True)


def _wrapped(console: Out, headers, body, width: int) -> list[tuple[str, list[str]]]:
    """The name cells wrapped to the room the number columns leave (joined with newlines)."""
    from ._wrap import cells

    widths = [max([cells(h)] + [cells(n[i]) for _, _, n in body]) for i, (h, _) in enumerate(headers[1:])]
    room = width - sum(widths) - 3 * len(widths)  # as the plain table pads: three cells between columns
    longest = max([cells(headers[0][0])] + [cells(label) for label, names, _ in body if not names] + [12])
    w = max(longest, min(36, room))
    return [("\n".join(_name_lines(label, names, w)), numbers) for label, names, numbers in body]


def _commission(result: EconomicsResult, t: Lang) -> str:
    from ..pricing.wording import CONFIDENCE

    com = result.commission
    assert com is not None
    cat = com.category
    name = (
        (getattr(cat, t.code, None) or cat.en)
        if t is not ENGLISH
        else " / ".join(x for x in (cat.en, cat.ru, cat.zh) if x)
    )
    brand = f" [{cat.brand}]" if cat.brand else ""
    percent = f"{com.percent:f}" if t is ENGLISH else t.number(com.percent)
    amount = f"{com.amount_rub:.2f}" if t is ENGLISH else t.number(com.amount_rub, 2)
    return t._(
        "%(percent)s %% = %(amount)s RUB — %(category)s%(brand)s, tier %(tier)s, %(scheme)s, table %(table)s, "
        "confidence %(confidence)s",
        percent=percent,
        amount=amount,
        category=name,
        brand=brand,
        tier=com.tier_label,
        scheme=com.scheme if t is ENGLISH else com.scheme.replace("rfbs", "rFBS").replace("fbp", "FBP"),
        table=com.table.id,
        confidence=com.confidence if t is ENGLISH else t._(CONFIDENCE.get(com.confidence, com.confidence)),
    )


def _fixed(ln: Line, t: Lang) -> str:
    """The costs that do not depend on the carrier at this price."""
    parts = [
        t._("purchase %(rub)s", rub=_r(ln.purchase_rub, t)),
        t._("commission %(rub)s", rub=_r(ln.commission_rub, t)),
    ]
    for minor, label in (
        (ln.packaging_rub, t._("packaging %(rub)s")),
        (ln.first_mile_rub, t._("first mile %(rub)s")),
        (ln.acquiring_rub, t._("acquiring %(rub)s")),
        (ln.fx_loss_rub, t._("FX loss %(rub)s")),
        (ln.ads_rub, t._("ads %(rub)s")),
    ):
        if minor:
            parts.append(label % {"rub": _r(minor, t)})
    return t._(", ").join(parts) + " RUB"


def _tail(result, console: Out, t: Lang) -> None:
    """Cliffs, services not costed, customs, warnings and notes, each a wrapped line."""
    from ..money.wording import cliff_text, skipped_text
    from .quote import _wrap

    for c in getattr(result, "cliffs", []):
        _wrap(console, t._("Cliff"), cliff_text(c.kind, c.at, list(c.deltas_rub.values()), c.message, t))
    by: dict[str, list[str]] = {}
    for s in getattr(result, "skipped", []):
        by.setdefault(s.status, []).append(s.service_id)
    for status, ids in sorted(by.items()):
        why = skipped_text(status, t) if t is not ENGLISH else f"{status}, reasons in --json"
        _wrap(console, t._("Not costed (%(why)s)", why=why), ", ".join(ids))
    duty = getattr(result, "customs", None)
    if duty is not None and t is ENGLISH:
        extra = f" = {duty.duty_rub} RUB" if duty.duty_rub is not None and duty.duty_free is False else ""
        _wrap(console, "Customs (paid by the buyer, not in the costs)", f"{duty.explanation}{extra}")
    for w in getattr(result, "warnings", []):
        _wrap(console, t._("Warning"), w if t is ENGLISH else t._("no service could be costed in RUB at this price"))
    if t is ENGLISH:
        for n in result.notes:
            _wrap(console, "Note", n)


def render_reverse(
    result: ReverseResult,
    ts: TariffSet,
    parcel: Parcel,
    console: Out,
    *,
    top: Optional[int] = None,
    show_all: bool = False,
    t: Lang = ENGLISH,
    readings: Sequence[str] = (),
) -> None:
    from .quote import _wrap

    target = result.target
    goal = (
        t._("margin %(value)s %%", value=target.value)
        if target.kind == "margin"
        else t._("profit %(value)s RUB", value=target.value)
    )
    _wrap(console, t._("Lowest sale price reaching"), goal)
    reached = [r for r in result.lines if r.price_minor is not None and r.line is not None]
    lines = [r.line for r in reached]
    rows = _rows(ts, parcel, lines, show_all, readings)  # type: ignore[arg-type]
    shown = rows[:top] if top else rows
    if shown:
        body = [
            (label, names, [_r(ln.price_minor, t), _r(ln.carrier_rub, t), _r(ln.ozon_fee_rub, t), _r(ln.profit_rub, t),
                            _pct(ln.margin, t), _pct(ln.roi, t)])
            for ln, label, names, _ in shown
        ]  # fmt: skip
        headers = [
            (t._("Service"), False),
            (t._("Price RUB"), True),
            (t._("Carrier"), True),
            (t._("Ozon fee"), True),
            (t._("Profit"), True),
            (t._("Margin %"), True),
            (t._("ROI %"), True),
        ]
        _table(console, headers, _wrapped(console, headers, body, console.width), t)
    if top and len(rows) > top:
        _wrap(console, t._("Also"), t._("%(n)s more rows: drop --top or use --json", n=len(rows) - top))
    if not show_all and len(rows) < len(lines):
        _wrap(console, t._("Ties"), t._("one row per price, days and rules; --all lists every service"))
    reasons: dict[str, list[str]] = {}
    for r in result.lines:
        if r.price_minor is None:
            reasons.setdefault(r.reason or "", []).append(r.service_id)
    for why, ids in reasons.items():
        text = f"{', '.join(ids)} — {why}" if t is ENGLISH else ", ".join(ids)
        _wrap(console, t._("Not reached"), text)
    if t is ENGLISH:
        for n in result.notes:
            _wrap(console, "Note", n)


__all__ = ["render_forward", "render_reverse"]
