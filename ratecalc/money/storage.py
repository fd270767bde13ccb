"""Storage at Ozon's border warehouse (FBP scheme), per unit: free for a number of days, then a price per m³
per day, from the dated rules in tariffs/economics/fbp-storage.yaml.

Why per unit and by the box: the seller's goods wait at the border warehouse until an order ships them;
the rule prices the volume they occupy. The volume is the parcel's own L × W × H (no minimum and no rounding
of the volume are stated, so none is applied).

Rounding: days beyond the free ones × price × volume (m³) × the order date's rate, half-up to the kopeck,
once. The rate is the one every other cost line of the order uses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Optional, Sequence

from ..errors import InputError
from .economics_schema import StorageRule, in_force, load_storage_rules
from .fx import FxChain, FxQuote, rate_or_reason

MAX_STORAGE_DAYS = 3650  # ten years: an input limit, far beyond any stock a seller keeps


@dataclass(frozen=True)
class StorageCost:
    rule: StorageRule
    days: int
    charged_days: int
    volume_mm3: int
    amount_minor: int  # RUB kopecks
    fx: Optional[FxQuote]

    @property
    def volume_m3(self) -> str:
        """The box's volume in m³, exact, without trailing zeros."""
        return f"{Decimal(self.volume_mm3).scaleb(-9).normalize():f}"

    def to_dict(self) -> dict:
        r = self.rule
        return {
            "rule": r.id,
            "days": self.days,
            "free_days": r.free_days,
            "charged_days": self.charged_days,
            "per_m3_per_day": f"{r.per_m3_per_day:f} {r.currency}",
            "volume_m3": self.volume_m3,
            "amount_rub": f"{Decimal(self.amount_minor).scaleb(-2):.2f}",
            "confidence": r.confidence,
            "source": r.sources[0],
        }


def check_storage_days(days: Optional[int], scheme: str) -> None:
    """Days at the border warehouse: a whole number from 0 to MAX_STORAGE_DAYS, and only for the fbp scheme."""
    if days is None:
        return
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_STORAGE_DAYS:
        raise InputError(
            "storage_days", f"must be a whole number of days from 0 to {MAX_STORAGE_DAYS}, got {days!r}",
            limit=[0, MAX_STORAGE_DAYS],
        )  # fmt: skip
    if scheme.lower() != "fbp":
        raise InputError(
            "storage_days", "border-warehouse storage applies to the fbp scheme only (give scheme fbp)", rule="scheme"
        )


def storage_rule(day: dt.date, rules: Optional[Sequence[StorageRule]] = None) -> StorageRule:
    """The rule in force on the order date; InputError naming `storage_days` and the dates known if none."""
    known = rules if rules is not None else load_storage_rules()
    for rule in known:
        if in_force(rule.effective_from, rule.effective_until, day):
            return rule
    spans = ", ".join(f"{r.effective_from}..{r.effective_until or '…'}" for r in known)
    raise InputError(
        "storage_days", f"no border-warehouse storage rule is known for an order on {day} (known: {spans})"
    )


def charged_minor(rule: StorageRule, days: int, volume_mm3: int, rate: Fraction) -> int:
    """max(0, days − free) × price/m³/day × volume (mm³ / 10⁹) × rate, in kopecks, half-up once."""
    charged = max(0, days - rule.free_days)
    exact = Fraction(charged) * Fraction(rule.per_m3_per_day) * Fraction(volume_mm3, 10**9) * rate * 100
    return int((exact * 2 + 1) // 2)


def storage_cost(
    days: int, volume_mm3: int, day: dt.date, fx: Optional[FxChain], rules: Optional[Sequence[StorageRule]] = None
) -> StorageCost:
    """The storage line of one unit kept `days` at the border warehouse, in RUB at the order date's rate."""
    rule = storage_rule(day, rules)
    quote: Optional[FxQuote] = None
    rate = Fraction(1)
    if rule.currency != "RUB":
        quote, why = rate_or_reason(fx, rule.currency, day)
        if quote is None:
            raise InputError(
                "storage_days", f"storage is priced in {rule.currency}: needs a {rule.currency} rate on {day}: {why}",
                rule="fx_required",
            )  # fmt: skip
        rate = Fraction(quote.rate)
    amount = charged_minor(rule, days, volume_mm3, rate)
    return StorageCost(rule, days, max(0, days - rule.free_days), volume_mm3, amount, quote)
