"""A quote's reasons and the rate sheet's terms in the reader's language.

Why from codes and not from the English sentences: a reason's code is stable (engine.REASON_CODES) and its
numbers come from the parcel and the row that applied (`facts`), so each language words it from those
and never parses English. A code without a wording here falls back to the library's English sentence; a
test lists every code the engine can emit and fails when one has no wording.

The terms follow Ozon's own sheets and the words sellers use: the Chinese sheet's 实际重量 and
体积重量与实际重量取大, 允许 / 禁止, Ozon评级; group names (Extra Small, Budget, ...) and tiers (Express,
Standard, Economy) stay as Ozon writes them in its Chinese and Russian files: in Latin letters.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

from ..i18n import ENGLISH, N_, Lang
from . import engine as E
from .facts import Facts
from .parcels import Parcel
from .result import ReasonOut, ServiceQuote

# What a reason says, per code. The values are filled from the parcel and the row (see `reason_text`).
REASONS: dict[str, str] = {
    E.CODE_DECLARED_VALUE_REQUIRED: N_("the group model needs the declared price (in RUB) to pick a group"),
    "no_shipment_group": N_("price %(value)s and weight %(weight)s fit no shipment group"),
    E.CODE_NO_RATE_FOR_GROUP: N_("the service has no rate for the group %(group)s"),
    "delivery_type_unavailable": N_("the service does not offer %(delivery)s delivery"),
    "weight_above_max": N_("weight %(weight)s exceeds the maximum %(limit)s"),
    "weight_below_min": N_("weight %(weight)s is below the minimum %(limit)s"),
    "dimensions_above_max": N_("sides %(sides)s cm exceed the maximum %(limit)s cm"),
    "sum_of_sides_above_max": N_("sum of sides %(sum)s cm exceeds the maximum %(limit)s cm"),
    "longest_side_above_max": N_("longest side %(side)s cm exceeds the maximum %(limit)s cm"),
    "declared_value_above_max": N_("declared value %(value)s exceeds the maximum %(limit)s"),
    "batteries_forbidden": N_("the service does not carry batteries"),
    "liquids_forbidden": N_("the service does not carry liquids"),
    "declared_value_unchecked": N_(
        "the value limit %(limit)s was not checked: the value is declared in another currency"
    ),
    "batteries_need_msds": N_("batteries are accepted with an (M)SDS document"),
    "battery_policy_unpublished": N_("the battery policy of this service is not published"),
    "liquid_policy_unpublished": N_("the liquids policy of this service is not published"),
    "billed_weight_below_actual": N_("the billed weight is below the actual weight %(weight)s"),
    E.CODE_RATE_UNPUBLISHED: N_("no rate is published for this date"),
}
SUM_STRICT = N_("sum of sides %(sum)s cm must be less than %(limit)s cm")

POLICIES = {
    "allowed": N_("allowed"),
    "forbidden": N_("forbidden"),
    "msds_required": N_("with (M)SDS"),
    "unknown": N_("not published"),
}
BASES = {  # the weight a carrier bills, in the rate sheet's words (计费类型)
    "actual": N_("actual weight"),
    "greater_of": N_("greater of volumetric and actual weight"),
    "volumetric": N_("volumetric weight"),
}
DELIVERY = {"pickup_point": N_("pickup point"), "courier": N_("courier")}
CONFIDENCE = {
    "official": N_("official"),
    "carrier_sheet": N_("carrier sheet"),
    "third_party": N_("third party"),
    "inferred": N_("inferred"),
}


def cm(mm: int) -> str:
    return str(mm // 10) if mm % 10 == 0 else f"{mm / 10:g}"


def _dec(d: Optional[Decimal]) -> str:
    return "—" if d is None else f"{d.normalize():f}"


def reason_text(reason: ReasonOut, parcel: Parcel, facts: Optional[Facts], q: ServiceQuote, t: Lang = ENGLISH) -> str:
    """One reason in `t`'s language; English (and any code or row this cannot word) keeps the library's."""
    if t.code == ENGLISH.code or reason.code not in REASONS:
        return reason.message
    dims = sorted(parcel.dims_mm, reverse=True)
    value = parcel.declared_value
    v: dict[str, str] = {
        "weight": t.grams(parcel.weight_g),
        "value": t.money(value.amount, value.currency) if value is not None else "—",
        "group": q.group.name if q.group is not None and q.group.name else "—",
        "delivery": t._(DELIVERY.get(parcel.delivery, parcel.delivery)),
        "sides": "×".join(cm(d) for d in dims),
        "sum": cm(sum(dims)),
        "side": cm(dims[0]),
        "limit": "—",
    }
    code = reason.code
    if facts is None and code not in ("batteries_forbidden", "liquids_forbidden", E.CODE_RATE_UNPUBLISHED):
        if "%(limit)s" in REASONS[code]:
            return reason.message  # no row to read the limit from: the library's own sentence
    f = facts
    if f is not None:
        if code == "weight_above_max" and f.max_weight_g:
            v["limit"] = t.grams(f.max_weight_g)
        elif code == "weight_below_min" and f.min_weight_g:
            v["limit"] = t.grams(f.min_weight_g)
        elif code == "dimensions_above_max" and f.max_dims_cm:
            v["limit"] = "×".join(_dec(d) for d in f.max_dims_cm)
        elif code == "sum_of_sides_above_max":
            v["limit"] = _dec(f.max_sum_cm)
            if f.sum_strict:
                return t._(SUM_STRICT, **v)
        elif code == "longest_side_above_max":
            v["limit"] = _dec(f.max_longest_cm)
        elif code in ("declared_value_above_max", "declared_value_unchecked") and f.max_value:
            v["limit"] = t.money(*f.max_value)
    return t._(REASONS[code], **v)


def reasons_text(
    q: ServiceQuote, parcel: Parcel, facts: Optional[Facts], t: Lang = ENGLISH, *, only_blocking=True
) -> str:
    """The reasons a service is ineligible or unpriced, joined in `t`'s language."""
    shown = [r for r in q.reasons if q.status == "ineligible" or r.code == E.CODE_RATE_UNPUBLISHED or not only_blocking]
    return ("; " if t.code != "zh" else "；").join(reason_text(r, parcel, facts, q, t) for r in shown)


def coverage_text(c, t: Lang = ENGLISH) -> Optional[str]:
    """The command line's note on an order date's rates (ratecalc.tariffdata.coverage), in `t`'s language."""
    if c.message is None or t.code == ENGLISH.code:
        return c.message
    if c.priced:
        return t._(
            "The newest rates held start on %(start)s; Ozon publishes a new sheet every few months, so these "
            "prices may be out of date: import a newer sheet with ratecalc tariffs import.",
            start=t.date(c.newest_start) if c.newest_start else "—",
        )
    near = [
        t._("up to %(day)s", day=t.date(c.previous)) if c.previous else "",
        t._("from %(day)s", day=t.date(c.next)) if c.next else "",
    ]
    return t._(
        "No rates are held for orders on %(day)s. Dates with rates: %(held)s. Use --date for one of those, or "
        "import a sheet with ratecalc tariffs import.",
        day=t.date(c.date),
        held=t._(" and ").join(x for x in near if x) or t._("none"),
    )


__all__ = [
    "BASES",
    "CONFIDENCE",
    "DELIVERY",
    "POLICIES",
    "REASONS",
    "cm",
    "coverage_text",
    "reason_text",
    "reasons_text",
]
