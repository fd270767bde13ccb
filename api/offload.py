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
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:  # the parent's types; a worker imports what it needs after its start-up
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
        ("POST", "/catalogue"),  # the page's catalogue upload: a batch of up to thousands of rows
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
COUNTERS = ("ratecalc_quotes_computed_total", "ratecalc_batch_item_errors_total")  # sent back by workers


class _Worker:
    """One worker process and the parent's end of the socket to it.

    A plain subprocess (`python -c`), not multiprocessing: a spawned multiprocessing child re-imports the
    parent's main module, which fails (or runs it again) when the app is embedded in a script without a
    `__main__` guard; this child imports only this package."""

    def __init__(self, settings: Settings):
        import subprocess
        import sys

        self.sock, child = socket.socketpair()
        package = __name__.rsplit(".", 1)[0]
        code = f"import sys; from {package}.offload_worker import worker_entry; worker_entry(int(sys.argv[1]))"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, str(child.fileno())],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            env=env,
        )
        child.close()
        self.alive = True
        self.answered = False  # has answered a request (a worker that dies before that failed to start)
        send_message(self.sock, settings)

    def running(self) -> bool:
        return self.alive and self.proc.poll() is None

    def send(self, message: Any) -> None:
        send_message(self.sock, message)

    def recv(self) -> Any:
        return recv_message(self.sock)

    def stop(self) -> None:
        """Close the socket and end the process (SIGTERM: a worker holds nothing worth a graceful stop)."""
        self.alive = False
        self.sock.close()
        if self.proc.poll() is None:
            self.proc.terminate()


def send_message(sock: socket.socket, message: Any) -> None:
    """One pickled message, length first (blocking: the parent calls it from its I/O threads). Pickle is
    safe here: the socket is one end of a socketpair shared only with the worker this process started."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(len(data).to_bytes(8, "little"))
    sock.sendall(data)


def recv_message(sock: socket.socket) -> Any:
    """The next message; EOFError when the other side has gone."""
    return pickle.loads(_exactly(sock, int.from_bytes(_exactly(sock, 8), "little")))


def _exactly(sock: socket.socket, n: int) -> bytearray:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:])
        if k == 0:
            raise EOFError("the other side closed the connection")
        got += k
    return buf


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
        self._failed_starts = 0  # workers in a row that stopped before their first answer
        self._waiting: list[asyncio.Future[_Worker]] = []
        self._blob: tuple[str, bytes] = ("", b"")  # the current tariff set, pickled once per checksum
        # pipe reads and writes block: they get threads of their own, outside the app's thread limit
        self._io = ThreadPoolExecutor(max_workers=max(1, 2 * self.processes), thread_name_prefix="ratecalc-offload")

    async def answer(self, ts: TariffSet, scope: Scope, body: bytes, send: Send) -> None:
        """Answer one request in a worker. Raises OSError/EOFError, with `answer_started` set on it, if the
        worker dies (it is then replaced), and NoWorkers once workers cannot be started at all."""
        worker = await self._acquire()
        clean = False
        try:
            await self._relay(worker, ts, scope, body, send)
            clean = True
            worker.answered = True
            self._failed_starts = 0
        finally:
            if not clean:  # died, or this task was cancelled mid-answer: its socket may still hold messages
                worker.alive = False
                if not worker.answered:
                    self._failed_starts += 1
                    if self._failed_starts >= 3:
                        self._give_up("three worker processes in a row stopped before their first answer")
            self._release(worker)

    def _give_up(self, why: str) -> None:
        """Answer in this process from now on: a server that cannot start workers must still serve."""
        if self.processes:
            log.error("offload workers disabled; answering in this process", extra={"reason": why})
        self.processes = 0
        waiting, self._waiting = self._waiting, []
        for waiter in waiting:
            if not waiter.done():
                waiter.set_exception(NoWorkers())

    async def _relay(self, worker: _Worker, ts: TariffSet, scope: Scope, body: bytes, send: Send) -> None:
        from .logs import request_id_var

        loop = asyncio.get_running_loop()
        small = {k: scope[k] for k in SCOPE_KEYS if k in scope}
        blob = None
        started = False
        try:
            while True:
                request = ("request", ts.checksum, blob, small, body, request_id_var.get())
                await loop.run_in_executor(self._io, worker.send, request)
                reply = await loop.run_in_executor(self._io, worker.recv)
                if reply[0] != "need":
                    break
                blob = await loop.run_in_executor(self._io, self._pickled, ts)
            while reply[0] == "send":
                started = True
                await send(reply[1])
                reply = await loop.run_in_executor(self._io, worker.recv)
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
            try:
                self._release(await self._start())
            except NoWorkers:
                pass  # logged; requests are answered in this process

        for _ in range(self.processes - len(self._all) - self._starting):
            loop.create_task(start_one())

    async def _acquire(self) -> _Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.running():
                return worker
            self._drop(worker)
        if len(self._all) + self._starting < self.processes:
            return await self._start()
        if self.processes == 0:
            raise NoWorkers()
        waiter: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        return await waiter

    async def _start(self) -> _Worker:
        self._starting += 1
        try:
            worker = await asyncio.get_running_loop().run_in_executor(self._io, _Worker, self.settings)
        except Exception as exc:
            self._give_up(f"cannot start a worker process: {exc!r}")
            raise NoWorkers() from exc
        finally:
            self._starting -= 1
        self._all.append(worker)
        return worker

    def _release(self, worker: _Worker) -> None:
        if not worker.running():
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
        try:
            worker = await self._start()
        except NoWorkers as exc:
            if not waiter.done():
                waiter.set_exception(exc)
            return
        if waiter.done():
            self._release(worker)
        else:
            waiter.set_result(worker)

    def _drop(self, worker: _Worker) -> None:
        if worker in self._all:
            self._all.remove(worker)
        worker.stop()
        self._io.submit(worker.proc.wait, 10)  # reaped off the event loop

    def close(self) -> None:
        """Stop every worker (the app's shutdown)."""
        workers, self._all, self._idle = list(self._all), [], []
        for worker in workers:
            worker.stop()
        for worker in workers:
            try:
                worker.proc.wait(timeout=5)
            except Exception:  # subprocess.TimeoutExpired: it will not go; make it
                worker.proc.kill()
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
        from .edge import name_route
        from .errors import ApiProblem, send_problem

        try:
            body = await _read_body(receive)
        except ApiProblem as exc:  # over the body limit, or not UTF-8: the problem the route would give
            name_route(scope)
            await send_problem(
                send, exc.status_code, exc.slug, exc.title, str(exc.detail), exc.errors, instance=scope["path"]
            )
            return
        if body is None:  # the client went away before its body arrived
            return
        try:
            await self.workers.answer(ts, scope, body, send)
        except NoWorkers:
            await self.app(scope, _replay(body), send)
        except (OSError, EOFError) as exc:
            log.error("offload worker stopped while answering", extra={"error": repr(exc), "path": scope["path"]})
            if not getattr(exc, "answer_started", False):
                retry = self.workers.settings.retry_after
                name_route(scope)
                await send_problem(
                    send,
                    503,
                    "worker-stopped",
                    "Service unavailable",
                    f"the worker process answering this request stopped; retry in {retry} s",
                    instance=scope["path"],
                    headers=[(b"retry-after", str(retry).encode())],
                )


class NoWorkers(Exception):
    """No worker process can be had: answer in this process."""


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    return receive


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
