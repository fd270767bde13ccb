"""Price against weight for every service, at one parcel's size, value, date and delivery.

Why: a seller asks "which carrier is cheapest for my weight band?". The answer is the parcel quoted at
every weight of a grid, in ONE engine run (the grid is a batch of parcels; the engine splits it into
shipment-group blocks itself, so group changes along the weight axis are priced as Ozon prices them).
The web page, `GET /v1/curves`, `ratecalc chart` and `ratecalc sweep` all read this one result.

Money stays in integer minor units of each service's own currency; comparing services across currencies
(the cheapest or fastest service per weight band) is money's work: `ratecalc.money.bands`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal, Optional, Sequence

import numpy as np

from ..errors import InputError
from ..tariffdata.compile import CURRENCIES
from ..tariffdata.confidence import Confidence, confidence_of
from ..units import MAX_WEIGHT_G, Money
from . import engine as E
from .parcels import Parcel, to_arrays
from .tariffset import TariffSet

MAX_POINTS = 2_000  # grid points per call: a chart needs a few hundred; this bounds an API request
NICE_STEPS_G = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000)

By = Literal["price", "days"]

# Colours of the services that win a band, in order of first appearance (Okabe-Ito: distinguishable
# with the common colour-vision deficiencies). The page and `ratecalc chart` colour the same way.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C564B")
MUTED = "#c8c8c8"


def colours(*band_sets: Sequence[Optional[str]]) -> dict[str, str]:
    """service_id -> colour for every service that wins a band in any of `band_sets` (service ids)."""
    ids: list[str] = []
    for bands in band_sets:
        for sid in bands:
            if sid and sid not in ids:
                ids.append(sid)
    return {sid: PALETTE[i % len(PALETTE)] for i, sid in enumerate(ids)}


@dataclass(frozen=True)
class ServiceCurve:
    """One service along the grid. `price_minor[k]` is -1 where it has no price (unpriced/ineligible)."""

    service_id: str
    service: str
    carrier: str
    carrier_id: str
    currency: str
    confidence: Confidence
    delivery_days: Optional[tuple[int, int]]
    days_basis: Optional[str]  # what the days count (schema.DeliveryDays.basis), e.g. dropoff_to_sorting_centre
    price_minor: np.ndarray  # (W,) int64
    status: np.ndarray  # (W,) uint8 index into engine.STATUS_NAMES; 255 = not in force for this point
    rules: tuple[int, int, int, int] = (0, -1, 0, 1)  # billing (basis, threshold mm, divisor, step): ties

    @property
    def priced(self) -> bool:
        return bool((self.price_minor >= 0).any())

    def price(self, k: int) -> Optional[Money]:
        v = int(self.price_minor[k])
        return None if v < 0 else Money.from_minor(v, self.currency)


@dataclass(frozen=True)
class Curves:
    parcel: Parcel
    weights_g: np.ndarray  # (W,) int64 ascending
    services: list[ServiceCurve]

    def marked_index(self) -> int:
        """The grid point nearest the parcel's own weight (the grid always contains it)."""
        return int(np.searchsorted(self.weights_g, self.parcel.weight_g))


def default_step(top_g: int) -> int:
    """The smallest "nice" step that sweeps to `top_g` in at most ~400 points."""
    return next((s for s in NICE_STEPS_G if top_g / s <= 400), NICE_STEPS_G[-1])


def weight_grid(parcel_weight_g: int, max_weight_g: Optional[int] = None, step_g: Optional[int] = None) -> np.ndarray:
    """Grid from one step to `max_weight_g` (default: twice the parcel, at least 5 kg, at most the input limit),
    plus the parcel's own weight. The step is the smallest "nice" step giving at most ~400 points unless given."""
    top = max_weight_g or min(MAX_WEIGHT_G, max(5_000, 2 * parcel_weight_g))
    if not 0 < top <= MAX_WEIGHT_G:
        raise InputError("weight_max", f"must be between 1 g and {MAX_WEIGHT_G} g", rule="range", limit=MAX_WEIGHT_G)
    if step_g is None:
        step_g = default_step(top)
    if step_g <= 0:
        raise InputError("step", "must be a positive number of grams", rule="greater_than", limit=0)
    if top / step_g > MAX_POINTS:
        raise InputError(
            "step",
            f"{top} g in steps of {step_g} g is more than {MAX_POINTS} points",
            rule="max_points",
            limit=MAX_POINTS,
        )
    grid = np.arange(step_g, top + 1, step_g, dtype=np.int64)
    return np.unique(np.concatenate([grid, [parcel_weight_g]])) if parcel_weight_g <= top else grid


def _rules(table, row: int) -> tuple[int, int, int, int]:
    return (int(table.basis[row]), int(table.threshold_mm[row]), int(table.divisor[row]), int(table.round_step[row]))


def price_curves(
    ts: TariffSet,
    parcel: Parcel,
    weights_g: Optional[Sequence[int]] = None,
    *,
    readings: Sequence[str] = (),
    max_weight_g: Optional[int] = None,
    step_g: Optional[int] = None,
) -> Curves:
    """Every service in force on the parcel's date, priced at every grid weight in one engine run.

    Only the weight varies: dims, value, date, delivery, battery and liquid are the parcel's. Raises
    InputError "value" when the date needs a declared RUB price and the parcel has none.
    """
    grid = (
        np.asarray(sorted(set(int(w) for w in weights_g)), dtype=np.int64)
        if weights_g is not None
        else weight_grid(parcel.weight_g, max_weight_g, step_g)
    )
    compiled = ts.compiled(readings)
    points = [dataclasses.replace(parcel, weight_g=int(w)) for w in grid]
    arrays = to_arrays(points)
    from .groups import check_group_inputs

    try:
        check_group_inputs(compiled, arrays)
    except InputError as exc:  # every grid point is the one parcel: name its field, not a grid index
        raise InputError(exc.field.rsplit(".", 1)[-1], exc.message, rule=exc.rule, limit=exc.limit) from None
    n = len(grid)
    prices: dict[int, np.ndarray] = {}
    status: dict[int, np.ndarray] = {}
    row_of: dict[int, int] = {}
    for block in E.iter_blocks(compiled, arrays, max_block=None):
        pos = block.parcels
        for j, (svc_i, row_i) in enumerate(zip(block.services.tolist(), block.rows.tolist())):
            p = prices.setdefault(svc_i, np.full(n, -1, np.int64))
            s = status.setdefault(svc_i, np.full(n, 255, np.uint8))
            p[pos] = block.price_minor[:, j]
            s[pos] = block.status[:, j]
            if svc_i not in row_of or (block.status[:, j] == 0).any():
                row_of[svc_i] = row_i  # a row that priced something names the days and currency shown
    out = []
    for svc_i, p in prices.items():
        svc = compiled.services[svc_i]
        row = compiled.rows[row_of[svc_i]]
        days = row.rate.delivery_days or row.version.delivery_days
        out.append(
            ServiceCurve(
                service_id=svc.id,
                service=svc.name,
                carrier=svc.carrier,
                carrier_id=svc.carrier_id,
                currency=CURRENCIES[int(compiled.table.currency[row_of[svc_i]])],
                confidence=confidence_of(row.version.sources, row.version.confidence),
                delivery_days=(days.min, days.max) if days else None,
                days_basis=days.basis if days else None,
                price_minor=p,
                status=status[svc_i],
                rules=_rules(compiled.table, row_of[svc_i]),
            )
        )
    out.sort(key=lambda c: (not c.priced, c.service, c.service_id))
    return Curves(parcel=parcel, weights_g=grid, services=out)
