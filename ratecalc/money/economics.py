"""Unit economics per carrier: profit, margin and ROI at a sale price; the lowest price reaching a target;
and the cliffs (tiers, bands, fee limits) a small change of price or weight would cross.

Why a search and not a formula: commission tiers (1500 / 5000 RUB), shipment-group price bands (the sale
price is the declared price, so the carrier price itself depends on it) and the Ozon fee's min/max make
profit a piecewise function of the price with jumps. Closed-form pricing formulas ignore the jumps and
give prices that do not reach the target, or miss a cheaper price below a cliff.

Money is integer kopecks throughout. Each cost line is rounded once, half-up to the kopeck:
  commission  = price × category % (tier by price)         acquiring / FX loss / ads = price × their %
  carrier     = carrier price × rate (order date)          returns, not collected: by the service's rule (below)
  Ozon fee    = by its rule (flat, or % of price clamped)   purchase, packaging, first mile: × rate if not RUB
  storage     = border-warehouse days beyond the free ones × price per m³ per day × volume (fbp, when given)
  profit = price − every line; margin = profit ÷ price; ROI = profit ÷ (purchase + packaging + first mile + carrier)
Returns model: what a returned or uncollected order costs follows the rule Ozon states for the quoted row's
group (ratecalc.money.returns): destroyed (the goods are lost with the forward costs), or back with a
surcharge on the China-to-Russia rate, or back with none. The commission and Ozon fee are refunded on
returns. Rows that state no rule keep the older formula (forward costs lost, goods back) and say so.
FX loss applies to the sale proceeds (the price).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal, Optional, Sequence

import numpy as np

from ..errors import InputError
from ..pricing.parcels import Parcel
from ..pricing.result import ServiceQuote
from ..pricing.tariffset import TariffSet, check_scheme
from ..tariffdata.compile import day_number
from ..units import Money
from . import target_price
from .commissions import CommissionResult, charge, resolve, table_for, tier_breakpoints
from .customs import CustomsResult, customs_for
from .economics_schema import Category, CommissionTable, FeeRule
from .fees import fee_breakpoints, fee_minor, select_rule
from .fx import FxChain, FxQuote, quantize_minor, rate_or_reason
from .returns import CASES, ReturnRule, cost_minor, rules_for, value_limits
from .rounding import pct_of_minor, ratio
from .storage import StorageCost, check_storage_days, storage_cost

MAX_PRICE = Decimal("1000000")  # search ceiling for reverse pricing (RUB): far above any group band
CLIFF_WINDOW = Fraction(1, 10)  # cliffs within ±10 % of the price (or weight) are reported


def _ratio(value: Decimal) -> Fraction:
    return Fraction(value)


def _pct_of(minor: int, pct: Fraction) -> int:
    """`minor` × `pct` / 100, rounded half-up to an integer (kopeck); minor >= 0, pct >= 0."""
    return int(pct_of_minor(minor, pct.numerator, pct.denominator))


def _rub(minor: int) -> str:
    return f"{Decimal(minor).scaleb(-2):.2f}"


def _pct_str(value: Fraction) -> str:
    return f"{Decimal(value.numerator) / Decimal(value.denominator):.2f}"


# --------------------------------------------------------------------------- inputs


PERCENTAGES = ("acquiring", "fx_loss", "ads", "return_rate", "not_collected_rate")


def check_percentages(inputs: object) -> None:
    """acquiring, FX loss, ads (of the price), the return and not-collected rates: each from 0 to below 100 %;
    returned and uncollected orders together below 100 % (an order is one or the other, or delivered)."""
    for name in PERCENTAGES:
        value = Decimal(getattr(inputs, name))
        if not value.is_finite() or value < 0 or value >= 100:
            raise InputError(name, f"must be a percentage from 0 to below 100, got {value}", limit=[0, 100])
    both = sum((Decimal(getattr(inputs, n)) for n in ("return_rate", "not_collected_rate")), Decimal(0))
    if both >= 100:
        raise InputError(
            "not_collected_rate", f"return rate + not-collected rate must be below 100 %, got {both}", limit=100
        )


@dataclass(frozen=True)
class EconomicsInput:
    """One SKU: its parcel (declared value is ignored: the sale price is the declared price), category,
    costs. Percentages are of the sale price except `return_rate` (share of orders a buyer returns) and
    `not_collected_rate` (share of orders never picked up). `storage_days`: days a unit waits at Ozon's
    border warehouse before it ships (fbp only; None = not costed)."""

    parcel: Parcel
    category: str
    purchase_cost: Money
    scheme: str = "rfbs"
    brand: Optional[str] = None
    packaging: Optional[Money] = None
    first_mile: Optional[Money] = None
    acquiring: Decimal = Decimal(0)
    fx_loss: Decimal = Decimal(0)
    ads: Decimal = Decimal(0)
    return_rate: Decimal = Decimal(0)
    ozon_fee: Optional[str] = None
    readings: tuple[str, ...] = ()
    not_collected_rate: Decimal = Decimal(0)
    storage_days: Optional[int] = None

    def __post_init__(self) -> None:
        check_percentages(self)
        check_storage_days(self.storage_days, self.scheme)
        for name in ("purchase_cost", "packaging", "first_mile"):
            money = getattr(self, name)
            if money is not None and money.amount < 0:
                raise InputError(name, "cannot be negative")


@dataclass(frozen=True)
class Target:
    """Reverse-pricing goal: a margin in % of the price, or a profit in RUB."""

    kind: Literal["margin", "profit"]
    value: Decimal

    def __post_init__(self) -> None:
        if self.kind == "margin" and not (Decimal(-100) < self.value < 100):
            raise InputError("target_margin", f"margin must be below 100 %, got {self.value}", limit=100)

    def label(self) -> str:
        return f"margin {self.value} %" if self.kind == "margin" else f"profit {self.value} RUB"


# --------------------------------------------------------------------------- context (all that does not depend on price)


@dataclass
class _Ctx:
    ts: TariffSet
    inp: EconomicsInput
    fx: Optional[FxChain]
    day: dt.date
    purchase: int  # kopecks
    packaging: int
    first_mile: int
    acquiring: Fraction
    fx_loss: Fraction
    ads: Fraction
    returns: Fraction
    not_collected: Fraction
    table: CommissionTable
    category: Category
    commission_note: Optional[str] = None
    storage: Optional[StorageCost] = None
    fx_used: dict[str, FxQuote] = field(default_factory=dict)
    memo: dict[tuple[int, int], dict[str, ServiceQuote]] = field(default_factory=dict)

    @property
    def pct_total(self) -> Fraction:
        return self.acquiring + self.fx_loss + self.ads


def to_minor_rub(money: Money, quote: Optional[FxQuote]) -> int:
    """An amount in kopecks: RUB as is, else × the rate, half-up to the kopeck."""
    if money.currency == "RUB":
        return Money(quantize_minor(money.amount, "RUB"), "RUB").to_minor()
    assert quote is not None
    return Money(quantize_minor(money.amount * quote.rate, "RUB"), "RUB").to_minor()


def _to_minor_rub(money: Optional[Money], name: str, day: dt.date, fx: Optional[FxChain], used: dict) -> int:
    if money is None:
        return 0
    if money.currency == "RUB":
        return to_minor_rub(money, None)
    quote, why = rate_or_reason(fx, money.currency, day)
    if quote is None:
        raise InputError(name, f"{money} needs a {money.currency} rate on {day}: {why}", rule="fx_required")
    used[money.currency] = quote
    return to_minor_rub(money, quote)


def _context(ts: TariffSet, inp: EconomicsInput, fx: Optional[FxChain]) -> _Ctx:
    day = inp.parcel.order_date
    check_scheme(inp.scheme)
    table = table_for(day)
    category, note = resolve(table, inp.category, inp.brand)  # fails early, listing the closest categories
    used: dict[str, FxQuote] = {}
    storage = None
    if inp.storage_days is not None:
        storage = storage_cost(inp.storage_days, _volume_mm3(inp.parcel), day, fx)
        if storage.fx is not None:
            used[storage.fx.currency] = storage.fx
    return _Ctx(
        ts=ts,
        inp=inp,
        fx=fx,
        day=day,
        purchase=_to_minor_rub(inp.purchase_cost, "purchase_cost", day, fx, used),
        packaging=_to_minor_rub(inp.packaging, "packaging", day, fx, used),
        first_mile=_to_minor_rub(inp.first_mile, "first_mile", day, fx, used),
        acquiring=_ratio(inp.acquiring),
        fx_loss=_ratio(inp.fx_loss),
        ads=_ratio(inp.ads),
        returns=_ratio(inp.return_rate),
        not_collected=_ratio(inp.not_collected_rate),
        table=table,
        category=category,
        commission_note=note,
        storage=storage,
        fx_used=used,
    )


def _volume_mm3(parcel: Parcel) -> int:
    length, width, height = parcel.dims_mm
    return length * width * height


# --------------------------------------------------------------------------- one line


@dataclass(frozen=True)
class _Carrier:
    """What the engine said about one service at one price: enough to cost it without re-quoting."""

    status: str
    price: Optional[Money]
    minor_rub: Optional[int]
    fx: Optional[FxQuote]
    fee_rule: Optional[FeeRule]
    reason: Optional[str]

    def key(self) -> tuple:
        # not the reason text: it quotes the declared price, which changes with every probe
        return (self.status, None if self.price is None else (self.price.amount, self.price.currency))


@dataclass(frozen=True)
class Line:
    """The economics of one service at one sale price (kopecks)."""

    service_id: str
    service: str
    carrier: str
    price_minor: int
    carrier_price: Money
    carrier_rub: int
    fx: Optional[FxQuote]
    commission: CommissionResult
    commission_rub: int
    ozon_fee_rule: str
    ozon_fee_rub: int
    acquiring_rub: int
    fx_loss_rub: int
    ads_rub: int
    returns_rub: int
    purchase_rub: int
    packaging_rub: int
    first_mile_rub: int
    group: Optional[str]
    delivery_days: Optional[tuple[int, int]]
    not_collected_rub: int = 0
    storage_rub: int = 0
    returns_rule: Optional[ReturnRule] = None
    not_collected_rule: Optional[ReturnRule] = None

    @property
    def costs_rub(self) -> int:
        return (
            self.purchase_rub
            + self.packaging_rub
            + self.first_mile_rub
            + self.carrier_rub
            + self.commission_rub
            + self.ozon_fee_rub
            + self.acquiring_rub
            + self.fx_loss_rub
            + self.ads_rub
            + self.returns_rub
            + self.not_collected_rub
            + self.storage_rub
        )

    @property
    def profit_rub(self) -> int:
        return self.price_minor - self.costs_rub

    @property
    def invested_rub(self) -> int:
        return self.purchase_rub + self.packaging_rub + self.first_mile_rub + self.carrier_rub

    @property
    def margin(self) -> Fraction:
        return Fraction(self.profit_rub, self.price_minor)

    @property
    def roi(self) -> Optional[Fraction]:
        return Fraction(self.profit_rub, self.invested_rub) if self.invested_rub else None

    def to_dict(self) -> dict:
        return {
            "service_id": self.service_id,
            "service": self.service,
            "carrier": self.carrier,
            "sale_price_rub": _rub(self.price_minor),
            "carrier_price": {"amount": f"{self.carrier_price.amount:f}", "currency": self.carrier_price.currency},
            "fx": None if self.fx is None else self.fx.to_dict(),
            "group": self.group,
            "delivery_days": None if self.delivery_days is None else list(self.delivery_days),
            "commission": self.commission.to_dict(),
            "ozon_fee_rule": self.ozon_fee_rule,
            "rub": {
                "purchase": _rub(self.purchase_rub),
                "packaging": _rub(self.packaging_rub),
                "first_mile": _rub(self.first_mile_rub),
                "carrier": _rub(self.carrier_rub),
                "commission": _rub(self.commission_rub),
                "ozon_fee": _rub(self.ozon_fee_rub),
                "acquiring": _rub(self.acquiring_rub),
                "fx_loss": _rub(self.fx_loss_rub),
                "ads": _rub(self.ads_rub),
                "returns": _rub(self.returns_rub),
                "not_collected": _rub(self.not_collected_rub),
                "storage": _rub(self.storage_rub),
                "costs": _rub(self.costs_rub),
                "profit": _rub(self.profit_rub),
            },
            "returns_rule": {
                case: None if rule is None else rule.to_dict()
                for case, rule in (("returned", self.returns_rule), ("not_collected", self.not_collected_rule))
            },
            "margin_pct": _pct_str(self.margin * 100),
            "roi_pct": None if self.roi is None else _pct_str(self.roi * 100),
        }


def _commission(ctx: _Ctx, price_minor: int) -> CommissionResult:
    """ratecalc.money.commissions.charge with the table and category resolved once per SKU."""
    return charge(ctx.table, ctx.category, ctx.inp.scheme, price_minor, ctx.commission_note)


def _return_rules(q: ServiceQuote) -> tuple[ReturnRule, ReturnRule]:
    """The quoted row's rules for a buyer's return and a parcel not collected (ratecalc.money.returns)."""
    t = q.tariff
    return rules_for(t.returns, t.source_row, t.sources)


def _return_minor(ctx: _Ctx, rule: ReturnRule, share: Fraction, carrier_rub: int) -> int:
    """One of the two return lines, by ratecalc.money.returns.cost_minor (the catalogue's rule too)."""
    if not share:
        return 0
    return int(
        cost_minor(
            share.numerator, share.denominator, rule.outcome == "destroyed", rule.surcharge,
            carrier_rub, ctx.packaging, ctx.first_mile, ctx.purchase,
        )
    )  # fmt: skip


def _line(ctx: _Ctx, q: ServiceQuote, c: _Carrier, price_minor: int) -> Line:
    com = _commission(ctx, price_minor)
    carrier_rub = c.minor_rub or 0
    returned, not_collected = (rule.at(price_minor) for rule in _return_rules(q))
    return Line(
        service_id=q.service_id,
        service=q.service,
        carrier=q.carrier,
        price_minor=price_minor,
        carrier_price=c.price,  # type: ignore[arg-type]
        carrier_rub=carrier_rub,
        fx=c.fx,
        commission=com,
        commission_rub=int(com.amount_rub.scaleb(2)),
        ozon_fee_rule=c.fee_rule.id,  # type: ignore[union-attr]
        ozon_fee_rub=int(fee_minor(c.fee_rule, price_minor)),  # type: ignore[arg-type]
        acquiring_rub=_pct_of(price_minor, ctx.acquiring),
        fx_loss_rub=_pct_of(price_minor, ctx.fx_loss),
        ads_rub=_pct_of(price_minor, ctx.ads),
        returns_rub=_return_minor(ctx, returned, ctx.returns, carrier_rub),
        purchase_rub=ctx.purchase,
        packaging_rub=ctx.packaging,
        first_mile_rub=ctx.first_mile,
        group=q.group.name if q.group is not None else None,
        delivery_days=None if q.delivery_days is None else (q.delivery_days.min, q.delivery_days.max),
        not_collected_rub=_return_minor(ctx, not_collected, ctx.not_collected, carrier_rub),
        storage_rub=0 if ctx.storage is None else ctx.storage.amount_minor,
        returns_rule=returned,
        not_collected_rule=not_collected,
    )


def _carrier(ctx: _Ctx, q: ServiceQuote) -> _Carrier:
    if q.status != "ok" or q.price is None:
        why = "; ".join(r.message for r in q.reasons) or q.status
        return _Carrier(q.status, None, None, None, None, why)
    money = Money(Decimal(q.price.amount), q.price.currency)
    for case, share, words in zip(CASES, (ctx.returns, ctx.not_collected), _return_rules(q)):
        if share and words.outcome == "unknown":
            why = f"the tariff's {case.replace('_', ' ')} rule {words.text!r} is not understood, so it cannot be costed"
            return _Carrier("no_return_rule", money, None, None, None, why)
    rule = select_rule(ctx.day, money.currency, ctx.inp.ozon_fee)
    if rule is None:
        return _Carrier(
            "no_fee_rule", money, None, None, None, f"no Ozon fee rule applies to {money.currency} tariffs on {ctx.day}"
        )
    if money.currency == "RUB":
        return _Carrier("ok", money, to_minor_rub(money, None), None, rule, None)
    quote, why = rate_or_reason(ctx.fx, money.currency, ctx.day)
    if quote is None:
        return _Carrier("no_rate", money, None, None, rule, f"price {money} has no RUB figure: {why}")
    return _Carrier("ok", money, to_minor_rub(money, quote), quote, rule, None)


def _parcels_at(ctx: _Ctx, prices_minor: Sequence[int], weights: Optional[Sequence[int]] = None) -> list[Parcel]:
    base = ctx.inp.parcel
    return [
        dataclasses.replace(
            base,
            declared_value=Money.from_minor(p, "RUB"),
            weight_g=base.weight_g if weights is None else weights[i],
        )
        for i, p in enumerate(prices_minor)
    ]


def _quote_at(
    ctx: _Ctx, prices_minor: Sequence[int], weights: Optional[Sequence[int]] = None
) -> list[dict[str, ServiceQuote]]:
    """One engine run for the (price, weight) pairs not seen yet: per pair, service_id -> quote."""
    ws = [ctx.inp.parcel.weight_g] * len(prices_minor) if weights is None else list(weights)
    keys = list(zip(prices_minor, ws))
    missing = sorted({k for k in keys if k not in ctx.memo})
    if missing:
        runs = ctx.ts.quote_many(
            _parcels_at(ctx, [k[0] for k in missing], [k[1] for k in missing]),
            readings=ctx.inp.readings,
            scheme=ctx.inp.scheme,
        )
        for k, quotes in zip(missing, runs):
            ctx.memo[k] = {q.service_id: q for q in quotes}
    return [ctx.memo[k] for k in keys]


# --------------------------------------------------------------------------- forward


@dataclass
class Skipped:
    service_id: str
    service: str
    status: str
    reason: str

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class EconomicsResult:
    sale_price_minor: int
    lines: list[Line]  # priced services, most profitable first
    skipped: list[Skipped]
    warnings: list[str]
    cliffs: list[Cliff]
    notes: list[str]
    customs: Optional[CustomsResult] = None  # the BUYER's duty at this price: shown, not in any cost line
    commission: Optional[CommissionResult] = None  # at this price, whatever the carrier (the same in every line)
    storage: Optional[StorageCost] = None  # border-warehouse storage per unit (fbp, when storage_days is given)

    def to_dict(self) -> dict:
        return {
            "storage": None if self.storage is None else self.storage.to_dict(),
            "sale_price_rub": _rub(self.sale_price_minor),
            "commission": None
            if self.commission is None
            else self.commission.to_dict() | {"amount_rub": f"{self.commission.amount_rub:.2f}"},
            "customs": None if self.customs is None else self.customs.to_dict(),
            "lines": [line.to_dict() for line in self.lines],
            "skipped": [s.to_dict() for s in self.skipped],
            "cliffs": [c.to_dict() for c in self.cliffs],
            "warnings": self.warnings,
            "notes": self.notes,
        }


def _price_minor(sale_price: Money | Decimal | int | str, name: str = "sale_price") -> int:
    if isinstance(sale_price, Money):
        if sale_price.currency != "RUB":
            raise InputError(name, f"the sale price must be in RUB, got {sale_price.currency}")
        amount = sale_price.amount
    else:
        amount = Decimal(str(sale_price))
    minor = Money(amount, "RUB").to_minor()
    if minor <= 0:
        raise InputError(name, "the sale price must be positive", limit="> 0")
    if amount > MAX_PRICE:
        raise InputError(
            name, f"the sale price {amount} RUB is above the input limit {MAX_PRICE} RUB", limit=str(MAX_PRICE)
        )
    return minor


def _notes(ctx: _Ctx) -> list[str]:
    table = ctx.table
    notes = [
        f"commission table {table.id} ({table.effective_from}..{table.effective_until or '…'}); VAT: {table.vat}",
        "rounding: every cost line half-up to the kopeck; foreign amounts × the order date's rate",
    ]
    notes.append(f"commission confidence: {ctx.category.confidence or table.confidence} ({ctx.category.id})")
    if ctx.category.derived:
        notes.append(f"commission {ctx.category.id}: {ctx.category.derived}")
    if ctx.commission_note:
        notes.append(ctx.commission_note)
    if not table.complete:
        notes.append(f"commission table {table.id} is partial: only the categories published in our sources")
    for cur, q in sorted(ctx.fx_used.items()):
        notes.append(f"{cur} rate {q.rate} RUB ({q.date}, {q.source}) used for costs")
    if ctx.returns or ctx.not_collected:
        notes.append(
            "returns and uncollected orders: each line applies its own tariff row's rule (returns_rule: the "
            "words, the formula, the source row); the commission and Ozon fee are refunded on returns"
        )
    st = ctx.storage
    if st is not None:
        r = st.rule
        notes.append(
            f"border-warehouse storage ({r.id}, confidence {r.confidence}): {st.days} days, {r.free_days} free, "
            f"{st.charged_days} charged × {r.per_m3_per_day} {r.currency}/m³/day × "
            f"{st.volume_m3} m³ = {_rub(st.amount_minor)} RUB per unit; {r.confidence_note}"
        )
    elif ctx.inp.scheme.lower() == "fbp":
        notes.append("border-warehouse storage not costed: give storage_days (days a unit waits before it ships)")
    return notes


def _evaluate(ctx: _Ctx, price_minor: int, quotes: dict[str, ServiceQuote]) -> tuple[list[Line], list[Skipped]]:
    lines, skipped = [], []
    for q in quotes.values():
        c = _carrier(ctx, q)
        if c.status == "ok":
            lines.append(_line(ctx, q, c, price_minor))
        else:
            skipped.append(Skipped(q.service_id, q.service, c.status, c.reason or c.status))
    lines.sort(key=lambda ln: (-ln.profit_rub, ln.service, ln.service_id))
    return lines, skipped


def economics(
    ts: TariffSet,
    inp: EconomicsInput,
    sale_price: Money | Decimal | int | str,
    fx: Optional[FxChain],
    *,
    cliffs: bool = True,
) -> EconomicsResult:
    """Profit, margin and ROI per priced service at `sale_price` (RUB), with cliff warnings."""
    ctx = _context(ts, inp, fx)
    price_minor = _price_minor(sale_price)
    [quotes] = _quote_at(ctx, [price_minor])
    lines, skipped = _evaluate(ctx, price_minor, quotes)
    warnings = []
    if not lines:
        warnings.append("no service could be costed in RUB at this price; see skipped")
    unstated = sorted({ln.service_id for ln in lines if ln.returns_rule and ln.returns_rule.outcome == "unstated"})
    if unstated and (ctx.returns or ctx.not_collected):
        warnings.append(
            "no return rule stated in the tariff of " + ", ".join(unstated) + ": the older formula applies "
            "(forward costs lost, goods back, no surcharge)"
        )
    found = _cliffs(ctx, price_minor, lines) if cliffs and lines else []
    eur = fx.rate("EUR", ctx.day) if fx is not None else None
    duty = customs_for(Money.from_minor(price_minor, "RUB"), inp.parcel.weight_g, ctx.day, eur)
    return EconomicsResult(
        price_minor, lines, skipped, warnings, found, _notes(ctx), duty, _commission(ctx, price_minor), ctx.storage
    )


# --------------------------------------------------------------------------- edges (where profit can jump)


def _epoch(ctx: _Ctx):
    """The compiled tariffs and the epoch in force on the order date (groups, bands)."""
    compiled = ctx.ts.compiled(ctx.inp.readings, ctx.inp.scheme)
    return compiled, compiled.epochs[int(compiled.epoch_of(np.array([day_number(ctx.day)]))[0])]


def _price_edges(ctx: _Ctx) -> list[tuple[int, str, str]]:
    """(last kopeck of a band, what holds up to it, what holds just above it): commission tiers, fee
    min/max, group bands, value limits. An empty side means nothing named changes on that side."""
    edges: list[tuple[int, str, str]] = []
    for b in tier_breakpoints(ctx.table):
        edges.append((Money(b, "RUB").to_minor(), f"commission tier up to {b} RUB", f"commission tier above {b} RUB"))
    seen_rules = set()
    for rule_id in [ctx.inp.ozon_fee] if ctx.inp.ozon_fee else ["flat-15", "percent-2"]:
        try:
            rule = select_rule(ctx.day, "", rule_id)
        except InputError:
            continue
        if rule is None or rule.id in seen_rules:
            continue
        seen_rules.add(rule.id)
        lo_p, hi_p = fee_breakpoints(rule) or (None, None)
        for p, below, above in ((lo_p, "at its minimum", "as % of price"), (hi_p, "as % of price", "at its maximum")):
            if p is not None:
                minor = int((p * 100).to_integral_value(rounding=ROUND_HALF_UP))
                edges.append((minor, f"Ozon fee {rule.id} {below}", f"Ozon fee {rule.id} {above}"))
    # shipment-group price bands and declared-value limits, read from the compiled tariffs
    compiled, ep = _epoch(ctx)
    if ctx.returns or ctx.not_collected:  # a return rule by order value changes the return line there
        for lim in value_limits(compiled):
            edges.append((lim, f"return rule up to {_rub(lim)} RUB", f"return rule above {_rub(lim)} RUB"))
    w = ctx.inp.parcel.weight_g
    for g in ep.groups:
        if g.price_currency == "RUB" and g.weight_min_g <= w <= g.weight_max_g:  # the parcel's weight band only
            if g.price_min_minor > 0:
                edges.append((g.price_min_minor - 1, "", f"shipment group {g.name}"))
            if g.price_max_minor < 10**15:
                edges.append((g.price_max_minor, f"shipment group {g.name}", ""))
    for row in compiled.rows:
        mv = row.limits.max_declared_value
        if mv is not None and mv.currency == "RUB":
            edges.append(
                (
                    Money(Decimal(mv.amount), "RUB").to_minor(),
                    "within a carrier's maximum declared value",
                    "above a carrier's maximum declared value",
                )
            )
    return sorted(dict.fromkeys(e for e in edges if e[0] > 0), key=lambda e: e[0])  # stable: tiers first


def _crossing(belows: Sequence[str], aboves: Sequence[str], downward: bool) -> str:
    """What a move across one edge changes, said in the direction of the move."""
    into, out_of = (belows, aboves) if downward else (aboves, belows)
    parts = []
    if into:
        parts.append("into " + ", ".join(into))
    if out_of:
        parts.append("out of " + ", ".join(out_of))
    return "; ".join(parts)


# --------------------------------------------------------------------------- reverse


@dataclass
class ReverseLine:
    service_id: str
    service: str
    price_minor: Optional[int]
    line: Optional[Line]
    reason: Optional[str]

    def to_dict(self) -> dict:
        return {
            "service_id": self.service_id,
            "service": self.service,
            "price_rub": None if self.price_minor is None else _rub(self.price_minor),
            "economics": None if self.line is None else self.line.to_dict(),
            "reason": self.reason,
        }


@dataclass
class ReverseResult:
    target: Target
    lines: list[ReverseLine]  # reachable first (lowest price first), then unreachable
    notes: list[str]

    def to_dict(self) -> dict:
        return {
            "target": {"kind": self.target.kind, "value": f"{self.target.value:f}"},
            "lines": [ln.to_dict() for ln in self.lines],
            "notes": self.notes,
        }


def meets(line: Line, target: Target) -> bool:
    """Exact test (no rounded margin): profit >= target, or profit >= margin % × price."""
    if target.kind == "profit":
        return line.profit_rub >= Money(target.value, "RUB").to_minor()
    return Fraction(line.profit_rub) * 100 >= _ratio(target.value) * line.price_minor


def _segments(lo: int, hi: int, edges: Sequence[int]) -> list[tuple[int, int]]:
    cuts = sorted({e for e in edges if lo <= e < hi})
    out, start = [], lo
    for e in cuts:
        out.append((start, e))
        start = e + 1
    out.append((start, hi))
    return out


def _split_constant(ctx: _Ctx, seg: tuple[int, int], sid: str, states: dict[int, _Carrier]) -> list[tuple[int, int]]:
    """Split a segment where this service's carrier answer changes (an edge not in the data), by bisection."""

    def state(p: int) -> _Carrier:
        if p not in states:
            [quotes] = _quote_at(ctx, [p])
            q = quotes.get(sid)
            states[p] = (
                _carrier(ctx, q) if q is not None else _Carrier("absent", None, None, None, None, "not in force")
            )
        return states[p]

    out = []
    a, b = seg
    while True:
        if state(a).key() == state(b).key():
            out.append((a, b))
            return out
        lo, hi = a, b  # state(lo) == state(a), state(hi) != state(a)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if state(mid).key() == state(a).key():
                lo = mid
            else:
                hi = mid
        out.append((a, lo))
        a = hi


def _lowest_in_segment(ctx: _Ctx, q: ServiceQuote, c: _Carrier, a: int, b: int, target: Target) -> Optional[int]:
    """Lowest kopeck price in [a, b] meeting the target, the carrier answer being constant there:
    `target_price.lowest`, the solver the catalogue uses for many SKUs at once."""
    assert c.fee_rule is not None
    # every line but commission, fee and the percentages of the price is constant on [a, b] (tiers, fee
    # bands, group bands and return rules by order value are segment edges): read it off the line at a
    at_a = _line(ctx, q, c, a)
    fixed = at_a.costs_rub - at_a.commission_rub - at_a.ozon_fee_rub
    fixed -= at_a.acquiring_rub + at_a.fx_loss_rub + at_a.ads_rub
    rate = int(at_a.commission.percent.scaleb(2))  # hundredths of a percent
    if target.kind == "margin":
        m_num, m_den = ratio(target.value)
        goal = (m_num, m_den, 0)
    else:
        goal = (0, 1, Money(target.value, "RUB").to_minor())
    pcts = [(f.numerator, f.denominator) for f in (ctx.acquiring, ctx.fx_loss, ctx.ads)]
    [found] = target_price.lowest(target_price.terms(a, b, fixed, rate, 0, [c.fee_rule], pcts, *goal))
    return None if found == target_price.NONE else int(found)


def reverse_price(
    ts: TariffSet,
    inp: EconomicsInput,
    target: Target,
    fx: Optional[FxChain],
    *,
    max_price: Decimal = MAX_PRICE,
) -> ReverseResult:
    """Per service, the lowest sale price (kopeck) whose forward economics meet `target`, searched
    segment by segment between every cliff (tiers, fee min/max, group bands, value limits, and any
    change of the carrier's answer found by bisection)."""
    ctx = _context(ts, inp, fx)
    lo, hi = 1, _price_minor(max_price, "max_price")
    edges = [e for e, _, _ in _price_edges(ctx)]
    segs = _segments(lo, hi, edges)
    ends = sorted({p for s in segs for p in s})
    quotes_at = dict(zip(ends, _quote_at(ctx, ends)))
    services: dict[str, ServiceQuote] = {}
    for qs in quotes_at.values():
        for sid, q in qs.items():
            services.setdefault(sid, q)
    out: list[ReverseLine] = []
    for sid, any_q in sorted(services.items(), key=lambda kv: kv[1].service):
        states: dict[int, _Carrier] = {}
        for p, qs in quotes_at.items():
            at_p = qs.get(sid)
            states[p] = (
                _carrier(ctx, at_p) if at_p is not None else _Carrier("absent", None, None, None, None, "not in force")
            )
        found: Optional[int] = None
        reasons: list[str] = []
        priced_somewhere = False
        for seg in segs:
            for a, b in _split_constant(ctx, seg, sid, states):
                c = states[a]
                priced_somewhere = priced_somewhere or c.status == "ok"
                if c.status != "ok":
                    if c.reason and c.reason not in reasons:
                        reasons.append(c.reason)
                    continue
                [qa] = _quote_at(ctx, [a])
                q = qa.get(sid, any_q)
                found = _lowest_in_segment(ctx, q, c, a, b, target)
                if found is not None:
                    break
            if found is not None:
                break
        if found is None:
            if priced_somewhere:
                why = f"the {target.label()} is not reached at any price up to {_rub(hi)} RUB"
                if reasons:
                    why += " (where not priced: " + "; ".join(reasons[:3]) + ")"
            else:
                why = "not priced at any sale price: " + "; ".join(reasons[:3])
            out.append(ReverseLine(sid, any_q.service, None, None, why))
            continue
        [quotes] = _quote_at(ctx, [found])
        line = _line(ctx, quotes[sid], _carrier(ctx, quotes[sid]), found)
        out.append(ReverseLine(sid, any_q.service, found, line, None))
    out.sort(key=lambda r: (r.price_minor is None, r.price_minor or 0, r.service))
    return ReverseResult(target, out, _notes(ctx))


# --------------------------------------------------------------------------- cliffs


@dataclass
class Cliff:
    """A nearby price or weight where the result jumps: what changes there and by how much per service."""

    kind: Literal["lower_price", "price_jump", "lighter_parcel", "service_lost"]
    at: str  # "1500.00 RUB" or "500 g"
    what: str
    message: str
    deltas_rub: dict[str, str]  # service_id -> profit change, RUB

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _span(deltas: dict[str, int], names: dict[str, str]) -> str:
    lo, hi = min(deltas.values()), max(deltas.values())
    best = max(deltas, key=lambda k: (deltas[k], k))
    amount = _rub(lo) if lo == hi else f"{_rub(lo)}–{_rub(hi)}"
    if len(deltas) == 1:
        return f"{amount} RUB with {names[best]}"
    return f"{amount} RUB ({len(deltas)} services; most with {names[best]}: {_rub(deltas[best])})"


def _cliffs(ctx: _Ctx, price_minor: int, lines: Sequence[Line]) -> list[Cliff]:
    """Nearby price and weight changes that cross a tier or band and change the result, with by how much."""
    window = int(price_minor * CLIFF_WINDOW)
    grouped: dict[int, tuple[list[str], list[str]]] = {}
    for e, under, over in _price_edges(ctx):
        if price_minor - window <= e <= price_minor + window:
            bl, ab = grouped.setdefault(e, ([], []))
            if under and under not in bl:
                bl.append(under)
            if over and over not in ab:
                ab.append(over)
    probes = sorted({p for e in grouped for p in (e, e + 1)} - {price_minor})
    names = {ln.service_id: ln.service for ln in lines}
    out: list[Cliff] = []
    if probes:
        probe_quotes = dict(zip(probes, _quote_at(ctx, probes)))

        def profit_at(sid: str, p: int) -> Optional[int]:
            if p == price_minor:
                return next(ln.profit_rub for ln in lines if ln.service_id == sid)
            q = probe_quotes[p].get(sid)
            if q is None:
                return None
            c = _carrier(ctx, q)
            return _line(ctx, q, c, p).profit_rub if c.status == "ok" else None

        for e, (belows, aboves) in sorted(grouped.items()):
            down, up = _crossing(belows, aboves, True), _crossing(belows, aboves, False)
            what = up
            gain: dict[str, int] = {}
            jump: dict[str, int] = {}
            lost: list[str] = []
            for ln in lines:
                sid = ln.service_id
                below, above = profit_at(sid, e), profit_at(sid, e + 1)
                if e < price_minor and below is not None and below > ln.profit_rub:
                    gain[sid] = below - ln.profit_rub
                elif below is not None and above is not None and abs(above - below) >= 100:
                    jump[sid] = above - below
                elif below is not None and above is None and e >= price_minor:
                    lost.append(sid)
            if gain:
                out.append(
                    Cliff(
                        "lower_price",
                        f"{_rub(e)} RUB",
                        down,
                        f"lowering the price to {_rub(e)} RUB ({down}) raises the profit by {_span(gain, names)}",
                        {k: _rub(v) for k, v in gain.items()},
                    )
                )
            if jump:
                ups = {k: v for k, v in jump.items() if v > 0}
                downs = {k: -v for k, v in jump.items() if v < 0}
                for sign, part in (("raises", ups), ("lowers", downs)):
                    if part:
                        out.append(
                            Cliff(
                                "price_jump",
                                f"{_rub(e + 1)} RUB",
                                what,
                                f"crossing {_rub(e)} → {_rub(e + 1)} RUB ({what}) {sign} the profit by {_span(part, names)}",
                                {k: _rub(jump[k]) for k in part},
                            )
                        )
            if lost:
                out.append(
                    Cliff(
                        "service_lost",
                        f"{_rub(e + 1)} RUB",
                        what,
                        f"above {_rub(e)} RUB ({what}) {', '.join(names[s] for s in lost)} no longer take(s) the parcel",
                        {k: "" for k in lost},
                    )
                )
    out.extend(_weight_cliffs(ctx, price_minor, lines))
    return out


def _weight_cliffs(ctx: _Ctx, price_minor: int, lines: Sequence[Line]) -> list[Cliff]:
    parcel = ctx.inp.parcel
    w = parcel.weight_g
    floor = w - max(1, int(w * CLIFF_WINDOW))
    candidates: set[int] = set()
    [quotes] = _quote_at(ctx, [price_minor])
    for ln in lines:
        q = quotes.get(ln.service_id)
        if q is None or q.basis != "actual":
            continue
        step = q.billing.rounding_step_g
        lower = q.chargeable_weight_g - step
        if step > 1 and floor <= lower < w:
            candidates.add(lower)
    _, ep = _epoch(ctx)
    for g in ep.groups:
        if floor <= g.weight_max_g < w:
            candidates.add(g.weight_max_g)
    cands = sorted(c for c in candidates if c > 0)
    if not cands:
        return []
    out = []
    names = {ln.service_id: ln.service for ln in lines}
    runs = _quote_at(ctx, [price_minor] * len(cands), cands)
    for wc, qs in zip(cands, runs):
        gain: dict[str, int] = {}
        for ln in lines:
            q = qs.get(ln.service_id)
            if q is None:
                continue
            c = _carrier(ctx, q)
            if c.status != "ok":
                continue
            other = _line(ctx, q, c, price_minor)
            if other.profit_rub > ln.profit_rub:
                gain[ln.service_id] = other.profit_rub - ln.profit_rub
        if gain:
            out.append(
                Cliff(
                    "lighter_parcel",
                    f"{wc} g",
                    "weight step or group weight band",
                    f"a parcel of {wc} g ({w - wc} g lighter) raises the profit by {_span(gain, names)}",
                    {k: _rub(v) for k, v in gain.items()},
                )
            )
    return out
