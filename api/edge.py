"""What every request must satisfy before a route sees it, in one pure-ASGI layer (inside the request
middleware, so its answers carry the request id and are counted and logged like any other):

- `HEAD` is answered wherever `GET` is: the request runs as a GET and the server sends the headers only
  (FastAPI registers GET routes without HEAD, so every HEAD was a 405);
- a body sent to a JSON-only route (`POST /v1/quotes`, `/v1/economics`, `/v1/economics/batch`) with
  another media type (text/plain, a form, multipart) is a 415, as the batch route already answered;
- a JSON or NDJSON body must be UTF-8 without a byte order mark: a BOM or the NUL bytes of UTF-16 and
  UTF-32 are a 422 naming the encoding (the parsers underneath guessed the encoding and read them);
- with `RATECALC_API_TOKEN` set, the operational routes not listed in `RATECALC_OPEN_ROUTES` need the
  token too (by default all five stay open: probes and scrapers seldom carry one, and they show no data).

The trailing-slash redirect (`/v1/carriers/` -> `/v1/carriers`) lives here too: Starlette's builds an
absolute `Location` from the request's `Host` header, which a client chooses; `redirect` answers with
the path alone, which a client resolves against the address it actually used.
"""

from __future__ import annotations

import secrets
from types import SimpleNamespace
from typing import Optional
from urllib.parse import quote

from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import FieldError, invalid, send_problem

JSON_ONLY_ROUTES = frozenset({"/v1/quotes", "/v1/economics", "/v1/economics/batch"})
OPERATIONAL_PATHS = {"/healthz": "healthz", "/readyz": "readyz", "/metrics": "metrics", "/openapi.json": "openapi"}
DOCS_PREFIXES = ("/docs", "/assets/swagger")
_TEXT_TYPES = (b"application/json", b"application/x-ndjson", b"application/ndjson", b"application/jsonl")

# byte order marks, longest first (UTF-32's begin with UTF-16's)
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xef\xbb\xbf", "UTF-8 with a byte order mark"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


class Edge:
    """The request rules above. `token`: the API token, or None when the API is open."""

    def __init__(self, app: ASGIApp, token: Optional[str] = None, open_routes: frozenset[str] = frozenset()):
        self.app = app
        self.token = token.encode() if token else None
        self.open_routes = open_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if self.token is not None and not self._open(path) and not self._authorized(scope):
            name_route(scope)
            await send_problem(
                send,
                401,
                "unauthorized",
                "Unauthorized",
                "a valid bearer token is required (RATECALC_API_TOKEN; see RATECALC_OPEN_ROUTES)",
                instance=path,
                headers=[(b"www-authenticate", b'Bearer realm="ratecalc"')],
            )
            return
        if method == "HEAD":
            await self._as_get(scope, receive, send)
            return
        if method in ("POST", "PUT", "PATCH"):
            ctype = _media_type(scope)
            if path in JSON_ONLY_ROUTES and ctype is not None and not _is_json(ctype):
                name_route(scope)
                await send_problem(
                    send,
                    415,
                    "unsupported-media-type",
                    "Unsupported media type",
                    f"send application/json, not {ctype.decode('latin-1')!r}",
                    instance=path,
                )
                return
            if ctype is None or _is_json(ctype) or ctype in _TEXT_TYPES:
                receive = _utf8_only(receive)
        await self.app(scope, receive, send)

    def _open(self, path: str) -> bool:
        name = OPERATIONAL_PATHS.get(path)
        if name is None and path.startswith(DOCS_PREFIXES):
            name = "docs"
        return name is None or name in self.open_routes  # not an operational route: its router guards it

    def _authorized(self, scope: Scope) -> bool:
        assert self.token is not None
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, credentials = value.partition(b" ")
                return scheme.lower() == b"bearer" and secrets.compare_digest(credentials.strip(), self.token)
        return False

    async def _as_get(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run as GET; the scope says HEAD again before the answer starts, so the server sends no body."""
        scope["method"] = "GET"

        async def head_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                scope["method"] = "HEAD"
            elif message["type"] == "http.response.body":  # the headers (content-length too) stay the GET's
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(scope, receive, head_send)
        finally:
            scope["method"] = "HEAD"


def name_route(scope: Scope) -> None:
    """Label an answer given before routing with its path, as the router names a route in the metrics and
    the access log (`RequestMiddleware` reads `scope["route"].path`)."""
    scope.setdefault("route", SimpleNamespace(path=scope["path"]))


def _media_type(scope: Scope) -> Optional[bytes]:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower()
    return None


def _is_json(ctype: bytes) -> bool:
    return ctype == b"application/json" or (ctype.startswith(b"application/") and ctype.endswith(b"+json"))


def _utf8_only(receive: Receive) -> Receive:
    """A receive that refuses (422) a body starting with a byte order mark or holding a NUL byte: JSON in
    UTF-8 has neither (a NUL inside a string is written \\u0000), UTF-16 and UTF-32 JSON always has both."""
    first = True

    async def checked() -> Message:
        nonlocal first
        message = await receive()
        body = message.get("body", b"") if message["type"] == "http.request" else b""
        if body:
            found = None
            if first:
                found = next((name for bom, name in _BOMS if body.startswith(bom)), None)
                first = False
            if found is None and b"\x00" in body:
                found = "UTF-16 or UTF-32"
            if found is not None:
                raise invalid(
                    [
                        FieldError(
                            path="$",
                            message=f"not valid JSON: the body must be UTF-8 without a byte order mark, not {found}",
                            rule="json_invalid",
                            limit="UTF-8",
                        )
                    ]
                )
        return message

    return checked


def install_slash_redirect(router: Router) -> None:
    """Replace Starlette's trailing-slash redirect with one whose Location is the path, never a host."""
    router.redirect_slashes = False
    not_found = router.default

    async def redirect(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path not in ("", "/"):
            other = path.rstrip("/") if path.endswith("/") else path + "/"
            probe = {**scope, "path": other}
            if other and any(route.matches(probe)[0] is not Match.NONE for route in router.routes):
                # one leading slash: "//host/x" would be read as another host (a protocol-relative URL)
                location = quote("/" + (scope.get("root_path", "") + other).lstrip("/"), safe="/:@!$&'()*+,;=~")
                if scope.get("query_string"):
                    location += "?" + scope["query_string"].decode("latin-1")
                await send(
                    {
                        "type": "http.response.start",
                        "status": 307,
                        "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")],
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return
        await not_found(scope, receive, send)

    router.default = redirect
