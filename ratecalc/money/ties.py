"""Economics lines grouped by the tie rule: services costed at the same sale price that tie there
(ratecalc.pricing.ties) have the same costs and profit, so a table shows them as one row.

The page's money part and `ratecalc economics` both group with `line_groups`.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Optional, Sequence

from ..pricing.parcels import Parcel
from ..pricing.tariffset import TariffSet
from ..pricing.ties import Tie, group_ties
from ..units import Money


def line_groups(
    ts: TariffSet, parcel: Parcel, items: Sequence[tuple[str, Decimal]], readings: Sequence[str] = ()
) -> list[tuple[list[int], Optional[Tie]]]:
    """`items` (service id, sale price in RUB) -> groups of their indexes, in order of first appearance:
    the same price and one tie among the quotes at that price (the sale price is the declared price). Each
    group comes with its Tie (None for a service that ties with nothing)."""
    ties: dict[Decimal, dict[str, tuple[int, Tie]]] = {}
    groups: dict[tuple, list[int]] = {}
    tie_of: dict[tuple, Optional[Tie]] = {}
    for i, (sid, price) in enumerate(items):
        if price not in ties:
            at = dataclasses.replace(parcel, declared_value=Money(price, "RUB"))
            ties[price] = {
                s: (k, tie)
                for k, tie in enumerate(group_ties(ts.quote(at, readings=readings)))
                for s in tie.service_ids
            }
        index, tie = ties[price].get(sid, (None, None))
        key = (price, index if index is not None else sid)
        groups.setdefault(key, []).append(i)
        tie_of[key] = tie if tie is not None and tie.tied else None
    return [(idx, tie_of[key]) for key, idx in groups.items()]


def group_label(tie: Optional[Tie], ids: Sequence[str], names: Sequence[str]) -> tuple[str, list[str]]:
    """(label, short names) of a group of lines: the tier and the carriers of a tie, else the service."""
    if tie is None or len(ids) < 2:
        return names[0], list(names)
    short = [n for n, q in zip(tie.names(), tie.quotes) if q.service_id in ids]
    return tie.tier or names[0], short or list(names)


__all__ = ["group_label", "line_groups"]
