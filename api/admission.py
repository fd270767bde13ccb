"""Admission control: at most `max_concurrent_batches` batch requests in progress per worker, the rest
answered 503 with `Retry-After` at once; and the size of the worker-thread pool that runs CPU work.

Why refuse instead of queueing: a batch costs up to seconds of CPU and megabytes of memory while it runs.
Accepted without bound, 200 concurrent NDJSON batches of 1,000 parcels took the server to 0.7-1.5 GB and
kept every one of them waiting minutes (a third had no answer after 300 s), while /healthz timed out. A
503 with Retry-After costs nothing, tells the client when to come back, and leaves the machine to the
batches already running; a proxy or client retrying is the queue. Single quotes, health checks and the
page are not counted: they are cheap and must keep answering under any batch load.

The worker threads (anyio's default limiter: sync routes, batch chunks, tariff reloads) are capped at
`threads`, so CPU work cannot pile up more threads than the machine can run while the event loop,
which answers /healthz, waits for its turn at the interpreter.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from .edge import name_route
from .errors import FieldError, send_problem

BATCH_ROUTES = frozenset({"/v1/quotes/batch", "/v1/economics/batch", "/catalogue"})  # /catalogue: the page's upload


class Admission:
    """Pure ASGI: counts the batch requests in progress in this worker (one event loop: no lock needed)."""

    def __init__(self, app: ASGIApp, slots: int, retry_after: int, routes: frozenset[str] = BATCH_ROUTES):
        self.app = app
        self.slots = slots
        self.retry_after = retry_after
        self.routes = routes
        self.in_progress = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") not in self.routes or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.slots:
            name_route(scope)
            await send_problem(
                send,
                503,
                "busy",
                "Server busy",
                f"{self.slots} batch request(s) are in progress, the most this server runs at once; "
                f"retry in {self.retry_after} s",
                [
                    FieldError(
                        path="$",
                        message="too many batch requests in progress",
                        rule="max_concurrent_batches",
                        limit=self.slots,
                    )
                ],
                instance=scope.get("path"),
                headers=[(b"retry-after", str(self.retry_after).encode())],
            )
            return
        self.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1


def cap_threads(threads: int) -> None:
    """Size anyio's default thread limiter (FastAPI's sync routes and `anyio.to_thread` use it) for this
    event loop; call from the app's lifespan, inside the running loop."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = threads
