"""`POST /v1/quotes` answered straight from the ASGI call, without FastAPI's routing, dependencies and body
handling: the same answer for a fraction of the CPU.

One quote is ~0.1–0.3 ms of library work; through FastAPI (routing, dependency solving, `json.loads` then
validation, the exception and gzip middleware layers) the request cost ~0.6 ms more. Here the body is
validated once from its bytes (`QuoteRequest`'s validator, `validate_json`) and the answer is built by the
route's own function (`quoting.quote_answer`). The app (`app._App`) offers these requests to a front
instance of `RequestMiddleware` before Starlette's outer layers; what it hands on goes through the whole
app, where the stack's own `RequestMiddleware` counts and logs it.

Only the plain success case is answered here. Anything else is handed, body and all, to the FastAPI route,
which answers it exactly as before: an invalid body or query (the 422 problem with every field), another
media type, a missing or wrong bearer token (401), tariffs not loaded (503), a body over the limit (413),
the library refusing the parcel. With CORS origins configured the path is off (the CORS layer varies
every answer on `Origin`). Whatever this path answers, the route would answer
with the same status, headers and bytes (`tests/test_api_fastquote.py` holds them equal); the OpenAPI
schema is the route's.
"""

from __future__ import annotations

import secrets
import zlib
from typing import Optional

from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiProblem
from .metrics import Metrics
from .models import QuoteRequest
from .quoting import quote_answer
from .state import TariffHolder

PATH = "/v1/quotes"
DECLINED = "ratecalc.direct_declined"  # scope key: the direct path saw this request and handed it on

# The app's GZipMiddleware settings (app.py uses these): compressed here the same way when accepted.
GZIP_MINIMUM_SIZE = 1024
GZIP_LEVEL = 5

_validate_json = QuoteRequest.__pydantic_validator__.validate_json
_JSON = b"application/json"


class FastQuotes:
    """Answers the plain `POST /v1/quotes` requests; `RequestMiddleware` calls it for that path only."""

    def __init__(self, holder: TariffHolder, metrics: Metrics, *, api_token: Optional[bytes]):
        self.holder = holder
        self.quotes_counter = metrics.quotes.labels("single")
        self.api_token = api_token

    def eligible(self, headers: dict[bytes, bytes]) -> bool:
        """Whether the request's headers allow the direct path (see the module docstring)."""
        # JSON as every FastAPI release reads it (without a media type, newer ones refuse the body)
        ctype = headers.get(b"content-type")
        if ctype is None or (ctype != _JSON and ctype.split(b";", 1)[0].strip().lower() != _JSON):
            return False
        if self.api_token is not None:
            # what the route's HTTPBearer + guard accept: "Bearer <token>", any case of "Bearer"
            scheme, _, param = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
            credentials = param.strip()
            if scheme.lower() != "bearer" or not credentials:
                return False
            if not secrets.compare_digest(credentials.encode(), self.api_token):
                return False
        return True

    async def __call__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[bytes, bytes],
        fallback: ASGIApp,
        fallback_receive: Receive,
        fallback_send: Send,
    ) -> bool:
        """Answer the request (True), or hand it to `fallback`, the FastAPI app, as if unread (False).

        `receive` counts the body against its limit and `send` adds the request id; the fallback gets
        `fallback_receive` (behind the body read so far) and `fallback_send`: the same two when the app
        inside is the rest of the middleware stack, the server's own when it is the whole app (which
        counts, identifies and logs the request itself)."""
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":  # the client went away: let the framework see it
                    await fallback(scope, _replay(chunks, message, fallback_receive), fallback_send)
                    return False
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except ApiProblem as exc:  # over the body limit (the middleware's receive counts): the route's 413
            await fallback(scope, _raising(exc), fallback_send)
            return False
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        ts = self.holder.current
        answer = None
        if ts is not None:
            try:
                request = _validate_json(body)
                query = scope.get("query_string", b"")
                answer = quote_answer(ts, request, QueryParams(query).getlist("expand") if query else ())
            except Exception:  # invalid input, a refusal, a fault: the route answers (problem, or the 500)
                answer = None
        if answer is None:
            await fallback(scope, _replay(chunks, None, fallback_receive), fallback_send)
            return False
        self.quotes_counter.inc()
        out = [(b"content-length", b""), (b"content-type", _JSON)]
        if len(answer) >= GZIP_MINIMUM_SIZE:
            out.append((b"vary", b"Accept-Encoding"))
            if b"gzip" in headers.get(b"accept-encoding", b""):
                z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
                answer = z.compress(answer) + z.flush()
                out.append((b"content-encoding", b"gzip"))
        out[0] = (b"content-length", str(len(answer)).encode())
        await send({"type": "http.response.start", "status": 200, "headers": out})
        await send({"type": "http.response.body", "body": answer})
        return True


def _replay(chunks: list[bytes], last: Optional[Message], receive: Receive) -> Receive:
    """A receive that gives the body read so far again (then `last`, if reading stopped at it), then
    whatever `receive` gives."""
    pending: list[Message] = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    if last is not None:
        pending.append(last)
    elif pending:
        pending[-1]["more_body"] = False

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def _raising(exc: Exception) -> Receive:
    async def receive() -> Message:
        raise exc

    return receive
