"""The options `sweep` and `chart` share: a parcel's size and value, and the weight grid to sweep."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from ._common import load
from ._parcel import parcel_from_flags

if TYPE_CHECKING:
    from ..pricing.curves import Curves

WeightOpt = typer.Option(None, "--weight", "-w", help="Your parcel's weight, marked on the curve (e.g. 400g).")
DimsOpt = typer.Option(..., "--dims", "-d", help="L x W x H with a unit, e.g. 30x20x15cm.")
DateOpt = typer.Option(None, "--date", help="Order date YYYY-MM-DD (default: today).")
ValueOpt = typer.Option(None, "--value", help="Declared value, e.g. 1000RUB (needed from 2024-12-05).")
CourierOpt = typer.Option(False, "--courier", help="Courier (door) delivery instead of pickup point.")
BatteryOpt = typer.Option(False, "--battery", help="The parcel contains batteries.")
LiquidOpt = typer.Option(False, "--liquid", help="The parcel contains liquids.")
MaxOpt = typer.Option(None, "--max-weight", help="Right end of the sweep, e.g. 10kg (default: 5kg or twice --weight).")
StepOpt = typer.Option(None, "--step", help="Sweep step, e.g. 50g (default: at most ~400 points).")
ReadingOpt = typer.Option(None, "--reading", help="A named alternative reading where sources conflict (repeatable).")


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
