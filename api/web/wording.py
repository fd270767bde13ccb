"""The page's words for what the library and the API say in English: a field's error, the bands' note.

English keeps the library's own sentence (it names the value and the limit). Chinese and Russian say
what is wrong with the field from its stable parts — the field and the rule broken, with the limit — so
no English sentence is parsed and none is left on the page.
"""

from __future__ import annotations

from typing import Optional

from ratecalc.i18n import N_, Lang

from ..errors import FieldError

SHAPES = {  # what the field should look like
    "weight": N_("not a weight; write it with a unit, like 1.2kg or 350g"),
    "dims": N_("not L×W×H with a unit; write it like 30x20x10cm"),
    "value": N_("not an amount with a currency; write it like 1500RUB"),
    "date": N_("not a date; write it as YYYY-MM-DD"),
    "sale_price": N_("not a price in roubles; write it like 1499 or 1499.90"),
    "purchase_cost": N_("not an amount; write it like 62CNY or 500RUB"),
    "packaging": N_("not an amount; write it like 5CNY"),
    "target_margin": N_("not a percentage; write it like 25 or 25%"),
    "target_profit": N_("not an amount in roubles; write it like 300"),
    "return_rate": N_("not a percentage; write it like 5 or 5%"),
    "fx": N_("not an exchange rate; write it like CNY=11.2"),
    "category": N_("no such category; pick one from the list"),
    "brand": N_("not a brand name"),
    "scheme": N_("not a scheme; use rFBS or FBP"),
}
RULES = {  # what the rule says, where the field's shape is not the problem
    "max_length": N_("too long (at most %(limit)s characters)"),
    "string_too_long": N_("too long (at most %(limit)s characters)"),
    "less_than_equal": N_("above the input limit of %(limit)s"),
    "greater_than": N_("must be more than %(limit)s"),
    "greater_than_equal": N_("must be %(limit)s or more"),
    "unit_required": N_("a unit is needed: g or kg, cm or mm"),
    "fx_required": N_("needs an exchange rate for its currency: give fx, like CNY=11.2"),
    "missing": N_("required"),
    "one_mode": N_("give either the sale price or one target (margin or profit), not more than one"),
}
GENERIC = N_("not accepted: %(why)s")


def field_error(name: str, error: FieldError, t: Lang) -> str:
    """The message shown next to a field, in `t`'s language."""
    if t.code == "en":
        return error.message
    if error.rule in RULES and (error.limit is not None or "%(limit)s" not in RULES[error.rule]):
        return t._(RULES[error.rule], limit=error.limit)
    if name in SHAPES:
        return t._(SHAPES[name])
    return t._(GENERIC, why=error.rule)


def band_note(note: Optional[str], t: Lang) -> Optional[str]:
    """The cheapest-by-band note of ratecalc.money.bands, in `t`'s language (its three cases)."""
    if note is None or t.code == "en":
        return note
    if note.startswith("no service has a price"):
        return t._("no service has a price for this parcel")
    if note.startswith("services price in"):
        return t._("the services price in several currencies; give exchange rates to compare them in RUB")
    return t._("compared in each carrier's own currency: no exchange rate for the order date")


__all__ = ["GENERIC", "RULES", "SHAPES", "band_note", "field_error"]
