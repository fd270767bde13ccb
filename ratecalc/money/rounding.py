"""Percent-of-money in integer minor units, half-up: the one rounding every economics cost line uses.

Why integers and not Decimal: the same function serves one SKU (Python ints) and a catalogue of 10^5
SKUs (numpy int64 arrays), so the scalar and the vectorized answers cannot drift apart.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Union, overload

import numpy as np

Ints = Union[int, np.ndarray]


def ratio(pct: Union[Decimal, Fraction, int, str]) -> tuple[int, int]:
    """A percentage as an exact (numerator, denominator) pair of ints."""
    f = Fraction(Decimal(pct)) if isinstance(pct, str) else Fraction(pct)
    return f.numerator, f.denominator


@overload
def pct_of_minor(minor: int, num: int, den: int = 1) -> int: ...
@overload
def pct_of_minor(minor: np.ndarray, num: Ints, den: Ints = 1) -> np.ndarray: ...
@overload
def pct_of_minor(minor: Ints, num: Ints, den: Ints = 1) -> Ints: ...
def pct_of_minor(minor: Ints, num: Ints, den: Ints = 1) -> Ints:
    """`minor` × (num / den) %, rounded half-up to a whole minor unit (minor, num >= 0, den > 0).

    Exact: floor((2 · minor · num + 100 · den) / (200 · den)). Works for ints and int64 arrays (prices up
    to 10^8 kopecks and numerators up to 10^6 stay far inside int64).
    """
    return (2 * minor * num + 100 * den) // (200 * den)
