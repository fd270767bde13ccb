"""The parcel flags shared by `quote`, `chart` and `sweep`, as one Parcel (units required, as everywhere)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Union

if TYPE_CHECKING:  # the engine and the unit parsers are imported by the commands that run them, not by --help
    from ..pricing.parcels import Parcel
    from ..units import Money


def parcel_from_flags(
    weight: Union[str, int],
    dims: str,
    *,
    date: Optional[str],
    value: Union[str, Money, None],
    courier: bool,
    battery: bool,
    liquid: bool,
) -> Parcel:
    """Parcel.parse: a bare `--weight 1` or `--dims 30x20x10` is refused there (InputError naming the units);
    an int `weight` is grams already (summed --item weights)."""
    from ..pricing.parcels import Parcel

    return Parcel.parse(
        weight,
        dims,
        date=date,
        value=value,
        delivery="courier" if courier else "pickup_point",
        battery=battery,
        liquid=liquid,
    )
