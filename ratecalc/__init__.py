"""ratecalc: what each Ozon partner carrier charges for a parcel, which may carry it, and why.

>>> from ratecalc import Parcel, TariffSet
>>> tariffs = TariffSet.load()
>>> quotes = tariffs.quote(Parcel.parse("1.2kg", "30x20x10cm", date="2023-06-01"))

The names below are the public, typed surface (the package ships `py.typed`); other modules are internal
and may change. `quote_table` and `ColumnarQuotes` (whole catalogues as columns) need the `files` extra
(pyarrow), so they are loaded on first use and `import ratecalc` does not need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import InputError, RatecalcError, TariffError, TariffProblem
from .parcels import Parcel
from .result import ServiceQuote
from .tariffset import TariffSet, default_tariffs, quote
from .units import Money, parse_dims, parse_money, parse_weight

if TYPE_CHECKING:
    from .columnar import ColumnarQuotes, quote_table

__all__ = [
    "ColumnarQuotes",
    "InputError",
    "Money",
    "Parcel",
    "RatecalcError",
    "ServiceQuote",
    "TariffError",
    "TariffProblem",
    "TariffSet",
    "default_tariffs",
    "parse_dims",
    "parse_money",
    "parse_weight",
    "quote",
    "quote_table",
]
__version__ = "0.1.0"

_COLUMNAR = ("ColumnarQuotes", "quote_table")


def __getattr__(name: str) -> Any:
    if name in _COLUMNAR:
        from . import columnar

        return getattr(columnar, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
