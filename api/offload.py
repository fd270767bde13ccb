"""Requests whose CPU cost grows with their input are answered in worker processes, so the event loop that
answers /healthz, single quotes and the page never waits for them.

Why processes and not threads: threads share one interpreter lock. With two 1,000-parcel batches running
in worker threads on the 2-core machine (other work running too), /healthz took up to 420-780 ms: the
loop waited for the lock behind threads the operating system had descheduled. With the same batches in
another process, /healthz stayed under 50 ms. Threads bound how much runs, not who waits.

How: `Offload` sits inside the edge layers (request id, metrics, access log, body limits, the batch
slots). For an offloaded route it reads the request's body, hands the request to an idle worker process
and relays the answer's messages as they come, so an NDJSON stream stays a stream. A worker runs the same
app without the edge layers (`create_app(..., worker=True)`): the same routes, validation, errors, gzip
and CORS. It serves the tariff set the parent serves: the set (pickled, ~0.7 MB) is sent to a worker the
first time that worker needs it, so a reload reaches every worker with its next request. Quote counters
counted in a worker are added to the parent's metrics. A worker that dies is replaced; a request whose
answer had not started when it died is answered 503 with Retry-After.

`processes` workers at most per server process, started when first needed; 0 answers every request in
this process (worker threads), as before.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import pickle
import signal
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:  # the parent's types; a worker imports what it needs after its start-up
    from multiprocessing.connection import Connection
    from multiprocessing.context import SpawnProcess

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from ratecalc import TariffSet

    from .metrics import Metrics
    from .settings import Settings
    from .state import TariffHolder

log = logging.getLogger("ratecalc.api")

OFFLOADED = frozenset(
    {
        ("POST", "/v1/quotes/batch"),
        ("POST", "/v1/economics/batch"),
        ("POST", "/v1/economics"),
        ("GET", "/v1/curves"),
    }
)
# what a worker needs of a request's scope (the rest is the parent's: its app, its state)
SCOPE_KEYS = (
    "type",
    "asgi",
    "http_version",
    "method",
    "scheme",
    "path",
    "raw_path",
    "root_path",
    "query_string",
    "headers",
    "client",
    "server",
)
COUNTERS = ("ratecalc_quotes_computed_total", "ratecalc_batch_item_errors_total")


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, settings: Settings):
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no copy of this process's threads
        self.conn, child = ctx.Pipe()
        self.proc: SpawnProcess = ctx.Process(
            target=worker_main, args=(child, settings), name="ratecalc-offload", daemon=True
        )
        self.proc.start()
        child.close()
        self.alive = True

    def stop(self) -> None:
        """Close the pipe and end the process (SIGTERM: a worker holds nothing worth a graceful stop)."""
        self.alive = False
        self.conn.close()
        if self.proc.is_alive():
            self.proc.terminate()


class Workers:
    """The worker processes of one app: started when first needed, at most `processes`, stopped at shutdown."""

    def __init__(self, settings: Settings, holder: TariffHolder, metrics: Metrics):
        self.settings = settings
        self.holder = holder
        self.metrics = metrics
        self.processes = settings.processes
        self._idle: list[_Worker] = []
        self._all: list[_Worker] = []
        self._starting = 0  # workers being started
        self._waiting: list[asyncio.Future[_Worker]] = []
        self._blob: tuple[str, bytes] = ("", b"")  # the current tariff set, pickled once per checksum
        # pipe reads and writes block: they get threads of their own, outside the app's thread limit
        self._io = ThreadPoolExecutor(max_workers=max(1, 2 * self.processes), thread_name_prefix="ratecalc-offload")

    async def answer(self, ts: TariffSet, scope: Scope, body: bytes, send: Send) -> None:
        """Answer one request in a worker. Raises OSError/EOFError, with `answer_started` set on it, if the
        worker dies; the worker is then replaced."""
        worker = await self._acquire()
        clean = False
        try:
            await self._relay(worker, ts, scope, body, send)
            clean = True
        finally:
            if not clean:  # died, or this task was cancelled mid-answer: its pipe may still hold messages
                worker.alive = False
            self._release(worker)

    async def _relay(self, worker: _Worker, ts: TariffSet, scope: Scope, body: bytes, send: Send) -> None:
        from .logs import request_id_var

        loop = asyncio.get_running_loop()
        small = {k: scope[k] for k in SCOPE_KEYS if k in scope}
        blob = None
        started = False
        try:
            while True:
                request = ("request", ts.checksum, blob, small, body, request_id_var.get())
                await loop.run_in_executor(self._io, worker.conn.send, request)
                reply = await loop.run_in_executor(self._io, worker.conn.recv)
                if reply[0] != "need":
                    break
                blob = await loop.run_in_executor(self._io, self._pickled, ts)
            while reply[0] == "send":
                started = True
                await send(reply[1])
                reply = await loop.run_in_executor(self._io, worker.conn.recv)
        except (OSError, EOFError) as exc:
            exc.answer_started = started  # type: ignore[union-attr]
            raise
        self._count(reply[1])

    def _pickled(self, ts: TariffSet) -> bytes:
        if self._blob[0] != ts.checksum:
            state = {f.name: getattr(ts, f.name) for f in dataclasses.fields(ts) if f.name != "_lock"}
            self._blob = (ts.checksum, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
        return self._blob[1]

    def _count(self, deltas: dict[tuple[str, tuple], float]) -> None:
        for (name, labels), value in deltas.items():
            if name == "ratecalc_quotes_computed_total":
                self.metrics.quotes.labels(**dict(labels)).inc(value)
            elif name == "ratecalc_batch_item_errors_total":
                self.metrics.batch_item_errors.inc(value)

    def warm_up(self) -> None:
        """Start every worker now, in the background, so the first requests do not wait for one to start
        (~1-2 s: a fresh interpreter imports the app); call inside the running loop."""
        loop = asyncio.get_running_loop()

        async def start_one() -> None:
            self._release(await self._start())

        for _ in range(self.processes - len(self._all) - self._starting):
            loop.create_task(start_one())

    async def _acquire(self) -> _Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.alive and worker.proc.is_alive():
                return worker
            self._drop(worker)
        if len(self._all) + self._starting < self.processes:
            return await self._start()
        waiter: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        return await waiter

    async def _start(self) -> _Worker:
        self._starting += 1
        try:
            worker = await asyncio.get_running_loop().run_in_executor(self._io, _Worker, self.settings)
        finally:
            self._starting -= 1
        self._all.append(worker)
        return worker

    def _release(self, worker: _Worker) -> None:
        if not worker.alive or not worker.proc.is_alive():
            self._drop(worker)
            if self._waiting:  # room for a new worker: the next waiter gets one
                asyncio.get_running_loop().create_task(self._hand_new(self._waiting.pop(0)))
            return
        while self._waiting:
            waiter = self._waiting.pop(0)
            if not waiter.done():  # a waiter whose request was cancelled is skipped
                waiter.set_result(worker)
                return
        self._idle.append(worker)

    async def _hand_new(self, waiter: asyncio.Future[_Worker]) -> None:
        worker = await self._start()
        if waiter.done():
            self._release(worker)
        else:
            waiter.set_result(worker)

    def _drop(self, worker: _Worker) -> None:
        if worker in self._all:
            self._all.remove(worker)
        worker.stop()
        self._io.submit(worker.proc.join, 10)  # reaped off the event loop

    def close(self) -> None:
        """Stop every worker (the app's shutdown)."""
        workers, self._all, self._idle = list(self._all), [], []
        for worker in workers:
            worker.stop()
        for worker in workers:
            worker.proc.join(timeout=5)
        self._io.shutdown(wait=False, cancel_futures=True)


class Offload:
    """Pure ASGI: offloaded routes are answered by `workers`, everything else by `app`."""

    def __init__(self, app: ASGIApp, workers: Workers):
        self.app = app
        self.workers = workers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ts = self.workers.holder.current
        if (
            self.workers.processes == 0
            or scope["type"] != "http"
            or (scope["method"], scope["path"]) not in OFFLOADED
            or ts is None  # not ready: the route answers its 503
        ):
            await self.app(scope, receive, send)
            return
        from .errors import ApiProblem, send_problem

        try:
            body = await _read_body(receive)
        except ApiProblem as exc:  # over the body limit, or not UTF-8: the problem the route would give
            await send_problem(send, exc.status_code, exc.slug, exc.title, str(exc.detail), exc.errors)
            return
        if body is None:  # the client went away before its body arrived
            return
        try:
            await self.workers.answer(ts, scope, body, send)
        except (OSError, EOFError) as exc:
            log.error("offload worker stopped while answering", extra={"error": repr(exc), "path": scope["path"]})
            if not getattr(exc, "answer_started", False):
                retry = self.workers.settings.retry_after
                await send_problem(
                    send,
                    503,
                    "worker-stopped",
                    "Service unavailable",
                    f"the worker process answering this request stopped; retry in {retry} s",
                    headers=[(b"retry-after", str(retry).encode())],
                )


async def _read_body(receive: Receive) -> Optional[bytes]:
    """The whole request body through the edge's receive (its limits apply); None if the client left."""
    chunks = []
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


# --------------------------------------------------------------------------- in the worker process


def worker_main(conn: Connection, settings: Settings) -> None:
    """A worker's life: answer requests one at a time until the parent stops it or goes away."""
    # its counters go back to the parent with each answer, never into the multiprocess metrics directory
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    for sig in (signal.SIGINT, signal.SIGHUP):  # Ctrl-C and reload signals are the parent's business
        signal.signal(sig, signal.SIG_IGN)
    from ratecalc import TariffSet

    from .app import create_app
    from .logs import request_id_var

    loop = asyncio.new_event_loop()
    app: Any = None
    checksum = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "stop":
            return
        _, wanted, blob, scope, body, rid = message
        if wanted != checksum:
            if blob is None:
                conn.send(("need",))
                continue
            ts = TariffSet(**pickle.loads(blob))
            app = create_app(settings, tariffs=ts, worker=True)
            app.state.holder.install(ts)
            checksum = wanted
        request_id_var.set(rid)
        before = _counters(app.state.metrics)
        loop.run_until_complete(_answer(app, scope, body, conn))
        after = _counters(app.state.metrics)
        conn.send(("done", {k: v - before.get(k, 0.0) for k, v in after.items() if v != before.get(k, 0.0)}))


async def _answer(app: Any, scope: dict, body: bytes, conn: Connection) -> None:
    sent_body = False

    async def receive() -> dict:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # nothing more will come; the app does not wait for a disconnect
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        conn.send(("send", message))

    await app({**scope, "state": {}}, receive, send)


def _counters(metrics: Any) -> dict[tuple[str, tuple], float]:
    out: dict[tuple[str, tuple], float] = {}
    for family in (metrics.quotes, metrics.batch_item_errors):
        for metric in family.collect():
            for sample in metric.samples:
                if sample.name in COUNTERS:
                    out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out
