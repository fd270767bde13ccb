"""What a returned or an uncollected order costs the seller, by Ozon's rule for the quoted service's group.

Why a rule per service and not one formula: Ozon's rate sheets state, per row (columns T–V), what happens
to a parcel that comes back. In the 2026 sheets Extra Small and Budget returns are destroyed with no
surcharge, so the goods are lost with the shipping money; Small, Big, Premium Small and Premium Big come
back at 1.5 × the China-to-Russia rate, on top of the forward shipping already paid; a parcel nobody
collected comes back with no surcharge. Ozon's FBP list of 2026-09-01 adds a rule by order value (Small
and Big after customs: destroyed up to 5000 RUB, back at 1.5 × above). The rule is read from the tariff
row (`returns`), never assumed.

Which column a return rate uses: a buyer's return happens after the parcel cleared customs, so the
`after_customs` rule applies (the `before_customs` one where a row states only that); `not_collected` is
its own column and its own rate. A row that states no rule (the USD era, the 2025-09 screenshots) keeps
the formula used before the sheets stated one — forward costs lost, goods back, no surcharge — and says so.

Per order, with rate = the share of orders it happens to (%), each line rounded once, half-up to the kopeck:
  destroyed:          rate × (purchase + carrier + packaging + first mile)
  back, surcharge s:  rate × (carrier + s × carrier + packaging + first mile)      (s = 0: no surcharge)
The commission and Ozon's fee are refunded on returns, so they are not in either line.

A rule by order value ("below 5000 RUB … above 5000 RUB") is read as: up to and including the limit the
first part applies, above it the second (the sheet does not say which side 5000.00 itself is on; Ozon's
commission tiers put it in the lower band, and so does this reader). The order value is the sale price.

`cost_minor` is the one place the arithmetic lives: one SKU passes ints, a catalogue passes int64 arrays.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal, Mapping, Optional, Sequence, Union

import numpy as np

from ..tariffdata.compile import CompiledTariffs
from ..tariffdata.ozon_sheet import RETURNS_WORDS
from .rounding import Ints, pct_of_minor

Case = Literal["returned", "not_collected"]
Outcome = Literal["destroyed", "back", "unstated", "unknown"]
CASES: tuple[Case, ...] = ("returned", "not_collected")
NO_LIMIT = np.iinfo(np.int64).max

_N = r"(?P<{0}>\d{{1,2}}(?:[.,]\d{{1,4}})?)"
_BACK = r"returned,\s*no surcharge"
_DESTROYED = r"destroyed,\s*no surcharge"
_SURCHARGE = r"China-to-Russia shipping rate\s*[x×]\s*" + _N.format("n")
_ONE = re.compile(rf"^(?:(?P<back>{_BACK})|(?P<destroyed>{_DESTROYED})|{_SURCHARGE})$", re.IGNORECASE)
_BY_VALUE = re.compile(
    r"^(?P<below>.+?),?\s+if the order value is below (?P<limit>\d{1,7}) RUB;\s*(?P<above>.+?)\s+"
    r"if it is above (?P=limit) RUB$",
    re.IGNORECASE,
)
UNSTATED_TEXT = (
    "no rule stated in the tariff: the formula used before the sheets stated one (forward costs lost, goods back)"
)


@dataclass(frozen=True)
class ReturnRule:
    """One case (a buyer's return, or a parcel not collected) of one tariff row, read from its words.

    `outcome`/`surcharge` hold for every order value, or above `limit_minor` when the words set one; up to
    and including `limit_minor` (kopecks of the sale price) `below` holds. `at(price)` resolves it."""

    case: Case
    outcome: Outcome
    surcharge: Fraction  # the way back, as a multiple of the China-to-Russia rate (0: no surcharge)
    text: Optional[str]  # the tariff's words (None: the row states no rule)
    column: Optional[str]  # which of the row's columns was read (after_customs, before_customs, not_collected)
    source_row: Optional[str]  # the rate sheet row, e.g. `中国 rFBS!9`
    source: Optional[str]  # the tariff version's first source
    limit_minor: Optional[int] = None  # an order-value limit in the words (kopecks)
    below: Optional[tuple[Outcome, Fraction]] = None  # what holds up to the limit

    @property
    def rule(self) -> str:
        """A short id: destroyed, back, back_with_surcharge, by_order_value, unstated or unknown."""
        if self.limit_minor is not None:
            return "by_order_value"
        if self.outcome == "back" and self.surcharge:
            return "back_with_surcharge"
        return self.outcome

    def at(self, price_minor: int) -> ReturnRule:
        """The rule that applies at this sale price (itself when the words set no order-value limit)."""
        if self.limit_minor is None or self.below is None:
            return self
        outcome, surcharge = self.below if price_minor <= self.limit_minor else (self.outcome, self.surcharge)
        return dataclasses.replace(self, outcome=outcome, surcharge=surcharge, limit_minor=None, below=None)

    def formula(self) -> str:
        rate = "return %" if self.case == "returned" else "not-collected %"
        if self.limit_minor is not None and self.below is not None:
            limit = f"{Decimal(self.limit_minor).scaleb(-2):.2f} RUB"
            lo = dataclasses.replace(self, outcome=self.below[0], surcharge=self.below[1], limit_minor=None)
            hi = dataclasses.replace(self, limit_minor=None, below=None)
            return f"up to {limit}: {lo.formula()}; above: {hi.formula()}"
        if self.outcome == "destroyed":
            return f"{rate} × (purchase + carrier + packaging + first mile)"
        if self.outcome == "unknown":
            return "not costed: the rule's words are not understood"
        carrier = f"carrier × {decimal_text(1 + self.surcharge)}" if self.surcharge else "carrier"
        return f"{rate} × ({carrier} + packaging + first mile)"

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "text": self.text or UNSTATED_TEXT,
            "surcharge": decimal_text(self.surcharge),
            "formula": self.formula(),
            "column": self.column,
            "source_row": self.source_row,
            "source": self.source,
        }


def decimal_text(value: Fraction) -> str:
    return f"{Decimal(value.numerator) / Decimal(value.denominator):f}"


def _one(words: str) -> tuple[Outcome, Fraction]:
    m = _ONE.match(words.strip())
    if m is None:
        return "unknown", Fraction(0)
    if m.group("destroyed"):
        return "destroyed", Fraction(0)
    if m.group("back"):
        return "back", Fraction(0)
    return "back", Fraction(m.group("n").replace(",", "."))


def read_words(
    text: Optional[str],
) -> tuple[Outcome, Fraction, Optional[int], Optional[tuple[Outcome, Fraction]]]:
    """(outcome, surcharge, order-value limit in kopecks, what holds up to it) that the words state;
    "unknown" for words this reader does not know, "unstated" for none."""
    if text is None:
        return "unstated", Fraction(0), None, None
    words = RETURNS_WORDS.get(text.strip(), text.strip())
    m = _BY_VALUE.match(words)
    if m is not None:
        below, above = _one(m.group("below")), _one(m.group("above"))
        if "unknown" in (below[0], above[0]):
            return "unknown", Fraction(0), None, None
        return above[0], above[1], int(m.group("limit")) * 100, below
    outcome, surcharge = _one(words)
    return outcome, surcharge, None, None


def rules_for(
    returns: Optional[Mapping[str, str]], source_row: Optional[str], sources: Sequence[str]
) -> tuple[ReturnRule, ReturnRule]:
    """(a buyer's return, a parcel not collected) of one tariff row (`RateRow.returns`, as a dict)."""
    found = dict(returns or {})
    source = sources[0] if sources else None
    out = []
    for case in CASES:
        columns = ("after_customs", "before_customs") if case == "returned" else ("not_collected",)
        column = next((c for c in columns if found.get(c)), None)
        text = found.get(column) if column else None
        outcome, surcharge, limit, below = read_words(text)
        out.append(ReturnRule(case, outcome, surcharge, text, column, source_row, source, limit, below))
    return out[0], out[1]


def cost_minor(
    rate_num: Ints,
    rate_den: Ints,
    destroyed: Union[bool, np.ndarray],
    surcharge: Union[Fraction, tuple[Ints, Ints]],
    carrier: Ints,
    packaging: Ints,
    first_mile: Ints,
    purchase: Ints,
) -> Ints:
    """rate (num/den %) × (carrier × (1 + surcharge) + packaging + first mile [+ purchase if destroyed]),
    half-up to the kopeck, once. Exact in integers: the surcharge's denominator scales the base."""
    s_num, s_den = (surcharge.numerator, surcharge.denominator) if isinstance(surcharge, Fraction) else surcharge
    goods = np.where(destroyed, purchase, 0) if isinstance(destroyed, np.ndarray) else (purchase if destroyed else 0)
    lost = carrier + packaging + first_mile + goods
    return pct_of_minor(lost * s_den + carrier * s_num, rate_num, rate_den * s_den)


@dataclass(frozen=True)
class RowRules:
    """Both rules of every compiled tariff row, as arrays a catalogue indexes by row (case 0: returned,
    case 1: not collected; side 0: up to the row's order-value limit, side 1: above it), so a catalogue reads
    each row's words once, not once per SKU."""

    rules: list[tuple[ReturnRule, ReturnRule]]  # per compiled row
    limit: np.ndarray  # (2, R) int64 kopecks (NO_LIMIT: the same rule at every price)
    destroyed: np.ndarray  # (2, 2, R) bool
    s_num: np.ndarray  # (2, 2, R) int64 surcharge numerator
    s_den: np.ndarray  # (2, 2, R) int64 surcharge denominator
    unknown: np.ndarray  # (2, R) bool: words not understood

    def at(self, case: int, rows: np.ndarray, price: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(destroyed, surcharge numerator, denominator) of `rows` at sale prices `price` (kopecks)."""
        side = (price > self.limit[case][rows]).astype(np.int64)
        return (
            self.destroyed[case, side, rows],
            self.s_num[case, side, rows],
            self.s_den[case, side, rows],
        )


def row_rules(compiled: CompiledTariffs) -> RowRules:
    """The rules of every row of `compiled` (cached on it)."""
    found = compiled.cache.get("return_rules")
    if found is None:
        rules = [
            rules_for(
                None if r.rate.returns is None else r.rate.returns.model_dump(exclude_none=True),
                r.rate.source_row,
                r.version.sources,
            )
            for r in compiled.rows
        ]
        n = len(rules)
        limit = np.full((2, n), NO_LIMIT, np.int64)
        destroyed = np.zeros((2, 2, n), bool)
        s_num = np.zeros((2, 2, n), np.int64)
        s_den = np.ones((2, 2, n), np.int64)
        unknown = np.zeros((2, n), bool)
        for i, pair in enumerate(rules):
            for c, rule in enumerate(pair):
                unknown[c, i] = rule.outcome == "unknown"
                sides = [(rule.outcome, rule.surcharge)] * 2
                if rule.limit_minor is not None and rule.below is not None:
                    limit[c, i] = rule.limit_minor
                    sides[0] = rule.below
                for side, (outcome, surcharge) in enumerate(sides):
                    destroyed[c, side, i] = outcome == "destroyed"
                    s_num[c, side, i], s_den[c, side, i] = surcharge.numerator, surcharge.denominator
        found = compiled.cache["return_rules"] = RowRules(rules, limit, destroyed, s_num, s_den, unknown)
    return found


def value_limits(compiled: CompiledTariffs) -> list[int]:
    """Every order-value limit (kopecks) a return rule of `compiled` sets: a profit can jump there."""
    lim = row_rules(compiled).limit
    return sorted({int(x) for x in np.unique(lim) if x != NO_LIMIT})
