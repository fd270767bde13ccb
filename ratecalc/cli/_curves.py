"""What `sweep` and `chart` share: one engine run over a weight grid for a parcel given by flags (the flags: `options`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

from ._common import load
from ._parcel import parcel_from_flags

if TYPE_CHECKING:
    from ..pricing.curves import Curves


def run_curves(
    weight: Optional[str],
    dims: str,
    date: Optional[str],
    value: Optional[str],
    courier: bool,
    battery: bool,
    liquid: bool,
    max_weight: Optional[str],
    step: Optional[str],
    reading: Optional[List[str]],
    tariffs: Optional[List[Path]],
) -> Curves:
    """One engine run over the grid. Without --weight the parcel is placed at the first grid point."""
    from ..pricing.curves import default_step, price_curves  # the engine is imported by the commands that run it
    from ..units import parse_weight

    top = parse_weight(max_weight, "max_weight") if max_weight else None
    step_g = parse_weight(step, "step") if step else None
    parcel = parcel_from_flags(
        weight or f"{step_g or default_step(top or 5_000)}g",  # a grid point: marks nothing new
        dims,
        date=date,
        value=value,
        courier=courier,
        battery=battery,
        liquid=liquid,
    )
    return price_curves(load(tariffs), parcel, readings=reading or (), max_weight_g=top, step_g=step_g)
