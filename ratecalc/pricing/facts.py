"""What a rate sheet says about the service that priced (or refused) a parcel: Ozon's rating, batteries,
liquids and the limits of the row that applied.

Why: a quote carries its price, days and reasons, not the row's other columns; the page shows them where
services tie on price (what still differs between them) and words a refusal in the reader's language from
the row's own limits. The row is found as the engine finds it: the epoch of the order date, the service,
the delivery type and the quote's shipment group.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

import numpy as np

from ..tariffdata.compile import CompiledTariffs, RowInfo, day_number
from ..tariffdata.schema import DELIVERY_TYPES
from .parcels import Parcel
from .result import ServiceQuote


@dataclass(frozen=True)
class Facts:
    """One service's row for one parcel, in the rate sheet's terms (None: the sheet does not say)."""

    rating: Optional[int]  # Ozon's rank within the group and tier, 1 = best (the sheet's column E)
    batteries: str  # allowed, forbidden, msds_required, unknown
    liquids: str
    min_weight_g: Optional[int]
    max_weight_g: Optional[int]
    max_sum_cm: Optional[Decimal]
    max_longest_cm: Optional[Decimal]
    max_dims_cm: Optional[tuple[Decimal, ...]]
    max_value: Optional[tuple[Decimal, str]]  # (amount, currency)
    loss_cap: Optional[tuple[Decimal, str]]
    method: Optional[str]  # the delivery method as the sheet names it
    sum_strict: bool = False

    def limits(self) -> tuple:
        """The size, weight and value limits, comparable between services."""
        return (
            self.min_weight_g,
            self.max_weight_g,
            self.max_sum_cm,
            self.max_longest_cm,
            self.max_dims_cm,
            self.max_value,
        )


def _service_index(compiled: CompiledTariffs) -> dict[str, int]:
    found = compiled.cache.get("service_index_by_id")
    if found is None:
        found = compiled.cache["service_index_by_id"] = {s.id: s.index for s in compiled.services}
    return found


def row_for(compiled: CompiledTariffs, quote: ServiceQuote, parcel: Parcel) -> Optional[RowInfo]:
    """The rate row the engine used for `quote` (None when the service is not in force on the date)."""
    sidx = _service_index(compiled).get(quote.service_id)
    if sidx is None:
        return None
    ep = compiled.epochs[int(compiled.epoch_of(np.array([day_number(parcel.order_date)]))[0])]
    local = np.flatnonzero(ep.services == sidx)
    if not len(local):
        return None
    names = [g.name for g in ep.groups]
    group = quote.group.name if quote.group is not None else None
    col = names.index(group) if group in names else len(names)
    delivery = DELIVERY_TYPES.index(parcel.delivery) if parcel.delivery in DELIVERY_TYPES else 0
    return compiled.rows[int(ep.rows[int(local[0]), delivery, col])]


def facts_of(row: Optional[RowInfo]) -> Optional[Facts]:
    if row is None:
        return None
    lim = row.limits
    mv = lim.max_declared_value
    cap = row.rate.loss_compensation_cap
    return Facts(
        rating=row.rate.rating,
        batteries=lim.batteries,  # the row's own policy is merged in (compile)
        liquids=lim.liquids,
        min_weight_g=lim.min_weight_g,
        max_weight_g=lim.max_weight_g,
        max_sum_cm=lim.max_sum_cm,
        max_longest_cm=lim.max_longest_cm,
        max_dims_cm=tuple(sorted(lim.max_dims_cm, reverse=True)) if lim.max_dims_cm else None,
        max_value=(mv.amount, mv.currency) if mv is not None else None,
        loss_cap=(cap.amount, cap.currency) if cap is not None else None,
        method=row.rate.method,
        sum_strict=lim.sum_strict,
    )


def facts_for(compiled: CompiledTariffs, quote: ServiceQuote, parcel: Parcel) -> Optional[Facts]:
    return facts_of(row_for(compiled, quote, parcel))


__all__ = ["Facts", "facts_for", "facts_of", "row_for"]
