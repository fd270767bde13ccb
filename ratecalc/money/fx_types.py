"""What every exchange-rate provider shares: the quote, the "no rate" signal, the provider protocol.

Why a module of its own: providers (the CBR feed, rates files) and the chain that tries them both need
these types; keeping them here lets `fx` import the CBR provider without the provider importing `fx`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class FxQuote:
    """One rate: `rate` RUB for 1 unit of `currency`, set for `date`, from `source`."""

    currency: str
    rate: Decimal
    date: dt.date
    source: str

    def to_dict(self) -> dict:
        return {
            "currency": self.currency,
            "rate": f"{self.rate:f}",
            "date": self.date.isoformat(),
            "source": self.source,
        }


class FxUnavailable(Exception):
    """A provider has no rate for this currency and date; `reason` is shown to the user."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class FxProvider(Protocol):
    name: str

    def rate(self, currency: str, date: dt.date) -> FxQuote: ...
