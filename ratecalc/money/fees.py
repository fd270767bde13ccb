"""Ozon's fee per delivered partner-delivery shipment, from the dated rules in tariffs/economics/ozon-fees.yaml.

Why rules and not a constant: the flat 15 RUB of the USD era (official, high confidence) later became
"2 % of the item price, min 15, max 200 RUB" (one undated third-party article, low confidence). The
switch date is unknown, so a rule is chosen by name, or else by the order date and the carrier tariff's
currency (USD-era tables -> flat, CNY shipment-group tables -> percent), and the quote names the rule.

Rounding: percent × price, half-up to the kopeck, then clamped to [min, max].
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional, Sequence, Union

import numpy as np

from ..errors import InputError
from .economics_schema import FeeRule, in_force, load_fee_rules
from .rounding import pct_of_minor, ratio


@dataclass(frozen=True)
class FeeResult:
    rule: FeeRule
    amount_rub: Optional[Decimal]  # None: the rule needs the item price and none was given
    missing_reason: Optional[str] = None


def fee_rules(rules: Optional[Sequence[FeeRule]] = None) -> Sequence[FeeRule]:
    return rules if rules is not None else load_fee_rules()


def rule_by_id(rule_id: str, rules: Optional[Sequence[FeeRule]] = None) -> FeeRule:
    for rule in fee_rules(rules):
        if rule.id == rule_id:
            return rule
    known = ", ".join(r.id for r in fee_rules(rules))
    raise InputError("ozon_fee", f"unknown Ozon fee rule {rule_id!r}; known: {known}")


def select_rule(
    order_date: dt.date,
    tariff_currency: str,
    choice: Optional[str] = None,
    rules: Optional[Sequence[FeeRule]] = None,
) -> Optional[FeeRule]:
    """The named rule, else the one in force on the date for this tariff currency (None if none fits)."""
    if choice:
        return rule_by_id(choice, rules)
    for rule in fee_rules(rules):
        if (
            in_force(rule.effective_from, rule.effective_until, order_date)
            and tariff_currency in rule.tariff_currencies
        ):
            return rule
    return None


def _kopecks(amount: Optional[Decimal]) -> int:
    return int((Decimal(amount or 0) * 100).to_integral_value(rounding=ROUND_HALF_UP))


def fee_minor(rule: FeeRule, price_minor: Union[int, np.ndarray]) -> Union[int, np.ndarray]:
    """The fee in kopecks for an item priced `price_minor` kopecks (int or int64 array): the one fee rule.

    flat: the amount; percent_of_price: price × percent half-up to the kopeck, then clamped to [min, max].
    """
    if rule.kind == "flat":
        flat = _kopecks(rule.flat_amount())
        return flat if np.ndim(price_minor) == 0 else np.full(np.shape(price_minor), flat, np.int64)
    percent, low, high = rule.percent_band()
    num, den = ratio(percent)
    raw = pct_of_minor(price_minor, num, den)
    out = np.minimum(np.maximum(raw, _kopecks(low)), _kopecks(high))
    return int(out) if np.ndim(out) == 0 else out


def fee_amount(rule: FeeRule, price_rub: Optional[Decimal]) -> FeeResult:
    """The fee in RUB under `rule` for an item priced `price_rub` (needed only by the percent rule)."""
    if rule.kind != "flat" and price_rub is None:
        percent, _, _ = rule.percent_band()
        return FeeResult(rule, None, f"the {rule.id} Ozon fee is {percent} % of the item price in RUB; no price given")
    minor = fee_minor(rule, _kopecks(price_rub))
    return FeeResult(rule, Decimal(int(minor)).scaleb(-2))


def fee_breakpoints(rule: FeeRule) -> list[Decimal]:
    """Item prices (RUB) where the fee's formula changes: the ends of the percent band (750, 10000 for 2 %)."""
    if rule.kind != "percent_of_price":
        return []
    percent, low, high = rule.percent_band()
    pct = percent / 100
    return [low / pct, high / pct]
