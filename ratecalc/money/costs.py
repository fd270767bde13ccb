"""What the seller really pays per quote, in RUB: carrier price at the order date's rate + Ozon's fee.

Why a separate step after `TariffSet.quote`: the engine prices in the carrier's currency (USD, CNY),
exactly as published; converting needs a rate that may be missing (no network, no file), and a quote
must still succeed then. So this step adds optional fields to each `ServiceQuote` (fx, price_rub,
ozon_fee_rub, total_rub, or rub_missing_reason) and the customs duty the buyer would pay.

Rounding: price_rub = carrier amount × rate, half-up to the kopeck; the fee is rounded by its rule;
total_rub is their exact sum. Sorting: ok quotes by total_rub when every priced quote has one, else the
engine's order (by carrier-currency price) is kept.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional, Sequence

from ..pricing.parcels import Parcel
from ..pricing.result import CustomsOut, FxOut, Price, ServiceQuote
from ..units import Money
from .customs import CustomsResult, customs_for
from .fees import fee_amount, select_rule
from .fx import FxChain, FxQuote, rate_or_reason, to_rub


def _price(amount: Decimal) -> Price:
    return Price(amount=f"{amount:.2f}", currency="RUB")


def _fx_out(q: FxQuote) -> FxOut:
    return FxOut(currency=q.currency, rate=f"{q.rate:f}", date=q.date, source=q.source)


def value_in_rub(value: Optional[Money], day: dt.date, fx: Optional[FxChain]) -> tuple[Optional[Money], Optional[str]]:
    """A declared value or sale price in RUB (converted at the order date's rate if needed)."""
    if value is None:
        return None, "no item price given"
    if value.currency == "RUB":
        return value, None
    quote, why = rate_or_reason(fx, value.currency, day)
    if quote is None:
        return None, f"item price in {value.currency}: {why}"
    return to_rub(value, quote), None


def customs_of(value_rub: Optional[Money], parcel: Parcel, fx: Optional[FxChain]) -> CustomsResult:
    eur = fx.rate("EUR", parcel.order_date) if fx is not None else None
    return customs_for(value_rub, parcel.weight_g, parcel.order_date, eur)


def customs_out(result: CustomsResult) -> CustomsOut:
    return CustomsOut(**result.to_dict())


def with_rub(
    quotes: Sequence[ServiceQuote],
    parcel: Parcel,
    fx: Optional[FxChain],
    *,
    item_price: Optional[Money] = None,
    ozon_fee: Optional[str] = None,
    customs: bool = True,
) -> list[ServiceQuote]:
    """Quotes with RUB figures added (never removed or changed), re-sorted by total_rub when all have one.

    `item_price` is the sale price the percent fee and customs are computed on (default: the parcel's
    declared value); `ozon_fee` names a fee rule to force (see tariffs/economics/ozon-fees.yaml).
    """
    day = parcel.order_date
    price_rub, price_why = value_in_rub(item_price or parcel.declared_value, day, fx)
    duty = customs_out(customs_of(price_rub, parcel, fx)) if customs else None
    out: list[ServiceQuote] = []
    for q in quotes:
        update: dict = {"customs": duty}
        if q.status == "ok" and q.price is not None:
            update.update(_rub_fields(q, day, fx, price_rub, price_why, ozon_fee))
        out.append(q.model_copy(update=update))
    ok = [q for q in out if q.status == "ok"]
    if ok and all(q.total_rub is not None for q in ok):
        rest = [q for q in out if q.status != "ok"]
        ok.sort(key=lambda q: (Decimal(q.total_rub.amount), q.service, q.service_id))  # type: ignore[union-attr]
        out = ok + rest
    return out


def _rub_fields(
    q: ServiceQuote,
    day: dt.date,
    fx: Optional[FxChain],
    price_rub: Optional[Money],
    price_why: Optional[str],
    ozon_fee: Optional[str],
) -> dict:
    currency = q.price.currency  # type: ignore[union-attr]
    quote, why = rate_or_reason(fx, currency, day)
    if quote is None:
        return {"rub_missing_reason": why}
    carrier_rub = to_rub(Money(Decimal(q.price.amount), currency), quote)  # type: ignore[union-attr]
    fields: dict = {"fx": _fx_out(quote), "price_rub": _price(carrier_rub.amount)}
    rule = select_rule(day, currency, ozon_fee)
    if rule is None:
        fields["rub_missing_reason"] = f"no Ozon fee rule applies to {currency} tariffs on {day}; total not computed"
        return fields
    fee = fee_amount(rule, price_rub.amount if price_rub else None)
    fields["ozon_fee_rule"] = rule.id
    if fee.amount_rub is None:
        fields["rub_missing_reason"] = f"{fee.missing_reason} ({price_why})" if price_why else fee.missing_reason
        return fields
    fields["ozon_fee_rub"] = _price(fee.amount_rub)
    fields["total_rub"] = _price(carrier_rub.amount + fee.amount_rub)
    return fields
