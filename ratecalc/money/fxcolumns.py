"""Carrier prices as RUB kopecks, column-wise, so `batch --best` ranks services in one currency.

Why a module: a catalogue spanning dates mixes USD-era and CNY-era prices; ranking them needs each
price × the rate of its own currency and order date. The arithmetic is exact integers: kopecks =
price_minor × rate / 10^exponent × 100, rounded half-up once (the same rounding as ratecalc.money.fx.to_rub).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Callable

import numpy as np

from ..errors import InputError
from ..tariffdata.compile import CURRENCIES, EPOCH_DAY0
from ..units import CURRENCY_EXPONENT
from .fx import FxChain

RATE_SCALE = 10**8  # rates are held as integers of 10^-8 RUB (CBR publishes 4 decimals; files may give more)


def _rate_units(rate: Decimal, currency: str) -> int:
    scaled = rate * RATE_SCALE
    if scaled != scaled.to_integral_value():
        raise InputError("fx", f"{currency} rate {rate} has more than 8 decimals")
    return int(scaled)


def rub_converter(chain: FxChain) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """`to_common(price_minor, currency_index, day_number) -> kopecks` for ratecalc.files.columnar.

    Raises InputError (field `fx`) naming the currency, the date and every provider's reason when a rate
    is missing: a ranking that silently skipped a currency would pick the wrong service.
    """

    def to_common(price: np.ndarray, ccy: np.ndarray, day: np.ndarray) -> np.ndarray:
        price = np.asarray(price, np.int64)
        out = np.full(price.shape, -1, np.int64)
        has = price >= 0
        if not has.any():
            return out
        pairs = np.unique(np.stack([ccy[has], day[has]], axis=1), axis=0)
        for c, d in pairs.tolist():
            currency = CURRENCIES[int(c)]
            on = EPOCH_DAY0 + dt.timedelta(days=int(d))
            found = chain.lookup(currency, on)
            if found.quote is None:
                raise InputError("fx", f"cannot compare in RUB: no {currency} rate for {on} ({found.missing_reason})")
            rate = _rate_units(found.quote.rate, currency)
            exp = CURRENCY_EXPONENT.get(currency, 2)
            den = 10**exp * RATE_SCALE // 100  # price_minor × rate / den = kopecks
            sel = has & (ccy == c) & (day == d)
            part = price[sel]
            if int(part.max()) * rate < 2**61:  # int64 is exact here
                out[sel] = (2 * part * rate + den) // (2 * den)
            else:  # Python ints: exact whatever the size
                out[sel] = np.array([(2 * int(n) * rate + den) // (2 * den) for n in part], dtype=np.int64)
        return out

    return to_common
