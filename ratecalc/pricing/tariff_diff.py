"""What changed between two tariff sets, per service and group, and what it costs a catalogue.

Sellers ask "what did the July change cost me?". A side of the comparison is either a date of the loaded
set (the versions in force that day) or a directory of tariff files (its newest versions, layered over the
built-in set like `--tariffs`). Rates are compared as published (base and per step), and the relative
change of each is stated; with a catalogue, every parcel is quoted on both sides and the cheapest priced
service's total is compared (per currency: no exchange rate is applied).
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

from ..errors import InputError
from ..tariffdata.schema import RateRow, Version
from .parcels import Parcel, parse_date
from .tariffset import TariffSet

PERCENT = Decimal("0.1")


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a tariff set and the order date whose versions are compared."""

    label: str
    tariffs: TariffSet
    day: dt.date


def side(spec: str, base_dirs: Sequence[Union[str, Path]] = ()) -> Side:
    """`2026-05-01` (a date of the built-in set plus `base_dirs`) or a directory (its newest start date)."""
    path = Path(spec)
    if path.is_dir():
        ts = TariffSet.load([*base_dirs, path])
        own = [f for f in ts.documents.files if f.path.parent.resolve() == path.resolve()]
        starts = [
            v.effective_from
            for f in own
            for s in getattr(f.document, "services", [])
            for v in s.versions
            if v.effective_from is not None
        ]
        if not starts:
            raise InputError("tariffs", f"{spec}: no dated service versions in this directory")
        return Side(f"{spec} (from {max(starts).isoformat()})", ts, max(starts))
    try:
        day = parse_date(spec, "tariffs")
    except InputError:
        raise InputError("tariffs", f"{spec!r} is neither a directory nor a date YYYY-MM-DD")
    return Side(day.isoformat(), TariffSet.load(base_dirs), day)


@dataclass(frozen=True)
class Lane:
    """A (service, group) rate as published on one side."""

    service: str
    name: str
    group: Optional[str]
    rate: RateRow
    version: Version

    def key(self) -> tuple[str, Optional[str]]:
        return (self.service, self.group)


def lanes(s: Side, scheme: str = "rfbs") -> dict[tuple[str, Optional[str]], Lane]:
    """Every published (service, group) rate of one scheme in force on the side's date."""
    out = {}
    for svc in s.tariffs.compiled(scheme=scheme).services:
        for version in svc.model.versions:
            if not version.covers(s.day):
                continue
            for row in version.rates:
                if row.published:
                    out[(svc.id, row.group)] = Lane(svc.id, svc.name, row.group, row, version)
    return out


def _pct(old: Decimal, new: Decimal) -> Optional[Decimal]:
    if old == 0:
        return None
    return ((new - old) / old * 100).quantize(PERCENT, rounding=ROUND_HALF_UP)


def _days(lane: Lane) -> Optional[str]:
    d = lane.rate.delivery_days or lane.version.delivery_days
    return None if d is None else f"{d.min}-{d.max}"


def _returns(lane: Lane) -> dict[str, str]:
    r = lane.rate.returns
    return {} if r is None else {k: v for k, v in r.model_dump(exclude_none=True).items()}


def _limits(lane: Lane) -> dict[str, object]:
    lim = lane.rate.limits
    out: dict[str, object] = {
        "batteries": lane.rate.batteries,
        "liquids": lane.rate.liquids,
        "billing": (lane.rate.billing or lane.version.billing).basis,
    }
    if lim is not None:
        out.update(
            max_weight_g=lim.max_weight_g,
            max_sum_cm=lim.max_sum_cm,
            max_longest_cm=lim.max_longest_cm,
            max_declared_value=None if lim.max_declared_value is None else lim.max_declared_value.amount,
        )
    return out


@dataclass
class LaneChange:
    service: str
    name: str
    group: Optional[str]
    kind: str  # changed | added | removed
    details: list[str] = field(default_factory=list)
    fixed_pct: Optional[Decimal] = None
    per_pct: Optional[Decimal] = None


@dataclass
class TariffDiff:
    old: Side
    new: Side
    changes: list[LaneChange]
    unchanged: int

    def median_pct(self, attr: str) -> Optional[Decimal]:
        values = [getattr(c, attr) for c in self.changes if getattr(c, attr) is not None]
        if not values:
            return None
        return Decimal(statistics.median(values)).quantize(PERCENT, rounding=ROUND_HALF_UP)

    def summary(self) -> str:
        count = {k: sum(c.kind == k for c in self.changes) for k in ("changed", "added", "removed")}
        text = (
            f"{self.old.label} -> {self.new.label}: {count['changed']} lanes changed, {count['added']} added, "
            f"{count['removed']} removed, {self.unchanged} unchanged"
        )
        fixed, per = self.median_pct("fixed_pct"), self.median_pct("per_pct")
        if fixed is not None or per is not None:
            text += f"; median change: base {_signed(fixed)}, per step {_signed(per)}"
        return text


def _signed(p: Optional[Decimal]) -> str:
    return "n/a" if p is None else f"{p:+}%"


