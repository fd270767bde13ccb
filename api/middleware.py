"""One pure-ASGI middleware for what every request needs: request id, body-size limit, metrics, access log.

Pure ASGI (not BaseHTTPMiddleware) because it runs on every request and must cost microseconds, and
because it has to count body bytes as they stream in, whatever the route does with them.
"""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any, Optional

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import BodyTooLarge
from .fastquote import DECLINED, FastQuotes
from .fastquote import PATH as FAST_PATH
from .logs import request_id_var, write_direct
from .metrics import Metrics

access_log = logging.getLogger("ratecalc.api.access")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


# Routes that take one parcel or one SKU: a real body is under 2 KiB. Their bodies are parsed and
# validated on the event loop, so a cap far below the batch limit keeps one request from stalling it.
SINGLE_BODY_BYTES = 64 << 10
SINGLE_BODY_PATHS = ("/v1/quotes", "/v1/economics")


def new_request_id() -> str:
    """A random version-4 UUID as 32 hex digits, what `uuid.uuid4().hex` gives, at a third of its cost."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40  # version 4
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    return b.hex()


class RequestMiddleware:
    """`fast`: the direct path for `POST /v1/quotes` (api.fastquote), None to send it through FastAPI too."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        max_body_bytes: int,
        fast: Optional[FastQuotes] = None,
        front: bool = False,
    ):
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.fast = fast
        # front: this instance sits before the whole app (`app` is the app, which has its own instance of
        # this middleware) and sees only POST /v1/quotes; it counts, logs and answers only what the direct
        # path answers, and hands everything else on untouched
        self.front = front
        # the labelled series, looked up once each: `labels()` costs a lock and a few µs per call
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = None
        length = None
        fast = (
            self.fast
            if scope.get("path") == FAST_PATH and scope.get("method") == "POST" and DECLINED not in scope
            else None
        )
        headers: dict[bytes, bytes] = {}  # first value of each header, as Starlette's Headers.get reads them
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                rid = candidate if _SAFE_ID.match(candidate) else None
            elif name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
            if fast is not None and name not in headers:
                headers[name] = value
        rid = rid or new_request_id()
        # Not reset afterwards: each request runs in its own task context, and the 500 handler (outside
        # this middleware) still needs the id.
        request_id_var.set(rid)
        status = 500
        limit = self.max_body_bytes
        if scope.get("path") in SINGLE_BODY_PATHS:
            limit = min(limit, SINGLE_BODY_BYTES)

        if length is not None and length > limit:
            # Refuse before reading a byte; the route still answers (so the problem body is uniform).
            async def receive_checked() -> Message:
                raise BodyTooLarge(limit)

        else:
            seen = 0

            async def receive_checked() -> Message:
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > limit:
                        raise BodyTooLarge(limit)
                return message

        async def send_wrapped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", rid.encode())]
            await send(message)

        label = None
        answered_here = True  # False: the app below counts and logs this request (front only)
        try:
            if fast is not None and (length is None or length <= limit) and fast.eligible(headers):
                if self.front:
                    scope[DECLINED] = True  # read only if the app below gets it: its middleware tries no more
                    direct = await fast(scope, receive_checked, send_wrapped, headers, self.app, receive, send)
                    answered_here = direct
                else:
                    direct = await fast(
                        scope, receive_checked, send_wrapped, headers, self.app, receive_checked, send_wrapped
                    )
                if direct:
                    label = FAST_PATH
            elif self.front:
                scope[DECLINED] = True
                answered_here = False
                await self.app(scope, receive, send)
            else:
                await self.app(scope, receive_checked, send_wrapped)
        finally:
            if answered_here:
                self._record(scope, label, status, start)

    def _record(self, scope: Scope, label: Optional[str], status: int, start: float) -> None:
        """Metrics and the access log line of one answered request."""
        elapsed = time.perf_counter() - start
        if label is None:
            label = getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope.get("method", "")
        series = self._series.get((method, label, status))
        if series is None:
            series = (
                self.metrics.requests.labels(method, label, str(status)),
                self.metrics.latency.labels(method, label),
            )
            self._series[(method, label, status)] = series
        series[0].inc()
        series[1].observe(elapsed)
        if access_log.isEnabledFor(logging.INFO):  # the record's dict is built only when it is written
            extra = {
                "method": method,
                "path": scope.get("path"),
                "route": label,
                "status": status,
                "duration_ms": round(elapsed * 1000, 3),
                "client": (scope.get("client") or ("", 0))[0],
            }
            if not write_direct(access_log, "request", extra):
                access_log.info("request", extra=extra)
