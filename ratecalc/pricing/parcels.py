"""Parcels as callers describe them, and their conversion to the engine's integer columns."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence, Union

import numpy as np

from ..errors import InputError
from ..tariffdata.compile import CURRENCY_INDEX, day_number
from ..tariffdata.schema import DELIVERY_TYPES
from ..units import (
    Money,
    check_amount,
    check_currency,
    check_dims_mm,
    check_weight_g,
    parse_dims,
    parse_money,
    parse_weight,
)
from .engine import ParcelArrays, ParcelScalars

DELIVERY_ALIASES = {"pickup_point": 0, "pickup": 0, "pudo": 0, "courier": 1, "door": 1}


def parse_delivery(value: str, field_name: str = "delivery") -> str:
    key = str(value).strip().lower()
    if key not in DELIVERY_ALIASES:
        raise InputError(field_name, f"unknown delivery type {value!r}; use pickup_point or courier")
    return DELIVERY_TYPES[DELIVERY_ALIASES[key]]


DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # ASCII digits, as every number (ratecalc.units)
_DATE_RE = re.compile(DATE_PATTERN)


def parse_date(value: Union[str, dt.date], field_name: str = "date") -> dt.date:
    """The one date parser of every surface: exactly YYYY-MM-DD and a day that exists.

    `2023-2-3`, `20230203` and `2023-02-30` are refused (never rolled over to March): a mistyped date must
    not quietly select another tariff period. Files use the same rule, vectorised (`columnar`).
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if len(text) > 32 or not _DATE_RE.match(text):
        raise InputError(field_name, f"{text[:32]!r} is not a date; write it as YYYY-MM-DD", rule="date_format")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(field_name, f"{text!r} is not a day of the calendar", rule="date_exists") from None


@dataclass(frozen=True)
class Parcel:
    """One parcel to quote, in exact integer units. Build it with `Parcel.parse` from text."""

    weight_g: int
    dims_mm: tuple[int, int, int]
    order_date: dt.date = field(default_factory=dt.date.today)
    declared_value: Optional[Money] = None
    delivery: str = "pickup_point"
    battery: bool = False
    liquid: bool = False

    def __post_init__(self) -> None:
        check_weight_g(self.weight_g, "weight")
        check_dims_mm(self.dims_mm, "dims")
        if self.delivery not in DELIVERY_TYPES:
            raise InputError("delivery", f"unknown delivery type {self.delivery!r}")
        if self.declared_value is not None:
            check_currency(self.declared_value.currency, "value")
            check_amount(self.declared_value.amount, "value")

    @classmethod
    def parse(
        cls,
        weight: Union[str, int],
        dims: Union[str, Sequence[int]],
        *,
        date: Union[str, dt.date, None] = None,
        value: Union[str, Money, None] = None,
        delivery: str = "pickup_point",
        battery: bool = False,
        liquid: bool = False,
    ) -> Parcel:
        """From what a person types: `Parcel.parse("1.2kg", "30x20x10cm", value="1500RUB")`. Text carries its
        unit (a bare "300" is refused, see ratecalc.units); an int weight is grams, int sides millimetres."""
        weight_g = check_weight_g(weight) if isinstance(weight, int) else parse_weight(weight)
        dims_mm = tuple(dims) if not isinstance(dims, str) else parse_dims(dims)
        if len(dims_mm) != 3:
            raise InputError("dims", "give exactly three sides")
        money = value if isinstance(value, Money) or value is None else parse_money(value)
        return cls(
            weight_g=weight_g,
            dims_mm=dims_mm,
            order_date=parse_date(date) if date is not None else dt.date.today(),
            declared_value=money,
            delivery=parse_delivery(delivery),
            battery=battery,
            liquid=liquid,
        )

    def to_dict(self) -> dict:
        """The normalised parcel, as echoed back to callers."""
        return {
            "weight_g": self.weight_g,
            "dims_mm": list(self.dims_mm),
            "order_date": self.order_date.isoformat(),
            "declared_value": None
            if self.declared_value is None
            else {
                "amount": str(self.declared_value.amount),
                "currency": self.declared_value.currency,
            },
            "delivery": self.delivery,
            "battery": self.battery,
            "liquid": self.liquid,
        }


def to_arrays(parcels: Iterable[Parcel]) -> ParcelArrays:
    """Columns for the engine; sides are sorted longest first (limits compare sorted)."""
    items = list(parcels)
    n = len(items)
    dims = np.array([p.dims_mm for p in items], dtype=np.int64).reshape(n, 3)
    return ParcelArrays(
        weight_g=np.array([p.weight_g for p in items], dtype=np.int64),
        dims_mm=-np.sort(-dims, axis=1),
        value_minor=np.array(
            [-1 if p.declared_value is None else p.declared_value.to_minor() for p in items],
            dtype=np.int64,
        ),
        value_ccy=np.array(
            [-1 if p.declared_value is None else CURRENCY_INDEX[p.declared_value.currency] for p in items],
            dtype=np.int64,
        ),
        day=np.array([day_number(p.order_date) for p in items], dtype=np.int64),
        delivery=np.array([DELIVERY_TYPES.index(p.delivery) for p in items], dtype=np.int64),
        battery=np.array([p.battery for p in items], dtype=bool),
        liquid=np.array([p.liquid for p in items], dtype=bool),
    )


def to_scalars(p: Parcel) -> ParcelScalars:
    """One parcel in the engine's integer units (the row `to_arrays` would build), for `engine.quote_one`."""
    d0, d1, d2 = sorted(p.dims_mm, reverse=True)
    value = p.declared_value
    return ParcelScalars(
        p.weight_g,
        d0,
        d1,
        d2,
        -1 if value is None else value.to_minor(),
        -1 if value is None else CURRENCY_INDEX[value.currency],
        day_number(p.order_date),
        DELIVERY_ALIASES[p.delivery],
        bool(p.battery),
        bool(p.liquid),
    )
