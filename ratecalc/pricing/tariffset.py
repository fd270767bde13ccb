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

from ..errors import InputError
from ..tariffdata.compile import CompiledTariffs, ServiceInfo, compile_tariffs
from ..tariffdata.confidence import CONFIDENCE_LEVELS
from ..tariffdata.coverage import Coverage, coverage
from ..tariffdata.loader import TariffDocuments, tariff_dirs
from ..tariffdata.schema import SCHEMES
from ..tariffdata.tariffcache import load_compiled
from .engine import ScalarQuotes, iter_blocks, quote_one
from .groups import check_group_inputs, lacks_group_input
from .parcels import Parcel, to_arrays, to_scalars
from .result import BlockQuotes, QuoteList, ServiceQuote, build_compact_one, build_one


def check_scheme(scheme: str, field: str = "scheme") -> str:
    """The scheme in lower case (rfbs or fbp); InputError naming `field` for anything else."""
    key = str(scheme).strip().lower()
    if key not in SCHEMES:
        raise InputError(
            field, f"unknown scheme {scheme!r}; use rfbs (partner delivery) or fbp (Ozon's border warehouse)",
            limit=list(SCHEMES),
        )  # fmt: skip
    return key


def check_min_confidence(level: Optional[str], field: str = "min_confidence") -> Optional[int]:
    """The rank a quote's confidence must not exceed, or None for no filter; InputError for an unknown level."""
    if level is None:
        return None
    if level not in CONFIDENCE_LEVELS:
        raise InputError(
            field, f"{level!r} is not one of {', '.join(CONFIDENCE_LEVELS)} (best first)", limit=list(CONFIDENCE_LEVELS)
        )
    return CONFIDENCE_LEVELS.index(level)


@dataclass
class TariffSet:
    documents: TariffDocuments
    dirs: list[Path]
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    _compiled: dict[tuple[frozenset[str], str], CompiledTariffs] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, dirs: Iterable[Union[str, Path]] = (), *, builtin: bool = True) -> TariffSet:
        """Built-in tariffs, then `RATECALC_TARIFFS`, then `dirs`; raises TariffError if any is broken."""
        paths = tariff_dirs(dirs, builtin=builtin)
        # compiled eagerly (a tariff set that cannot compile must fail at load time), or read back from
        # the compiled-tariff cache when it holds exactly these files (see tariffcache)
        documents, compiled = load_compiled(paths)
        ts = cls(documents, paths)
        ts._compiled[(frozenset(), compiled.scheme)] = compiled
        return ts

    def compiled(self, readings: Iterable[str] = (), scheme: str = "rfbs") -> CompiledTariffs:
        """The compiled services of one scheme (rfbs: partner delivery; fbp: Ozon's border warehouse)."""
        key = (frozenset(readings), check_scheme(scheme))
        found = self._compiled.get(key)
        if found is None:
            with self._lock:
                found = self._compiled.get(key)
                if found is None:
                    found = compile_tariffs(self.documents, *key)
                    self._compiled[key] = found
        return found

    @property
    def services(self) -> list[ServiceInfo]:
        """The services quoted by default (scheme rfbs); `compiled(scheme="fbp").services` for the others."""
        return self.compiled().services

    def service(self, service_id: str) -> ServiceInfo:
        """A service by id, of any scheme."""
        for scheme in SCHEMES:
            for svc in self.compiled(scheme=scheme).services:
                if svc.id == service_id:
                    return svc
        raise InputError("service", f"unknown service {service_id!r}")

    @property
    def checksum(self) -> str:
        return self.documents.checksum

    def quote(
        self,
        parcel: Parcel,
        *,
        readings: Sequence[str] = (),
        min_confidence: Optional[str] = None,
        scheme: str = "rfbs",
    ) -> list[ServiceQuote]:
        """Every service of the scheme in force on the parcel's order date, sorted (ok by price, unpriced,
        ineligible).

        `min_confidence`: drop services whose tariff is less sure than this level (official, carrier_sheet,
        third_party, inferred). `scheme`: rfbs (partner delivery, the default) or fbp (Ozon's border warehouse).
        """
        compiled, one, rank = self._quote_one(parcel, readings, min_confidence, scheme)
        return build_one(compiled, one, parcel, max_rank=rank)

    def quote_compact(
        self,
        parcel: Parcel,
        *,
        readings: Sequence[str] = (),
        min_confidence: Optional[str] = None,
        scheme: str = "rfbs",
    ) -> list[dict]:
        """`[ratecalc.pricing.compact.compact(q) for q in self.quote(parcel, ...)]`, as JSON-ready dicts, without
        building the `ServiceQuote`s: the compact answer (no RUB figures, no expansions) at a fraction of
        the cost, for callers that serialise it straight away (the HTTP API)."""
        compiled, one, rank = self._quote_one(parcel, readings, min_confidence, scheme)
        return build_compact_one(compiled, one, parcel, max_rank=rank)

    def _quote_one(
        self, parcel: Parcel, readings: Sequence[str], min_confidence: Optional[str], scheme: str
    ) -> tuple[CompiledTariffs, ScalarQuotes, Optional[int]]:
        rank = check_min_confidence(min_confidence)
        compiled = self.compiled(readings, scheme)
        scalars = to_scalars(parcel)
        one = quote_one(compiled, scalars)
        if lacks_group_input(compiled, one.epoch, scalars.value_ccy):
            check_group_inputs(compiled, to_arrays([parcel]))  # raises the InputError naming `value`
        return compiled, one, rank

    def coverage(self, day: dt.date, *, readings: Sequence[str] = (), scheme: str = "rfbs") -> Coverage:
        """Whether `day` has rates, the nearest dates that do, and a message when the user should know."""
        return coverage(self.compiled(readings, scheme), day)

    def quote_many(
        self,
        parcels: Sequence[Parcel],
        *,
        readings: Sequence[str] = (),
        min_confidence: Optional[str] = None,
        scheme: str = "rfbs",
    ) -> list[QuoteList]:
        """Quotes per parcel, in input order, sorted as `quote`: one engine run over the whole list.

        Each parcel's quotes are a `QuoteList`, a view that builds its `ServiceQuote`s when read (iterate
        it, index it, `list()` it): holding the quotes of many parcels costs a few numbers per quote, not
        a dozen Python objects.
        """
        rank = check_min_confidence(min_confidence)
        compiled = self.compiled(readings, scheme)
        arrays = to_arrays(parcels)
        check_group_inputs(compiled, arrays)  # the group model needs a declared RUB price (InputError "value")
        out: list[Optional[QuoteList]] = [None] * len(parcels)
        for block in iter_blocks(compiled, arrays):
            src = BlockQuotes(compiled, block, max_rank=rank)
            for i, pos in enumerate(block.parcels.tolist()):
                out[pos] = src.view(i, parcels[pos])
        assert all(q is not None for q in out), "every parcel belongs to exactly one block"
        return out  # type: ignore[return-value]


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
