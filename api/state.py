"""The tariff set the server quotes with, and its atomic replacement.

A reload builds a whole new `TariffSet` (load + compile) off to the side and swaps one reference only if
that succeeded: requests already running keep the set they started with, and a broken tariff set is
refused with its problems while the previous one keeps serving.
"""

from __future__ import annotations

import gc
import logging
import threading
from dataclasses import dataclass, field
from typing import Optional

from ratecalc import TariffError, TariffSet

from .metrics import Metrics
from .settings import Settings

log = logging.getLogger("ratecalc.api")


def settle_heap() -> None:
    """Move what is alive now (the tariff set just loaded, the app, the imported modules) out of the garbage
    collector's reach.

    Why: a loaded set and the app are ~100,000 long-lived objects, and every full collection walked them all
    (66 ms each on the 2-core development machine) inside whichever request happened to trigger it: that was
    the tail of the latency under load. Frozen objects are still freed by reference counting when a reload
    drops the old set; unfreezing and collecting first lets the collector free whatever cycles the old set
    left, once per reload, in the reload's own thread.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


@dataclass
class ReloadOutcome:
    ok: bool
    checksum: str
    previous_checksum: Optional[str]
    problems: list[dict] = field(default_factory=list)


class TariffHolder:
    def __init__(self, settings: Settings, metrics: Metrics):
        self.settings = settings
        self.metrics = metrics
        self._current: Optional[TariffSet] = None
        self._reload_lock = threading.Lock()  # one reload at a time; readers never take it

    @property
    def current(self) -> Optional[TariffSet]:
        return self._current

    def _build(self) -> TariffSet:
        return TariffSet.load(self.settings.tariff_dirs, builtin=self.settings.builtin_tariffs)

    def load(self) -> TariffSet:
        """Start-up load: a broken set raises TariffError (there is nothing older to fall back on)."""
        ts = self._build()
        self.install(ts)
        settle_heap()
        return ts

    def install(self, ts: TariffSet) -> TariffSet:
        """Serve `ts` from now on (a set loaded elsewhere, or the result of a successful reload)."""
        self._current = ts  # a single reference assignment: atomic for every reader
        self.metrics.tariffs_loaded_at.set(ts.loaded_at.timestamp())
        return ts

    def reload(self, trigger: str) -> ReloadOutcome:
        """Load afresh; install only if the whole set is valid. Blocking: call it from a worker thread."""
        with self._reload_lock:
            previous = self._current
            prev_sum = previous.checksum if previous is not None else None
            try:
                ts = self._build()
            except TariffError as exc:
                self.metrics.reloads.labels("refused", trigger).inc()
                problems = [
                    {"file": p.file, "path": p.path, "line": p.line, "message": p.message} for p in exc.problems
                ]
                log.error(
                    "tariff reload refused; still serving the previous set",
                    extra={"trigger": trigger, "problems": problems, "checksum": prev_sum},
                )
                return ReloadOutcome(False, prev_sum or "", prev_sum, problems)
            except Exception as exc:  # anything else (I/O, a bug): still refuse, never drop the old set
                self.metrics.reloads.labels("refused", trigger).inc()
                log.exception("tariff reload failed; still serving the previous set", extra={"trigger": trigger})
                problems = [{"file": "", "path": "", "line": None, "message": f"{type(exc).__name__}: {exc}"}]
                return ReloadOutcome(False, prev_sum or "", prev_sum, problems)
            self.install(ts)
            del previous  # this frame would otherwise keep the old set alive through the collection below
            settle_heap()
            self.metrics.reloads.labels("ok", trigger).inc()
            log.info("tariffs reloaded", extra={"trigger": trigger, "checksum": ts.checksum, "previous": prev_sum})
            return ReloadOutcome(True, ts.checksum, prev_sum)
