"""Ties: services that charge the same price, in the same days, under the same rules.

Why: since the July 2026 set most carriers of a tier charge Ozon's one price, so a list sorted by price
holds 8 or 9 equal rows and "the cheapest" is just the first name in alphabetical order. A seller choosing
between them must see that they tie, and what still differs (Ozon's rating, batteries, liquids, limits).

THE rule, in one place (`tie_keys`): two priced services tie when they have the same currency and price,
the same published days (minimum and maximum) and the same billing rule (weight basis, volumetric
threshold and divisor, rounding step). The page, `ratecalc quote` and `ratecalc economics`,
`POST /v1/quotes?expand=ties`, the cheapest-by-band strip, `batch --best` and catalogue economics all
compare with it: the quotes of one parcel through `group_ties`, columns of a catalogue through
`tie_codes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Optional, Sequence

import numpy as np

from ..tariffdata.compile import BASIS, CURRENCIES, RowTable
from ..units import CURRENCY_EXPONENT
from .result import ServiceQuote


def tie_keys(
    currency: np.ndarray,
    price_minor: np.ndarray,
    days_min: np.ndarray,
    days_max: np.ndarray,
    basis: np.ndarray,
    threshold_mm: np.ndarray,
    divisor: np.ndarray,
    round_step: np.ndarray,
) -> np.ndarray:
    """(N, 8) int64: one row per priced entry; equal rows tie. Unpublished days are -1 (equal to each other)."""
    cols = (currency, price_minor, days_min, days_max, basis, threshold_mm, divisor, round_step)
    return np.stack([np.asarray(c, np.int64) for c in cols], axis=1) if len(price_minor) else np.zeros((0, 8), np.int64)


def row_keys(table: RowTable, table_row: np.ndarray, price_minor: np.ndarray) -> np.ndarray:
    """`tie_keys` of catalogue entries: the rate rows that priced them and their prices."""
    return tie_keys(
        table.currency[table_row],
        price_minor,
        table.days_min[table_row],
        table.days_max[table_row],
        table.basis[table_row],
        table.threshold_mm[table_row],
        table.divisor[table_row],
        table.round_step[table_row],
    )


def row_rule_codes(table: RowTable) -> np.ndarray:
    """Per rate row, a code equal for rows that tie at an equal price (`tie_keys` with the price left out):
    a catalogue compares two entries at one price by two lookups instead of eight columns."""
    zero = np.zeros(len(table.currency), np.int64)
    keys = tie_keys(table.currency, zero, table.days_min, table.days_max, table.basis, table.threshold_mm,
                    table.divisor, table.round_step)  # fmt: skip
    return tie_codes(keys)


def quote_keys(quotes: Sequence[ServiceQuote]) -> np.ndarray:
    """`tie_keys` of priced quotes (status ok)."""

    def minor(q: ServiceQuote) -> int:
        assert q.price is not None
        return int(Decimal(q.price.amount).scaleb(CURRENCY_EXPONENT.get(q.price.currency, 2)))

    def mm(text: Optional[str]) -> int:
        return -1 if text is None else int(Decimal(text) * 10)

    return tie_keys(
        np.array([CURRENCIES.index(q.price.currency) if q.price else -1 for q in quotes]),
        np.array([minor(q) for q in quotes]),
        np.array([q.delivery_days.min if q.delivery_days else -1 for q in quotes]),
        np.array([q.delivery_days.max if q.delivery_days else -1 for q in quotes]),
        np.array([BASIS[q.billing.rule] for q in quotes]),
        np.array([mm(q.billing.threshold_sum_cm) for q in quotes]),
        np.array([q.billing.divisor or 0 for q in quotes]),
        np.array([q.billing.rounding_step_g for q in quotes]),
    )


def tie_codes(keys: np.ndarray) -> np.ndarray:
    """Per entry, the index of its tie (entries with equal keys share one)."""
    if not len(keys):
        return np.zeros(0, np.int64)
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64)


@dataclass(frozen=True)
class Tie:
    """Priced services that tie (one or more), in the order they were given (the first leads)."""

    quotes: tuple[ServiceQuote, ...]

    @property
    def first(self) -> ServiceQuote:
        return self.quotes[0]

    @property
    def tied(self) -> bool:
        return len(self.quotes) > 1

    @property
    def service_ids(self) -> list[str]:
        return [q.service_id for q in self.quotes]

    @property
    def tier(self) -> Optional[str]:
        """The tier they share (Express, Standard, Economy), or None."""
        tiers = {q.tier for q in self.quotes}
        return tiers.pop() if len(tiers) == 1 else None

    def names(self) -> list[str]:
        """Short names: the service names without the tier they share ("ABT Economy" -> "ABT")."""
        tier = self.tier
        suffix = f" {tier}" if tier else ""
        if suffix and all(q.service.endswith(suffix) for q in self.quotes):
            return [q.service[: -len(suffix)] for q in self.quotes]
        return [q.service for q in self.quotes]

    def label(self) -> str:
        """`Economy: ABT, ATC, CEL` for a tie, the service's own name alone."""
        if not self.tied:
            return self.first.service
        head = self.tier or self.first.service
        return f"{head}: {', '.join(self.names())}"


