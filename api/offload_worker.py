"""The worker side of api/offload.py: a process that answers offloaded requests one at a time with the
app's routes (`create_app(..., worker=True)`), on the tariff set the serving process sends it, until the
serving process stops it or goes away."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import socket
from typing import Any

from .offload import COUNTERS, recv_message, send_message


def worker_entry(fd: int) -> None:
    """A worker's life: its settings first, then requests one at a time until the parent stops it or goes
    away (the socket closes)."""
    # its counters go back to the parent with each answer, never into the multiprocess metrics directory
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    for sig in (signal.SIGINT, signal.SIGHUP):  # Ctrl-C and reload signals are the parent's business
        signal.signal(sig, signal.SIG_IGN)
    sock = socket.socket(fileno=fd)
    try:
        settings = recv_message(sock)
    except (EOFError, OSError):
        return
    from ratecalc import TariffSet

    from .app import create_app
    from .logs import request_id_var

    loop = asyncio.new_event_loop()
    app: Any = None
    checksum = None
    while True:
        try:
            message = recv_message(sock)
        except (EOFError, OSError):
            return
        _, wanted, blob, scope, body, rid = message
        if wanted != checksum:
            if blob is None:
                send_message(sock, ("need",))
                continue
            ts = TariffSet(**pickle.loads(blob))
            app = create_app(settings, tariffs=ts, worker=True)
            app.state.holder.install(ts)
            checksum = wanted
        request_id_var.set(rid)
        before = _counters(app.state.metrics)
        loop.run_until_complete(_answer(app, scope, body, sock))
        after = _counters(app.state.metrics)
        send_message(sock, ("done", {k: v - before.get(k, 0.0) for k, v in after.items() if v != before.get(k, 0.0)}))


async def _answer(app: Any, scope: dict, body: bytes, sock: socket.socket) -> None:
    sent_body = False

    async def receive() -> dict:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # nothing more will come; the app does not wait for a disconnect
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        send_message(sock, ("send", message))

    await app({**scope, "state": {}}, receive, send)


def _counters(metrics: Any) -> dict[tuple[str, tuple], float]:
    out: dict[tuple[str, tuple], float] = {}
    for family in (metrics.quotes, metrics.batch_item_errors):
        for metric in family.collect():
            for sample in metric.samples:
                if sample.name in COUNTERS:
                    out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out
