"""The cheapest (or fastest) service per weight band of a price-against-weight curve set.

Why here and not beside the curves: comparing services that price in different currencies needs exchange
rates (`fx`), and without them the bands say why they are missing instead of guessing. The web page,
`GET /v1/curves`, `ratecalc chart` and `ratecalc sweep` all rank with this one function.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

import numpy as np

from ..pricing.curves import By, Curves
from ..units import CURRENCY_EXPONENT, Money
from .fx import FxChain, quantize_minor


@dataclass(frozen=True)
class Band:
    """A run of grid weights (inclusive) where the same service wins; `service_id` None = nobody priced."""

    from_g: int
    to_g: int
    service_id: Optional[str]
    service: Optional[str]
    price_from: Optional[Money]  # the winner's price at from_g and to_g (compared currency)
    price_to: Optional[Money]
    delivery_days: Optional[tuple[int, int]]
    days_basis: Optional[str] = None


@dataclass(frozen=True)
class Bands:
    by: By
    compared_in: Optional[str]  # the currency prices were compared in; None when they could not be
    bands: list[Band]
    note: Optional[str]  # why the comparison is in a carrier currency or impossible


def _rub_matrix(curves: Curves, fx: Optional[FxChain]) -> tuple[Optional[np.ndarray], Optional[str], Optional[str]]:
    """(S, W) prices in one comparable currency as Decimal-free integers (minor units), its code, a note."""
    priced = [c for c in curves.services if c.priced]
    currencies = sorted({c.currency for c in priced})
    if fx is not None and currencies and currencies != ["RUB"]:
        day = curves.parcel.order_date
        missing = [cur for cur in currencies if fx.rate(cur, day) is None]
        if not missing:
            m = np.full((len(curves.services), len(curves.weights_g)), -1, np.int64)
            for i, c in enumerate(curves.services):
                if not c.priced:
                    continue
                quote = fx.rate(c.currency, day)
                assert quote is not None
                exp = CURRENCY_EXPONENT.get(c.currency, 2)
                for k, v in enumerate(c.price_minor.tolist()):
                    if v >= 0:  # price × rate, half-up to the kopeck (fx.quantize_minor)
                        rub = quantize_minor(Decimal(v).scaleb(-exp) * quote.rate, "RUB")
                        m[i, k] = int(rub.scaleb(2))
            return m, "RUB", None
        reasons = "; ".join(fx.lookup(cur, day).missing_reason or "" for cur in missing)
        note = f"compared in carrier currency: {reasons}"
    else:
        note = None
    if len(currencies) > 1:
        return None, None, f"services price in {', '.join(currencies)}; give exchange rates to compare them in RUB"
    m = np.stack([c.price_minor for c in curves.services]) if curves.services else np.zeros((0, 0), np.int64)
    return m, (currencies[0] if currencies else None), note


def cheapest_bands(curves: Curves, by: By = "price", fx: Optional[FxChain] = None) -> Bands:
    """Per grid weight, the cheapest (or fastest: lowest published maximum days, then cheapest) priced
    service; consecutive weights with the same winner merge into one band."""
    matrix, currency, note = _rub_matrix(curves, fx)
    if matrix is None or currency is None:
        return Bands(by=by, compared_in=None, bands=[], note=note or "no service has a price for this parcel")
    priced = matrix >= 0
    big = np.iinfo(np.int64).max
    cost = np.where(priced, matrix, big)
    if by == "days":
        days = np.array([c.delivery_days[1] if c.delivery_days else 10_000 for c in curves.services], np.int64)
        # lexicographic (days, price): days dominate, price breaks ties
        key = np.where(priced, days[:, None] * (1 << 40) + np.minimum(cost, (1 << 40) - 1), big)
    else:
        key = cost
    winner = np.where(priced.any(axis=0), key.argmin(axis=0), -1) if len(curves.services) else np.full(0, -1)
    bands: list[Band] = []
    w = curves.weights_g.tolist()
    start = 0
    for k in range(1, len(w) + 1):
        if k < len(w) and winner[k] == winner[start]:
            continue
        i = int(winner[start])
        c = curves.services[i] if i >= 0 else None
        bands.append(
            Band(
                from_g=w[start],
                to_g=w[k - 1],
                service_id=c.service_id if c else None,
                service=c.service if c else None,
                price_from=Money.from_minor(int(matrix[i, start]), currency) if c else None,
                price_to=Money.from_minor(int(matrix[i, k - 1]), currency) if c else None,
                delivery_days=c.delivery_days if c else None,
                days_basis=c.days_basis if c else None,
            )
        )
        start = k
    return Bands(by=by, compared_in=currency, bands=bands, note=note)


def band_ties(curves: Curves, bands: Bands) -> list[list[tuple[str, str]]]:
    """Per band, every service tied with its winner all along the band ((id, name), winner first, the rest
    by name): the same price at each grid weight of the band, and the same days and rules
    (`ratecalc.pricing.ties.tie_keys`). A band nobody prices has none."""
    from ..pricing.ties import tie_keys
    from ..tariffdata.compile import CURRENCIES

    index = {c.service_id: i for i, c in enumerate(curves.services)}
    w = curves.weights_g.tolist()
    out: list[list[tuple[str, str]]] = []
    for b in bands.bands:
        i = index.get(b.service_id or "")
        if i is None:
            out.append([])
            continue
        k0, k1 = w.index(b.from_g), w.index(b.to_g)
        win = curves.services[i]
        found = [(win.service_id, win.service)]
        for c in sorted(curves.services, key=lambda c: (c.service, c.service_id)):
            if c is win or not np.array_equal(c.price_minor[k0 : k1 + 1], win.price_minor[k0 : k1 + 1]):
                continue
            keys = tie_keys(
                *(
                    np.array([v, u])
                    for v, u in zip(
                        (CURRENCIES.index(c.currency), int(c.price_minor[k0]), *(c.delivery_days or (-1, -1)), *c.rules),
                        (CURRENCIES.index(win.currency), int(win.price_minor[k0]), *(win.delivery_days or (-1, -1)), *win.rules),
                    )
                )
            )  # fmt: skip
            if (keys[0] == keys[1]).all():
                found.append((c.service_id, c.service))
        out.append(found)
    return out
