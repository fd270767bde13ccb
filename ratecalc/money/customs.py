"""Import duty on a parcel (paid by the BUYER): shown next to a quote, never added to the seller's cost.

Why show it: sellers' buyers refuse parcels that cost them duty, so a price above the threshold is a
conversion risk even though it costs the seller nothing directly (users.md §4 item 10).

Rules come from tariffs/economics/customs.yaml by order date. Arithmetic is exact; the value is
converted RUB -> EUR at the order date's EUR rate (amount ÷ rate, half-up to the cent); excess weight is
exact grams (not rounded up to whole kg: the sources do not say); the duty is rounded half-up to the
cent, then converted back to RUB (× rate, half-up to the kopeck).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional, Sequence

from ..units import Money
from .economics_schema import CustomsRule, in_force, load_customs_rules
from .fx import FxQuote, from_rub, quantize_minor


@dataclass(frozen=True)
class CustomsResult:
    rule: Optional[CustomsRule]
    value_eur: Optional[Decimal]
    duty_free: Optional[bool]
    duty_eur: Optional[Decimal]
    duty_rub: Optional[Decimal]
    explanation: str

    def to_dict(self) -> dict:
        return {
            "rule": self.rule.id if self.rule else None,
            "duty_free": self.duty_free,
            "duty_eur": None if self.duty_eur is None else f"{self.duty_eur:f}",
            "duty_rub": None if self.duty_rub is None else f"{self.duty_rub:f}",
            "paid_by": "buyer",
            "explanation": self.explanation,
        }


def rule_for(order_date: dt.date, rules: Optional[Sequence[CustomsRule]] = None) -> Optional[CustomsRule]:
    for rule in rules if rules is not None else load_customs_rules():
        if in_force(rule.effective_from, rule.effective_until, order_date):
            return rule
    return None


def duty_eur(rule: CustomsRule, value_eur: Decimal, weight_g: int) -> tuple[bool, Decimal, str]:
    """(duty_free, duty in EUR half-up to the cent, explanation) under `rule`."""
    kg = Decimal(weight_g) / 1000
    if rule.kind == "excess":
        over_value = max(value_eur - rule.free_value_eur, Decimal(0))
        over_kg = max(kg - rule.free_weight_kg, Decimal(0))  # type: ignore[operator]
        if over_value == 0 and over_kg == 0:
            return (
                True,
                Decimal("0.00"),
                (f"duty-free: {value_eur} EUR <= {rule.free_value_eur} EUR and {kg} kg <= {rule.free_weight_kg} kg"),
            )
        by_value = over_value * rule.percent_of_excess_value / 100  # type: ignore[operator]
        by_weight = over_kg * rule.min_eur_per_excess_kg  # type: ignore[operator]
        duty = quantize_minor(max(by_value, by_weight), "EUR")
        return (
            False,
            duty,
            (
                f"max({rule.percent_of_excess_value} % × {over_value} EUR over {rule.free_value_eur} EUR, "
                f"{rule.min_eur_per_excess_kg} EUR × {over_kg} kg over {rule.free_weight_kg} kg) = {duty} EUR"
            ),
        )
    if value_eur <= rule.free_value_eur:
        return True, Decimal("0.00"), f"duty-free: {value_eur} EUR <= {rule.free_value_eur} EUR"
    by_value = value_eur * rule.percent_of_value / 100  # type: ignore[operator]
    by_weight = kg * rule.min_eur_per_kg  # type: ignore[operator]
    duty = quantize_minor(max(by_value, by_weight), "EUR")
    return (
        False,
        duty,
        (
            f"max({rule.percent_of_value} % × {value_eur} EUR, {rule.min_eur_per_kg} EUR × {kg} kg) = {duty} EUR"
            " (national VAT comes on top and is not computed)"
        ),
    )


def customs_for(
    value: Optional[Money],
    weight_g: int,
    order_date: dt.date,
    eur: Optional[FxQuote],
    rules: Optional[Sequence[CustomsRule]] = None,
) -> CustomsResult:
    """Duty for a parcel of declared `value` (any currency; RUB or EUR without further rates)."""
    rule = rule_for(order_date, rules)
    if rule is None:
        return CustomsResult(None, None, None, None, None, f"no customs rule in the data for {order_date}")
    if value is None:
        return CustomsResult(rule, None, None, None, None, "no declared value: duty not computed")
    if value.currency == "EUR":
        value_eur = value.amount
    elif value.currency == "RUB":
        if eur is None:
            return CustomsResult(rule, None, None, None, None, "no EUR rate: duty not computed")
        value_eur = from_rub(value, eur).amount
    else:
        return CustomsResult(
            rule, None, None, None, None, f"declared value in {value.currency}: convert it to RUB or EUR"
        )
    free, duty, why = duty_eur(rule, value_eur, weight_g)
    duty_rub = None if eur is None else quantize_minor(duty * eur.rate, "RUB")
    return CustomsResult(rule, value_eur, free, duty, duty_rub, why)
