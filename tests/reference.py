"""A deliberately simple reference pricer, written straight from carrier-rules.md (tests/data/), for tests only.

One parcel, one service, plain Python with `Fraction`: no arrays, no compiled tables, no shared code with
the engine beyond the parsed YAML models. If the engine and this disagree, one of them misreads the rules.

The rules, as carrier-rules.md states them:
- volumetric weight (kg) = L x W x H (cm) / divisor, i.e. grams = L x W x H (mm) / divisor;
- "actual": bill the physical weight; "greater-of": bill the higher of physical and volumetric;
  "volumetric above threshold": if L+W+H exceeds N cm, bill the volumetric weight; thresholds compare
  "sum <= N cm -> actual";
- weight is measured in steps (100 g, 1 kg), rounded up;
- price = fixed + per-step x number of started steps (the first step is charged too);
- limits: max weight, sides compared longest to longest, sum of sides (strict "<" where stated), longest
  side, declared value in the limit's currency, batteries / liquids.
- a rate sheet row may state its own billing and limits (Ozon's 2026 sheets): they win over the group's;
- the alternative reading "greater-of above the threshold" turns "volumetric above threshold" into
  greater-of; under the literal reading a quote warns when the billed weight is below the actual weight.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Optional

from ratecalc.tariffdata.schema import Billing, GroupOverride, GroupsFile, Limits, RateRow, Service, Version


@dataclass
class RefParcel:
    weight_g: int
    dims_mm: tuple[int, int, int]
    day: dt.date
    delivery: str = "pickup_point"
    value: Optional[tuple[Decimal, str]] = None
    battery: bool = False
    liquid: bool = False


@dataclass
class RefQuote:
    status: str
    chargeable_g: int
    volumetric_g: Optional[int]
    price: Optional[Decimal]
    currency: Optional[str]
    codes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def version_on(service: Service, day: dt.date) -> Optional[Version]:
    for v in service.versions:
        start = v.effective_from or dt.date.min
        end = v.effective_until or dt.date.max
        if start <= day <= end:
            return v
    return None


def _step_up(grams: Fraction, step: int, direction: str) -> int:
    units = grams / step
    if direction == "up":
        n = math.ceil(units)
    elif direction == "down":
        n = math.floor(units)
    else:
        n = math.floor(units + Fraction(1, 2))
    return n * step


def chargeable(billing: Billing, parcel: RefParcel) -> tuple[int, Optional[int]]:
    l, w, h = parcel.dims_mm  # noqa: E741 - the sides as the rules name them
    sum_cm = Fraction(l + w + h, 10)
    actual = Fraction(parcel.weight_g)
    if billing.basis == "actual":
        billed, vol = actual, None
    else:
        vol_exact = Fraction(l * w * h, billing.divisor)  # grams
        vol = math.ceil(vol_exact)
        above = billing.threshold_sum_cm is None or sum_cm > Fraction(str(billing.threshold_sum_cm))
        if not above:
            billed = actual
        elif billing.basis == "greater_of":
            billed = max(actual, vol_exact)
        else:
            billed = vol_exact
    grams = _step_up(billed, billing.rounding.step_g, billing.rounding.direction)
    if billing.min_billable_g:
        grams = max(grams, billing.min_billable_g)
    return grams, vol


def blocking_codes(limits: Limits, parcel: RefParcel) -> list[str]:
    codes = []
    sides = sorted(parcel.dims_mm, reverse=True)
    if limits.max_weight_g is not None and parcel.weight_g > limits.max_weight_g:
        codes.append("weight_above_max")
    if limits.min_weight_g is not None and parcel.weight_g < limits.min_weight_g:
        codes.append("weight_below_min")
    if limits.max_dims_cm is not None:
        lim = sorted((Fraction(str(x)) * 10 for x in limits.max_dims_cm), reverse=True)
        if any(s > m for s, m in zip(sides, lim)):
            codes.append("dimensions_above_max")
    if limits.max_sum_cm is not None:
        total, cap = sum(sides), Fraction(str(limits.max_sum_cm)) * 10
        if (total >= cap) if limits.sum_strict else (total > cap):
            codes.append("sum_of_sides_above_max")
    if limits.max_longest_cm is not None and sides[0] > Fraction(str(limits.max_longest_cm)) * 10:
        codes.append("longest_side_above_max")
    mv = limits.max_declared_value
    if mv is not None and parcel.value is not None and parcel.value[1] == mv.currency:
        if parcel.value[0] > mv.amount:
            codes.append("declared_value_above_max")
    if parcel.battery and limits.batteries == "forbidden":
        codes.append("batteries_forbidden")
    if parcel.liquid and limits.liquids == "forbidden":
        codes.append("liquids_forbidden")
    return codes


def row_for(version: Version, delivery: str, group: Optional[str] = None) -> Optional[RateRow]:
    for row in version.rates:
        if delivery in row.delivery and row.group == group:
            return row
    return None


def groups_on(doc: GroupsFile, day: dt.date, chosen: tuple[str, ...] = ()) -> list[GroupOverride]:
    """The shipment groups in force, with one reading per conflict: the chosen one, else the default."""
    for v in doc.versions:
        if (v.effective_from or dt.date.min) <= day <= (v.effective_until or dt.date.max):
            picked = {}
            for r in v.readings:
                if r.id in chosen or (r.default and r.conflict not in picked):
                    picked[r.conflict] = r
            groups = []
            for g in v.groups:
                data = g.model_dump(exclude_unset=True)
                for r in picked.values():
                    for o in r.groups:
                        if o.name == g.name:
                            for key, val in o.model_dump(exclude_unset=True).items():
                                if key == "limits":
                                    data["limits"] = {**data.get("limits", {}), **val}
                                elif key != "name":
                                    data[key] = val
                groups.append(GroupOverride.model_validate(data))
            return groups
    return []


def pick_group(groups: list[GroupOverride], parcel: RefParcel) -> Optional[GroupOverride]:
    """Ozon: the group is chosen by the shipment's price (RUB) and its actual weight."""
    if parcel.value is None or parcel.value[1] != "RUB":
        return None
    for g in groups:
        lo_p, hi_p = g.price.min, g.price.max
        lo_w, hi_w = g.weight_g.min, g.weight_g.max
        if (lo_p is None or parcel.value[0] >= lo_p) and (hi_p is None or parcel.value[0] <= hi_p):
            if (lo_w is None or parcel.weight_g >= lo_w) and (hi_w is None or parcel.weight_g <= hi_w):
                return g
    return None


