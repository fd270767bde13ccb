"""`TariffSet`: the loaded, compiled tariffs and the one entry point every caller quotes through.

Loading and compiling happen once; a compiled engine is cached per choice of readings (the named
alternatives where sources conflict), so quoting never re-reads or re-compiles anything.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

from .compile import CompiledTariffs, ServiceInfo, compile_tariffs
from .coverage import Coverage, coverage
from .engine import iter_blocks
from .errors import InputError
from .groups import check_group_inputs
from .loader import TariffDocuments, load_documents, tariff_dirs
from .parcels import Parcel, to_arrays
from .result import ServiceQuote, build_quotes, sort_quotes
from .schema import CONFIDENCE_LEVELS, confidence_rank


def check_min_confidence(level: Optional[str], field: str = "min_confidence") -> Optional[int]:
    """The rank a quote's confidence must not exceed, or None for no filter; InputError for an unknown level."""
    if level is None:
        return None
    if level not in CONFIDENCE_LEVELS:
        raise InputError(
            field, f"{level!r} is not one of {', '.join(CONFIDENCE_LEVELS)} (best first)", limit=list(CONFIDENCE_LEVELS)
        )
    return CONFIDENCE_LEVELS.index(level)


def keep_confident(quotes: list[ServiceQuote], rank: Optional[int]) -> list[ServiceQuote]:
    """Drop quotes whose tariff is less sure than `rank` (a version that states no confidence is dropped too)."""
    if rank is None:
        return quotes
    return [q for q in quotes if confidence_rank(q.tariff.confidence) <= rank]


@dataclass
class TariffSet:
    documents: TariffDocuments
    dirs: list[Path]
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    _compiled: dict[frozenset[str], CompiledTariffs] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, dirs: Iterable[Union[str, Path]] = (), *, builtin: bool = True) -> TariffSet:
        """Built-in tariffs, then `RATECALC_TARIFFS`, then `dirs`; raises TariffError if any is broken."""
        paths = tariff_dirs(dirs, builtin=builtin)
        ts = cls(load_documents(paths), paths)
        ts.compiled()  # compile eagerly: a tariff set that cannot compile must fail at load time
        return ts

    def compiled(self, readings: Iterable[str] = ()) -> CompiledTariffs:
        key = frozenset(readings)
        found = self._compiled.get(key)
        if found is None:
            with self._lock:
                found = self._compiled.get(key)
                if found is None:
                    found = compile_tariffs(self.documents, key)
                    self._compiled[key] = found
        return found

    @property
    def services(self) -> list[ServiceInfo]:
        return self.compiled().services

    def service(self, service_id: str) -> ServiceInfo:
        for svc in self.services:
            if svc.id == service_id:
                return svc
        raise InputError("service", f"unknown service {service_id!r}")

    @property
    def checksum(self) -> str:
        return self.documents.checksum

    def quote(
        self, parcel: Parcel, *, readings: Sequence[str] = (), min_confidence: Optional[str] = None
    ) -> list[ServiceQuote]:
        """Every service in force on the parcel's order date, sorted (ok by price, unpriced, ineligible).

        `min_confidence`: drop services whose tariff is less sure than this level (official, carrier_sheet,
        third_party, inferred).
        """
        return self.quote_many([parcel], readings=readings, min_confidence=min_confidence)[0]

    def coverage(self, day: dt.date, *, readings: Sequence[str] = ()) -> Coverage:
        """Whether `day` has rates, the nearest dates that do, and a message when the user should know."""
        return coverage(self.compiled(readings), day)

    def quote_many(
        self, parcels: Sequence[Parcel], *, readings: Sequence[str] = (), min_confidence: Optional[str] = None
    ) -> list[list[ServiceQuote]]:
        """Quotes per parcel, in input order: one engine run over the whole list."""
        rank = check_min_confidence(min_confidence)
        compiled = self.compiled(readings)
        arrays = to_arrays(parcels)
        check_group_inputs(compiled, arrays)  # the group model needs a declared RUB price (InputError "value")
        out: list[Optional[list[ServiceQuote]]] = [None] * len(parcels)
        for block in iter_blocks(compiled, arrays):
            for i, pos in enumerate(block.parcels):
                out[int(pos)] = sort_quotes(keep_confident(build_quotes(compiled, parcels[int(pos)], block, i), rank))
        return [q if q is not None else [] for q in out]


_default: Optional[TariffSet] = None


def default_tariffs() -> TariffSet:
    """The process-wide tariff set (built-in + `RATECALC_TARIFFS`), loaded on first use."""
    global _default
    if _default is None:
        _default = TariffSet.load()
    return _default


def quote(parcel: Parcel, *, readings: Sequence[str] = ()) -> list[ServiceQuote]:
    """`default_tariffs().quote(parcel)`: every service in force on the parcel's order date, sorted."""
    return default_tariffs().quote(parcel, readings=readings)
