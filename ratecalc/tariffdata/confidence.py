"""How far a quoted number can be trusted, from where its tariff came from.

Why a function and not a field of the tariff files: every rate we hold is sourced by URL, and the hosts
tell the kind of source. Ozon's own documentation is `official`; a carrier's own sheet is `carrier_sheet`
; calculators, seller blogs and mirrors are `third_party`. A version without any source we can classify
is `inferred`. A tariff version that states its confidence (every built-in one does) wins.
"""

from __future__ import annotations

from typing import Iterable, Literal, Optional
from urllib.parse import urlparse

# How sure a tariff version's numbers are, best first: Ozon's own file or page / the carrier's own sheet /
# someone else's copy or conversion / a date or number reasoned from other facts. Quotes carry it, and
# `min_confidence` drops what a user will not act on.
Confidence = Literal["official", "carrier_sheet", "third_party", "inferred"]
CONFIDENCE_LEVELS: tuple[Confidence, ...] = ("official", "carrier_sheet", "third_party", "inferred")
ORDER = CONFIDENCE_LEVELS


def confidence_rank(level: Optional[str]) -> int:
    """0 = official ... 3 = inferred; a version that states no confidence ranks below every level."""
    return CONFIDENCE_LEVELS.index(level) if level in CONFIDENCE_LEVELS else len(CONFIDENCE_LEVELS)


OFFICIAL_HOSTS = ("docs.ozon.ru", "docs.ozon.com", "seller-edu.ozon.ru", "seller.ozon.ru")


def confidence_of(sources: Iterable[str], stated: Optional[str] = None) -> Confidence:
    """The best confidence any of `sources` supports (a stated confidence, when valid, wins)."""
    if stated in ORDER:
        return stated
    best: Confidence = "inferred"
    for src in sources:
        host = (urlparse(src).hostname or "").lower()
        if not host:
            continue
        kind: Confidence = (
            "official" if any(host == h or host.endswith("." + h) for h in OFFICIAL_HOSTS) else "third_party"
        )
        if ORDER.index(kind) < ORDER.index(best):
            best = kind
    return best