def price(row: RateRow, grams: int) -> Decimal:
    steps = -(-grams // row.step_g)
    exact = row.fixed + row.per_step * steps  # type: ignore[operator]
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def reference_quote(
    service: Service, parcel: RefParcel, groups: Optional[list[GroupOverride]] = None, greater_of: bool = False
) -> Optional[RefQuote]:
    """None when the service is not in force on the parcel's date.

    `groups`: the shipment groups in force (from `groups_on`), needed for services priced per group.
    `greater_of`: the alternative reading of "volumetric above threshold" (bill the greater of the two).
    """
    version = version_on(service, parcel.day)
    if version is None:
        return None
    billing, limits = version.billing, version.limits
    grouped = any(r.group is not None for r in version.rates)
    group = pick_group(groups or [], parcel) if grouped else None
    row = row_for(version, parcel.delivery, group.name if group else None)
    if row is not None and group is not None:
        billing = group.billing or billing
        if group.limits is not None:
            limits = Limits.model_validate(
                {**limits.model_dump(exclude_unset=True), **group.limits.model_dump(exclude_unset=True)}
            )
    if row is not None and row.billing is not None:
        billing = row.billing
    if row is not None and row.limits is not None:
        limits = Limits.model_validate(
            {**limits.model_dump(exclude_unset=True), **row.limits.model_dump(exclude_unset=True)}
        )
    if greater_of and billing.basis == "volumetric_above_threshold":
        billing = billing.model_copy(update={"basis": "greater_of"})
    grams, vol = chargeable(billing, parcel)
    warnings = []
    if billing.basis == "volumetric_above_threshold" and grams < parcel.weight_g:
        warnings.append("billed_weight_below_actual")
    if row is not None and (row.batteries or row.liquids):
        data = limits.model_dump(exclude_unset=True)
        data.update({k: getattr(row, k) for k in ("batteries", "liquids") if getattr(row, k)})
        limits = Limits.model_validate(data)
    codes = blocking_codes(limits, parcel)
    if grouped and group is None:
        codes.insert(0, "no_shipment_group")
    elif row is None:
        codes.insert(0, "no_rate_for_group" if grouped else "delivery_type_unavailable")
    if codes:
        return RefQuote("ineligible", grams, vol, None, None, codes, warnings)
    if not row.published:  # type: ignore[union-attr]
        return RefQuote("unpriced", grams, vol, None, None, ["rate_unpublished"], warnings)
    return RefQuote("ok", grams, vol, price(row, grams), row.currency, [], warnings)  # type: ignore[union-attr]
