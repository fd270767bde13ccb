"""One pure-ASGI middleware for what every request needs: request id, body-size limit, metrics, access log.

Pure ASGI (not BaseHTTPMiddleware) because it runs on every request and must cost microseconds, and
because it has to count body bytes as they stream in, whatever the route does with them.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import BodyTooLarge
from .logs import request_id_var
from .metrics import Metrics

access_log = logging.getLogger("ratecalc.api.access")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


# Routes that take one parcel or one SKU: a real body is under 2 KiB. Their bodies are parsed and
# validated on the event loop, so a cap far below the batch limit keeps one request from stalling it.
SINGLE_BODY_BYTES = 64 << 10
SINGLE_BODY_PATHS = ("/v1/quotes", "/v1/economics")


class RequestMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, max_body_bytes: int):
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = None
        length = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                rid = candidate if _SAFE_ID.match(candidate) else None
            elif name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
        rid = rid or uuid.uuid4().hex
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

        try:
            await self.app(scope, receive_checked, send_wrapped)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.requests.labels(method, label, str(status)).inc()
            self.metrics.latency.labels(method, label).observe(elapsed)
            if access_log.isEnabledFor(logging.INFO):  # the record's dict is built only when it is written
                access_log.info(
                    "request",
                    extra={
                        "method": method,
                        "path": scope.get("path"),
                        "route": label,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 3),
                        "client": (scope.get("client") or ("", 0))[0],
                    },
                )
