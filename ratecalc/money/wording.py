"""The economics answer's cliffs and skipped services in the reader's language (English keeps the
library's own sentences). Used by the page's money part and `ratecalc economics`."""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from ..i18n import ENGLISH, N_, Lang

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


__all__ = ["CLIFFS", "SKIPPED", "cliff_text", "skipped_text"]
