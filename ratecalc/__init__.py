"""ratecalc: what each Ozon partner carrier charges for a parcel, which may carry it, and why.

>>> from ratecalc import Parcel, TariffSet
>>> tariffs = TariffSet.load()
>>> quotes = tariffs.quote(Parcel.parse("1.2kg", "30x20x10cm", date="2023-06-01"))
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from .errors import InputError, RatecalcError, TariffError

if TYPE_CHECKING:
    from .parcels import Parcel
    from .result import ServiceQuote
    from .tariffset import TariffSet, default_tariffs, quote
    from .units import Money, parse_dims, parse_money, parse_weight

# Imported on first use (PEP 562): `ratecalc --help` and commands that never quote do not pay for numpy,
# pydantic and the tariff schema (~0.3 s of a cold start).
_LAZY = {
    "Parcel": "parcels",
    "ServiceQuote": "result",
    "TariffSet": "tariffset",
    "default_tariffs": "tariffset",
    "quote": "tariffset",
    "Money": "units",
    "parse_dims": "units",
    "parse_money": "units",
    "parse_weight": "units",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ratecalc' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "InputError",
    "Money",
    "Parcel",
    "RatecalcError",
    "ServiceQuote",
    "TariffError",
    "TariffSet",
    "default_tariffs",
    "parse_dims",
    "parse_money",
    "parse_weight",
    "quote",
]
__version__ = "0.1.0"
