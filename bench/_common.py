"""Shared set-up for the benchmarks: random catalogues and the date with the most services in force."""

from __future__ import annotations

import datetime as dt

import numpy as np

from ratecalc import Parcel, TariffSet
from ratecalc.pricing.engine import ParcelArrays
from ratecalc.tariffdata.compile import CURRENCY_INDEX, EPOCH_DAY0, CompiledTariffs
from ratecalc.units import Money


def busiest_day(compiled: CompiledTariffs) -> dt.date:
    """The first day of the epoch with the most services in force (the heaviest catalogue run)."""
    best = max(range(len(compiled.epochs)), key=lambda e: (len(compiled.epochs[e].services), e))
    start = compiled.epochs[best].start
    return start if start is not None else EPOCH_DAY0


def random_parcels(n: int, day: dt.date, seed: int = 1) -> ParcelArrays:
    """Plausible cross-border parcels: 50 g-30 kg, sides 1-150 cm, some declared in RUB, some batteries."""
    rng = np.random.default_rng(seed)
    dims = -np.sort(-rng.integers(10, 1500, (n, 3)), axis=1)
    declared = rng.random(n) < 0.5
    return ParcelArrays(
        weight_g=rng.integers(50, 30_000, n),
        dims_mm=dims,
        value_minor=np.where(declared, rng.integers(100, 500_000, n), -1),
        value_ccy=np.where(declared, CURRENCY_INDEX["RUB"], -1),
        day=np.full(n, (day - EPOCH_DAY0).days, dtype=np.int64),
        delivery=(rng.random(n) < 0.3).astype(np.int64),
        battery=rng.random(n) < 0.1,
        liquid=rng.random(n) < 0.05,
    )


def parcel_list(n: int, day: dt.date, seed: int = 3) -> list[Parcel]:
    """Plausible parcels as `Parcel` objects (the library's one-at-a-time input), declared in RUB."""
    rng = np.random.default_rng(seed)
    return [
        Parcel(
            weight_g=int(rng.integers(50, 30_000)),
            dims_mm=tuple(int(x) for x in rng.integers(10, 1500, 3)),  # type: ignore[arg-type]
            order_date=day,
            declared_value=Money.from_minor(int(rng.integers(100, 500_000)), "RUB"),
            delivery="courier" if rng.random() < 0.3 else "pickup_point",
            battery=bool(rng.random() < 0.1),
        )
        for _ in range(n)
    ]


def load() -> TariffSet:
    return TariffSet.load()