def group_ties(quotes: Sequence[ServiceQuote]) -> list[Tie]:
    """The priced quotes grouped into ties, each where its first member stands; members by service name.
    Quotes that are not priced are left out (they tie with nothing)."""
    priced = [q for q in quotes if q.status == "ok" and q.price is not None]
    codes = tie_codes(quote_keys(priced)).tolist()
    groups: dict[int, list[ServiceQuote]] = {}
    for code, q in zip(codes, priced):
        groups.setdefault(code, []).append(q)
    return [Tie(tuple(sorted(g, key=lambda q: (q.service, q.service_id)))) for g in groups.values()]


def tied_with(quotes: Sequence[ServiceQuote]) -> dict[str, list[str]]:
    """service_id -> the other services it ties with (only services in a tie of two or more)."""
    out: dict[str, list[str]] = {}
    for tie in group_ties(quotes):
        if tie.tied:
            for sid in tie.service_ids:
                out[sid] = [x for x in tie.service_ids if x != sid]
    return out


def tied_columns(
    rules: np.ndarray,
    rows: np.ndarray,
    service: np.ndarray,
    table_row: np.ndarray,
    price_minor: np.ndarray,
    chosen: np.ndarray,
    names: Sequence[str],
    sep: str = ", ",
) -> list[str]:
    """For a catalogue: per chosen entry (an index into the entry arrays, one per row), the names of the other
    entries of its row that tie with it, ordered and joined; "" when none. `names[service]` names a service;
    `rules` is `row_rule_codes` of the rate rows: entries at one price tie when their rows' codes are equal.

    Only entries at the chosen price are compared, so a catalogue of 10^5 rows x 30 services never builds the
    keys of every entry; and the text of each distinct set of tied services is made once (a catalogue has
    few: the tiers of a few groups)."""
    if not len(chosen):
        return []
    order = np.argsort(rows[chosen], kind="stable")
    crow = rows[chosen][order]
    pos = np.minimum(np.searchsorted(crow, rows), len(crow) - 1)
    lead = chosen[order][pos]
    cand = np.flatnonzero((crow[pos] == rows) & (price_minor == price_minor[lead]) & (np.arange(len(rows)) != lead))
    if not len(cand):
        return [""] * len(chosen)
    cand = cand[rules[table_row[cand]] == rules[table_row[lead[cand]]]]
    slot = order[pos[cand]]  # which chosen entry each tied entry belongs to
    members = np.zeros((len(chosen), len(names)), bool)
    members[slot, service[cand]] = True
    packed = np.ascontiguousarray(np.packbits(members, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
    uniq, inverse = np.unique(keys, return_inverse=True)
    texts = []
    for u in uniq:
        ids = np.flatnonzero(np.unpackbits(np.frombuffer(u.tobytes(), np.uint8))[: len(names)])
        texts.append(sep.join(sorted(names[int(i)] for i in ids)))
    return [texts[int(k)] for k in inverse.reshape(-1)]


__all__ = [
    "Tie",
    "group_ties",
    "quote_keys",
    "row_keys",
    "row_rule_codes",
    "tie_codes",
    "tie_keys",
    "tied_columns",
    "tied_with",
]
