"""The connection-level limits of `ratecalc serve`: uvicorn's httptools protocol with a bounded request
head, read timeouts and a cap on open connections.

Why here and not in the app: these attacks never reach the app. A request head is parsed before any ASGI
code runs, and httptools grows a header by concatenation, so its cost rises with the square of the
header's size (one 128 MiB header: 26-62 s of a core, other clients' /healthz waiting up to 22 s). A
connection that sends nothing, or one byte now and then, holds a file descriptor forever; a thousand of
them exhaust a container's descriptors and every new client is refused. uvicorn bounds neither: its
keep-alive timeout starts only after a first answer.

What this protocol adds (settings in api/settings.py; docs/limits.md, "HTTP server"):
- a request line plus headers longer than `max_header_bytes` is answered 431 (problem+json) and the
  connection closed, after at most that many bytes plus one read of the socket;
- a request head not complete `header_timeout` seconds after the connection opened (or after the first
  byte of a later request on it) is answered 408, or the connection silently closed when nothing came;
- a request body that stalls, or an answer the client leaves unread, for `idle_timeout` seconds closes
  the connection (the route sees the client gone);
- past `max_connections` open connections, the one that has waited longest without a request in progress
  (idle, or a head trickling in) is closed to make room, so a flood of idle or slow connections cannot lock
  new clients out; only if every connection is answering a request is the newcomer closed.

`serve` runs it when httptools is installed (what uvicorn[standard] brings); without httptools it falls
back to uvicorn's h11 with its header-size limit (`h11_max_incomplete_event_size`) only.
"""

from __future__ import annotations

import asyncio
import resource
from typing import Any, ClassVar, Optional

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from .errors import PROBLEM_MEDIA_TYPE, FieldError, problem_json
from .settings import Settings

RESERVED_FDS = 64  # descriptors kept for everything but client connections (tariff files, logs, epoll, ...)


class Limits:
    """The edge's numbers, read once per process from the settings (serve exports its flags to them)."""

    def __init__(self, settings: Settings):
        self.max_header_bytes = settings.max_header_bytes
        self.header_timeout = settings.header_timeout
        self.idle_timeout = settings.idle_timeout
        self.max_connections = min(settings.max_connections, descriptor_room())


