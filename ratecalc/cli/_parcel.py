"""The parcel flags shared by `quote`, `chart` and `sweep`: weight and dims must carry their units here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Union

from ..units import Money, parse_dims, parse_weight

if TYPE_CHECKING:  # the engine is imported by the commands that run it, not by --help
    from ..parcels import Parcel


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
    """Parcel.parse, refusing a bare `--weight 1` or `--dims 30x20x10` (InputError naming the units)."""
    from ..parcels import Parcel

    if isinstance(weight, str):  # an int is grams already (summed --item weights)
        parse_weight(weight, "weight", unit_required=True)
    parse_dims(dims, "dims")
    return Parcel.parse(
        weight,
        dims,
        date=date,
        value=value,
        delivery="courier" if courier else "pickup_point",
        battery=battery,
        liquid=liquid,
    )
