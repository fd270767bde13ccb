"""Inputs the shipment-group model needs, checked before the engine runs.

Why a separate check: from the group model's start (2024-12-05) a parcel's group - and so every price - is
chosen by its declared price in RUB. Without that price the engine could only say "no group" for every
service, which reads like an answer but is really missing input. So a missing (or non-RUB) declared price
on those dates is an `InputError` naming the field `value`, before any quoting. Batch callers run the same
mask per row (`require_group_inputs`) and report the rows it flags.

A multi-item shipment is grouped by the SUM of its item prices and the SUM of its item weights
(menglar 20617): `combine_items` adds them up for callers that hold items rather than a parcel total.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Iterable, Optional

import numpy as np

from ..errors import InputError
from ..tariffdata.compile import CURRENCIES, CompiledTariffs, day_number
from ..units import Money, check_weight_g
from .engine import ParcelArrays

MISSING = 1  # no declared price
WRONG_CURRENCY = 2  # declared, but not in the groups' price currency (no exchange rate is applied here)


def group_epochs(compiled: CompiledTariffs) -> np.ndarray:
    """(E,) bool: which epochs have shipment groups (the group model is in force)."""
    return np.array([len(ep.groups) > 0 for ep in compiled.epochs], dtype=bool)


def group_model_mask(compiled: CompiledTariffs, parcels: ParcelArrays) -> np.ndarray:
    """(P,) bool: parcels whose order date falls where shipment groups are in force."""
    if len(parcels) == 0:
        return np.zeros(0, dtype=bool)
    return group_epochs(compiled)[compiled.epoch_of(parcels.day)]


def group_input_problems(compiled: CompiledTariffs, parcels: ParcelArrays) -> np.ndarray:
    """(P,) int8: 0 = fine, MISSING = no declared price, WRONG_CURRENCY = price not in the groups' currency."""
    out = np.zeros(len(parcels), dtype=np.int8)
    if len(parcels) == 0:
        return out
    epoch_of = compiled.epoch_of(parcels.day)
    needs = group_epochs(compiled)[epoch_of]
    wanted = np.array([ep.group_currency for ep in compiled.epochs], dtype=np.int64)[epoch_of]
    missing = needs & (parcels.value_ccy < 0)
    wrong = needs & (parcels.value_ccy >= 0) & (parcels.value_ccy != wanted)
    out[missing] = MISSING
    out[wrong] = WRONG_CURRENCY
    return out


def lacks_group_input(compiled: CompiledTariffs, epoch: int, value_ccy: int) -> bool:
    """One parcel's `group_input_problems` != 0: groups are in force in `epoch` and the declared price is
    missing (-1) or not in the groups' currency (the single-quote path, which has no arrays)."""
    ep = compiled.epochs[epoch]
    return bool(ep.groups) and value_ccy != ep.group_currency


def require_group_inputs(compiled: CompiledTariffs, parcels: ParcelArrays) -> np.ndarray:
    """(P,) bool: True where a parcel cannot be quoted because the group model lacks its declared price.

    Use `group_input_error(compiled, parcels, i)` for the message of row `i`.
    """
    return group_input_problems(compiled, parcels) != 0


def _model_start(compiled: CompiledTariffs, epoch: int) -> Optional[dt.date]:
    ep = compiled.epochs[epoch]
    starts = [g.version.effective_from for g in ep.groups if g.version.effective_from is not None]
    return min(starts) if starts else ep.start


def group_input_error(compiled: CompiledTariffs, parcels: ParcelArrays, i: int) -> InputError:
    """The InputError (field `value`) for parcel `i`, which `require_group_inputs` flagged."""
    epoch = int(compiled.epoch_of(parcels.day[i : i + 1])[0])
    ep = compiled.epochs[epoch]
    currency = ep.groups[0].price_currency if ep.groups else "RUB"
    start = _model_start(compiled, epoch)
    since = f" from {start.isoformat()}" if start is not None else ""
    if int(parcels.value_ccy[i]) < 0:
        return InputError(
            "value",
            f"the declared price in {currency} is required{since} (shipment-group model): Ozon puts each "
            f"shipment in a group by its price (the product card price, summed over the items) and its weight; "
            f"declare it, e.g. 1000{currency}",
            rule="required",
        )
    got = CURRENCIES[int(parcels.value_ccy[i])]
    return InputError(
        "value",
        f"the declared price must be in {currency}{since} (shipment-group model: the group bands are in "
        f"{currency}); got {got}, and no exchange rate is applied to a declared price",
        rule="currency",
        limit=currency,
    )


def check_group_inputs(compiled: CompiledTariffs, parcels: ParcelArrays) -> None:
    """Raise the InputError of the first parcel that lacks what the group model needs (quote paths)."""
    bad = np.flatnonzero(require_group_inputs(compiled, parcels))
    if bad.size == 0:
        return
    i = int(bad[0])
    error = group_input_error(compiled, parcels, i)
    if len(parcels) > 1:
        error = InputError(f"parcels[{i}].value", error.message, rule=error.rule, limit=error.limit)
    raise error


def combine_items(items: Iterable[tuple[int, Money]]) -> tuple[int, Money]:
    """(total grams, total price) of a multi-item shipment: Ozon groups by the sums of both.

    Every price must be in one currency (no exchange rate is applied); raises InputError naming `items`.
    """
    total_g = 0
    total: Optional[Decimal] = None
    currency: Optional[str] = None
    count = 0
    for count, (grams, price) in enumerate(items, start=1):
        check_weight_g(int(grams), f"items[{count - 1}].weight")
        if price.amount < 0:
            raise InputError(f"items[{count - 1}].price", "a price cannot be negative")
        if currency is None:
            currency = price.currency
        elif price.currency != currency:
            raise InputError(
                f"items[{count - 1}].price",
                f"every item price must be in one currency: {price.currency} after {currency} "
                "(no exchange rate is applied)",
            )
        total_g += int(grams)
        total = price.amount if total is None else total + price.amount
    if count == 0 or total is None or currency is None:
        raise InputError("items", "give at least one item (weight and price)")
    return check_weight_g(total_g, "items"), Money(total, currency)


def parse_item(text: str, index: int = 0) -> tuple[int, Money]:
    """`300g:900RUB` -> (300, 900 RUB): one item of a multi-item shipment as a person types it."""
    from ..units import parse_money, parse_weight

    where = f"items[{index}]"
    weight, sep, price = str(text).partition(":")
    if not sep or not weight.strip() or not price.strip():
        raise InputError(where, f"{text!r} is not WEIGHT:PRICE; write it like 300g:900RUB")
    return parse_weight(weight, f"{where}.weight"), parse_money(price, f"{where}.price")


def in_group_model(compiled: CompiledTariffs, day: dt.date) -> bool:
    """Whether shipment groups are in force on `day` (so a declared RUB price is required)."""
    epoch = int(compiled.epoch_of(np.array([day_number(day)], dtype=np.int64))[0])
    return bool(group_epochs(compiled)[epoch])


__all__ = [
    "MISSING",
    "WRONG_CURRENCY",
    "check_group_inputs",
    "combine_items",
    "group_input_error",
    "group_input_problems",
    "group_model_mask",
    "in_group_model",
    "parse_item",
    "require_group_inputs",
]