def descriptor_room() -> int:
    """How many connections this process's file-descriptor limit leaves room for."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1_000_000
    return max(2, soft - RESERVED_FDS)


class EdgeProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above; everything else is uvicorn's own."""

    limits: ClassVar[Optional[Limits]] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if EdgeProtocol.limits is None:
            EdgeProtocol.limits = Limits(Settings())
        self._limits = EdgeProtocol.limits
        self._in_head = True  # the bytes arriving belong to a request line or headers
        self._head_bytes = 0  # bytes of the current head seen in whole reads
        self._head_exact = 0  # the head's size as the parser reports it (url, names, values)
        self._heads_done = 0  # heads completed on this connection
        self._got_bytes = False  # anything received for the current head
        self._refused = False  # answered here (431, 408) and closing: ignore the rest
        self._read_timer: Optional[asyncio.TimerHandle] = None
        self._write_timer: Optional[asyncio.TimerHandle] = None
        self.waiting_since = 0.0  # when this connection began waiting for its current request

    # ------------------------------------------------------------------ connections

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.waiting_since = self.loop.time()
        self._arm_read(self._limits.header_timeout)
        if len(self.connections) > self._limits.max_connections:
            self._make_room()

    def _make_room(self) -> None:
        """Close the connection that has waited longest for a request it does not have yet (idle, or a head
        trickling in byte by byte: its clock does not restart with each byte); if every one is answering a
        request, this newcomer."""
        victim: Optional[EdgeProtocol] = None
        for conn in self.connections:
            if conn is self or not isinstance(conn, EdgeProtocol) or conn.busy:
                continue
            if victim is None or conn.waiting_since < victim.waiting_since:
                victim = conn
        (victim or self).transport.close()

    @property
    def busy(self) -> bool:
        """A request is being answered on this connection (from its complete head to its answer's end)."""
        return self.cycle is not None and not self.cycle.response_complete

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self._cancel_read()
        self._cancel_write()
        super().connection_lost(exc)

    # ------------------------------------------------------------------ the request head

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        was_head = self._in_head
        if was_head:
            if self._head_bytes > self._limits.max_header_bytes:
                self._refuse_head()
                return
            self._got_bytes = True
        elif self._read_timer is not None:  # a body is arriving: the idle clock starts again
            self._arm_read(self._limits.idle_timeout)
        heads = self._heads_done
        super().data_received(data)
        if self._refused or not self._in_head:
            return
        if was_head and heads == self._heads_done:  # the whole read was this head's
            self._head_bytes += len(data)
            if self._head_bytes > self._limits.max_header_bytes:
                self._refuse_head()
        else:  # a head began after a body in this read: its share is counted exactly when it completes
            self._head_bytes = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_exact = 0
        if self._read_timer is None:  # a later request on a kept-alive connection: its head's clock starts
            self._arm_read(self._limits.header_timeout)

    def on_url(self, url: bytes) -> None:
        self._head_exact += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_exact += len(name) + len(value) + 4  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        if self._head_exact > self._limits.max_header_bytes:
            self._refuse_head()
            return
        self._in_head = False
        self._head_bytes = 0
        self._heads_done += 1
        self._arm_read(self._limits.idle_timeout)  # now the body, if any, must keep coming
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._cancel_read()
        self._in_head = True
        self._got_bytes = False
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self.waiting_since = self.loop.time()
        super().on_response_complete()

    def send_400_response(self, msg: str) -> None:
        if not self._refused:
            super().send_400_response(msg)

    # ------------------------------------------------------------------ timers

    def _arm_read(self, seconds: float) -> None:
        self._cancel_read()
        self._read_timer = self.loop.call_later(seconds, self._read_timed_out)

    def _cancel_read(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        if self._in_head:
            if self._got_bytes:  # a head begun and never finished: say so
                limit = self._limits.header_timeout
                self._answer(
                    408,
                    "request-timeout",
                    "Request timeout",
                    f"the request line and headers did not arrive within {limit:g} s",
                    FieldError(path="headers", message="headers too slow", rule="header_timeout", limit=limit),
                )
            else:  # nothing sent at all (or only keep-alive silence): no request to answer
                self.transport.close()
            return
        if self.flow.read_paused:  # the app is not reading yet: the client is not the one stalling
            self._arm_read(self._limits.idle_timeout)
            return
        self.transport.close()  # a body that stopped arriving: the route sees the client gone

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(self._limits.idle_timeout, self._write_timed_out)

    def resume_writing(self) -> None:
        self._cancel_write()
        super().resume_writing()

    def _cancel_write(self) -> None:
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def _write_timed_out(self) -> None:
        self._write_timer = None
        if not self.transport.is_closing():
            self.transport.abort()  # the client stopped reading its answer: drop what is buffered for it

    # ------------------------------------------------------------------ answers written here

    def _refuse_head(self) -> None:
        limit = self._limits.max_header_bytes
        self._answer(
            431,
            "header-too-large",
            "Request header fields too large",
            f"the request line and headers take more than {limit} bytes",
            FieldError(path="headers", message="headers too large", rule="max_header_bytes", limit=limit),
        )

    def _answer(self, status: int, slug: str, title: str, detail: str, error: FieldError) -> None:
        """Write a problem document and close: no request was handed to the app."""
        self._refused = True
        self._cancel_read()
        body = problem_json(status, slug, title, detail, [error])
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: ",
            PROBLEM_MEDIA_TYPE.encode(),
            b"\r\ncontent-length: ",
            str(len(body)).encode(),
            b"\r\nconnection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
