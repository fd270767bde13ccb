"""Worker processes die with their supervisor.

`ratecalc serve --workers N` runs a supervisor that starts N uvicorn workers. If the supervisor is killed
hard (`kill -9`, the OOM killer), nobody stops the workers: they keep the port, answer /readyz 200, and the
next start fails with "Address already in use". Each worker therefore watches its supervisor: on Linux
the kernel sends it SIGTERM the moment the parent dies (PR_SET_PDEATHSIG), and everywhere a thread polls
the parent pid once a second as a fallback. SIGTERM lets uvicorn shut down cleanly and free the port.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
from typing import Optional

log = logging.getLogger("ratecalc.api")

SUPERVISOR_ENV = "RATECALC_SUPERVISOR_PID"  # set by `ratecalc serve` when it starts workers
_PR_SET_PDEATHSIG = 1


def supervisor_pid() -> Optional[int]:
    """The supervisor's pid when this process is one of its workers (not the supervisor itself)."""
    raw = os.environ.get(SUPERVISOR_ENV, "")
    if not raw.isdigit() or int(raw) == os.getpid():
        return None
    return int(raw)


def watch_parent(parent: int, interval: float = 1.0) -> threading.Thread:
    """Terminate this process (SIGTERM, a clean uvicorn shutdown) when `parent` is no longer its parent."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl: the thread still works
            pass
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(interval):
            if os.getppid() != parent:
                log.error("supervisor is gone; this worker stops", extra={"supervisor_pid": parent})
                os.kill(os.getpid(), signal.SIGTERM)
                return

    thread = threading.Thread(target=run, name="ratecalc-parent-watch", daemon=True)
    thread.start()
    if os.getppid() != parent:  # the parent died before the watch was set up
        os.kill(os.getpid(), signal.SIGTERM)
    return thread
