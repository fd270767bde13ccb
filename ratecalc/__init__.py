"""ratecalc: what each Ozon partner carrier charges for a parcel, which may carry it, and why.

>>> from ratecalc import Parcel, TariffSet
>>> tariffs = TariffSet.load()
>>> quotes = tariffs.quote(Parcel.parse("1.2kg", "30x20x10cm", date="2023-06-01"))

The names below are the public, typed surface (the package ships `py.typed`); other modules are internal
and may change. `quote_table` and `ColumnarQuotes` (whole catalogues as columns) need the `files` extra
(pyarrow), so they are loaded on first use and `import ratecalc` does not need it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import InputError, RatecalcError, TariffError, TariffProblem

if TYPE_CHECKING:
    from .files.columnar import ColumnarQuotes, quote_table
    from .pricing.parcels import Parcel
    from .pricing.result import ServiceQuote
    from .pricing.tariffset import TariffSet, default_tariffs, quote
    from .units import Money, parse_dims, parse_money, parse_weight

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

# Imported on first use (PEP 562): `ratecalc --help` and commands that never quote do not pay for numpy,
# pydantic and the tariff schema (~0.3 s of a cold start); the columnar names need pyarrow (`files` extra).
_LAZY = {
    "Parcel": "pricing.parcels",
    "ServiceQuote": "pricing.result",
    "TariffSet": "pricing.tariffset",
    "default_tariffs": "pricing.tariffset",
    "quote": "pricing.tariffset",
    "Money": "units",
    "parse_dims": "units",
    "parse_money": "units",
    "parse_weight": "units",
    "ColumnarQuotes": "files.columnar",
    "quote_table": "files.columnar",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    if module != "files.columnar":
        globals()[name] = value
    return value
