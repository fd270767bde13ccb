"""The economics answer's cliffs and skipped services in the reader's language (English keeps the
library's own sentences). Used by the page's money part and `ratecalc economics`."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import TYPE_CHECKING, Sequence

from ..i18n import ENGLISH, N_, Lang
from .returns import decimal_text

if TYPE_CHECKING:
    from .returns import ReturnRule

CLIFFS = {
    "lower_price": N_("Lowering the price to %(at)s raises the profit by up to %(delta)s."),
    "price_jump": N_("Crossing %(at)s changes the profit by up to %(delta)s."),
    "lighter_parcel": N_("A parcel of %(at)s raises the profit by up to %(delta)s."),
    "service_lost": N_("Above %(at)s some services no longer take the parcel."),
}
SKIPPED = {
    "no_rate": N_("no exchange rate for the carrier's currency: give fx, like CNY=11.2"),
    "no_fee_rule": N_("no Ozon fee rule for the carrier's currency on this date"),
    "unpriced": N_("no published rate"),
    "ineligible": N_("cannot carry the parcel"),
}


RETURN_RULES = {  # what a tariff row's return words say, as the rule's parts (ratecalc.money.returns)
    "destroyed": N_("destroyed, no surcharge"),
    "back": N_("returned, no surcharge"),
    "back_with_surcharge": N_("returned at %(times)s × the China-to-Russia rate"),
    "by_order_value": N_("by order value"),
    "unstated": N_("no rule stated"),
    "unknown": N_("words not understood"),
}
RETURN_FORMULAS = {
    "destroyed": N_("%(rate)s × (purchase + carrier + packaging + first mile)"),
    "back": N_("%(rate)s × (%(carrier)s + packaging + first mile)"),
    "unknown": N_("not costed: the rule's words are not understood"),
}


def return_rule_text(rule: ReturnRule, t: Lang = ENGLISH) -> tuple[str, str]:
    """(what the rule says, its formula) in `t`'s language; English keeps the tariff's words and the
    library's formula."""
    if t.code == ENGLISH.code:
        return rule.text or t._(RETURN_RULES["unstated"]), rule.formula()
    said = t._(RETURN_RULES[rule.rule], times=decimal_text(rule.surcharge))  # the way back alone
    return said, _formula(rule, t)


def _formula(rule: ReturnRule, t: Lang) -> str:
    if rule.limit_minor is not None and rule.below is not None:
        below = dataclasses.replace(rule, outcome=rule.below[0], surcharge=rule.below[1], limit_minor=None, below=None)
        above = dataclasses.replace(rule, limit_minor=None, below=None)
        limit = t.money(Decimal(rule.limit_minor).scaleb(-2), "RUB")
        return t._(
            "up to %(limit)s: %(below)s; above: %(above)s",
            limit=limit,
            below=_formula(below, t),
            above=_formula(above, t),
        )
    rate = t._("return %") if rule.case == "returned" else t._("not-collected %")
    if rule.outcome in ("destroyed", "unknown"):
        return t._(RETURN_FORMULAS[rule.outcome], rate=rate)
    times = decimal_text(1 + rule.surcharge)
    carrier = t._("carrier × %(times)s", times=times) if rule.surcharge else t._("carrier")
    return t._(RETURN_FORMULAS["back"], rate=rate, carrier=carrier)


def cliff_text(kind: str, at: str, deltas: Sequence[str], message: str, t: Lang = ENGLISH) -> str:
    """One cliff (economics.Cliff: kind, `at` as "1500.00 RUB" or "500 g", the profit changes in RUB)."""
    if t.code == ENGLISH.code:
        return message
    amount, _, unit = at.partition(" ")
    where = t.grams(int(amount)) if unit == "g" else t.money(amount, unit or "RUB")
    values = [Decimal(v) for v in deltas if v]
    delta = t.money(max(values, key=abs), "RUB") if values else "—"
    return t._(CLIFFS.get(kind, CLIFFS["price_jump"]), at=where, delta=delta)


def skipped_text(status: str, t: Lang = ENGLISH) -> str:
    return t._(SKIPPED.get(status, SKIPPED["unpriced"]))


__all__ = ["CLIFFS", "RETURN_FORMULAS", "RETURN_RULES", "SKIPPED", "cliff_text", "return_rule_text", "skipped_text"]
