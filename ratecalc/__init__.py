"""ratecalc: what each Ozon partner carrier charges for a parcel, which may carry it, and why.

>>> from ratecalc import Parcel, TariffSet
>>> tariffs = TariffSet.load()
>>> quotes = tariffs.quote(Parcel.parse("1.2kg", "30x20x10cm", date="2023-06-01"))
"""

from .errors import InputError, RatecalcError, TariffError
from .parcels import Parcel
from .result import ServiceQuote
from .tariffset import TariffSet, default_tariffs, quote
from .units import Money, parse_dims, parse_money, parse_weight

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