def diff(old: Side, new: Side, scheme: str = "rfbs") -> TariffDiff:
    """Lane by lane, the services of `scheme` (rfbs, or fbp: Ozon's border-warehouse list)."""
    a, b = lanes(old, scheme), lanes(new, scheme)
    changes: list[LaneChange] = []
    unchanged = 0
    for key in sorted(set(a) | set(b), key=lambda k: (k[0], k[1] or "")):
        before, after = a.get(key), b.get(key)
        if before is None and after is not None:
            r = after.rate
            changes.append(
                LaneChange(
                    after.service,
                    after.name,
                    after.group,
                    "added",
                    [f"{r.fixed} + {r.per_step}/{r.step_g} g {r.currency}"],
                )
            )
            continue
        if after is None and before is not None:
            changes.append(LaneChange(before.service, before.name, before.group, "removed"))
            continue
        assert before is not None and after is not None
        change = LaneChange(after.service, after.name, after.group, "changed")
        r0, r1 = before.rate, after.rate
        if (r0.fixed, r0.per_step, r0.step_g, r0.currency) != (r1.fixed, r1.per_step, r1.step_g, r1.currency):
            change.details.append(
                f"rate {r0.fixed} + {r0.per_step}/{r0.step_g} g {r0.currency} -> "
                f"{r1.fixed} + {r1.per_step}/{r1.step_g} g {r1.currency}"
            )
            if str(r0.currency) == str(r1.currency) and r0.step_g == r1.step_g:
                change.fixed_pct = _pct(r0.fixed, r1.fixed)  # type: ignore[arg-type]
                change.per_pct = _pct(r0.per_step, r1.per_step)  # type: ignore[arg-type]
                change.details[-1] += f" (base {_signed(change.fixed_pct)}, per step {_signed(change.per_pct)})"
        if _days(before) != _days(after):
            change.details.append(f"days {_days(before)} -> {_days(after)}")
        l0, l1 = _limits(before), _limits(after)
        for name in sorted(set(l0) | set(l1)):
            if l0.get(name) != l1.get(name):
                change.details.append(f"{name} {l0.get(name)} -> {l1.get(name)}")
        t0, t1 = _returns(before), _returns(after)
        for case in sorted(set(t0) | set(t1)):
            if t0.get(case) != t1.get(case):
                change.details.append(f"returns {case.replace('_', ' ')}: {t0.get(case)!r} -> {t1.get(case)!r}")
        if change.details:
            changes.append(change)
        else:
            unchanged += 1
    return TariffDiff(old, new, changes, unchanged)


# ---------------------------------------------------------------------------------------------------------
# Catalogue effect

ALIASES = {"value": ("value", "declared_value"), "weight": ("weight",), "dims": ("dims",)}


def read_catalogue(path: Path) -> list[dict[str, str]]:
    """CSV with columns weight, dims, value (alias declared_value), optional delivery, battery, liquid, quantity."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise InputError("catalogue", f"{path}: no rows")
    missing = [k for k, names in ALIASES.items() if not any(n in rows[0] for n in names)]
    if missing:
        raise InputError("catalogue", f"{path}: missing column(s) {', '.join(missing)}")
    return rows


def _truthy(text: Optional[str]) -> bool:
    return (text or "").strip().lower() in ("1", "true", "yes", "y")


def _parcels(rows: Iterable[dict[str, str]], day: dt.date) -> list[tuple[Parcel, int]]:
    out = []
    for i, row in enumerate(rows):
        value = row.get("value") or row.get("declared_value") or None
        try:
            parcel = Parcel.parse(
                row["weight"],
                row["dims"],
                date=day,
                value=value,
                delivery=(row.get("delivery") or "pickup_point").strip(),
                battery=_truthy(row.get("battery")),
                liquid=_truthy(row.get("liquid")),
            )
            quantity = int(row.get("quantity") or 1)
        except (InputError, ValueError) as exc:
            raise InputError(f"catalogue row {i + 1}", str(exc))
        out.append((parcel, quantity))
    return out


@dataclass
class CatalogueCost:
    """Cheapest priced service per parcel x quantity, summed per currency, on each side."""

    old_total: dict[str, Decimal]
    new_total: dict[str, Decimal]
    unpriced_old: int
    unpriced_new: int
    parcels: int

    def lines(self) -> list[str]:
        out = [f"catalogue: {self.parcels} parcels, cheapest priced service per parcel x quantity"]
        for cur in sorted(set(self.old_total) | set(self.new_total)):
            a, b = self.old_total.get(cur, Decimal(0)), self.new_total.get(cur, Decimal(0))
            out.append(f"  {cur}: {a} -> {b} ({b - a:+} {cur}, {_signed(_pct(a, b))})")
        if self.unpriced_old or self.unpriced_new:
            out.append(f"  parcels without any price: {self.unpriced_old} before, {self.unpriced_new} after")
        return out


def _cheapest_totals(s: Side, items: list[tuple[Parcel, int]], scheme: str = "rfbs") -> tuple[dict[str, Decimal], int]:
    totals: dict[str, Decimal] = {}
    unpriced = 0
    for (_, quantity), quotes in zip(items, s.tariffs.quote_many([p for p, _ in items], scheme=scheme)):
        priced = [q for q in quotes if q.status == "ok" and q.price is not None]
        if not priced:
            unpriced += 1
            continue
        best = priced[0]  # quotes are sorted: ok by price first
        assert best.price is not None
        totals[best.price.currency] = (
            totals.get(best.price.currency, Decimal(0)) + Decimal(best.price.amount) * quantity
        )
    return totals, unpriced


def catalogue_cost(old: Side, new: Side, path: Path, scheme: str = "rfbs") -> CatalogueCost:
    rows = read_catalogue(path)
    old_total, old_un = _cheapest_totals(old, _parcels(rows, old.day), scheme)
    new_total, new_un = _cheapest_totals(new, _parcels(rows, new.day), scheme)
    return CatalogueCost(old_total, new_total, old_un, new_un, len(rows))
