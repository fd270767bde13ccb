"""`create_app(settings)`: the FastAPI application factory (uvicorn: `ratecalc_api.app:create_app --factory`).

Tariffs load during start-up (a broken set stops the server from starting: there is nothing older to
serve); afterwards SIGHUP and POST /v1/admin/reload replace them atomically or refuse them.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import signal
import types
from contextlib import asynccontextmanager
from typing import AsyncIterator, Optional

import anyio
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema
from starlette.types import ASGIApp, Receive, Scope, Send

from ratecalc import TariffError, TariffSet, __version__

from . import errors, web
from .admission import Admission, cap_threads
from .deps import bearer_guard
from .edge import Edge, install_slash_redirect
from .fastquote import GZIP_LEVEL, GZIP_MINIMUM_SIZE, FastQuotes
from .fastquote import PATH as FAST_PATH
from .logs import setup_logging
from .metrics import Metrics
from .middleware import RequestMiddleware
from .models import BatchRequest
from .offload import Offload, Workers
from .parent import supervisor_pid, watch_parent
from .routers import admin, batch, catalog, curves, economics, health, quotes
from .settings import Settings
from .state import TariffHolder

log = logging.getLogger("ratecalc.api")

DESCRIPTION = """What each Ozon partner carrier charges for a parcel (China/HK → Russia), which services may
carry it and why the others may not. Money is exact (decimal strings); errors are RFC 9457 problem
documents (`application/problem+json`)."""


def _install_sighup(app: FastAPI, holder: TariffHolder) -> bool:
    """SIGHUP -> reload in a worker thread. Only possible on the main thread's loop (not under TestClient)."""
    loop = asyncio.get_running_loop()

    def on_hup() -> None:
        loop.create_task(anyio.to_thread.run_sync(holder.reload, "sighup"))

    try:
        loop.add_signal_handler(signal.SIGHUP, on_hup)
    except (NotImplementedError, RuntimeError, ValueError, AttributeError):
        return False
    return True


_ERRORS = {
    "401": "Missing or wrong bearer token",
    "413": "Request body or batch too large",
    "422": "Invalid input: every broken field with its JSON path, rule and limit",
    "503": "Tariffs not loaded",
}


def _openapi(app: FastAPI, settings: Settings) -> dict:
    """FastAPI's schema, plus BatchRequest (the batch route reads its body itself: JSON or NDJSON) and the
    NDJSON answer's final BatchSummary line, and
    every error response documented as what it is: an RFC 9457 problem (`application/problem+json`)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    _, defs = models_json_schema(
        [(BatchRequest, "validation"), (batch.BatchSummary, "serialization")],
        ref_template="#/components/schemas/{model}",
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, body in defs.get("$defs", {}).items():
        components.setdefault(name, body)
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            responses = op.setdefault("responses", {})
            if path.startswith("/v1"):
                wanted = ["422", "503"] + (["413"] if method == "post" else [])
                if settings.api_token or path.startswith("/v1/admin"):
                    wanted.append("401")
                for code in wanted:
                    responses.setdefault(code, {"description": _ERRORS[code]})
            for code, response in responses.items():
                if code[:1] in ("4", "5"):
                    response["content"] = problem
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema


# FastAPI's own OpenTelemetry layer (newer releases) asks the OpenTelemetry providers on every request
# whether one is configured: ~8 µs a request. The API's metrics and logs are its own (Prometheus at
# /metrics, the JSON access log), so that layer is off where FastAPI has it.
_NO_OTEL: dict = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


class _App(FastAPI):
    """FastAPI, offering `POST /v1/quotes` to the direct path (`quote_front`) before anything else."""

    quote_front: Optional[ASGIApp] = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        front = self.quote_front
        if front is not None and scope["type"] == "http" and scope["path"] == FAST_PATH and scope["method"] == "POST":
            await front(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(
    settings: Optional[Settings] = None, *, tariffs: Optional[TariffSet] = None, worker: bool = False
) -> FastAPI:
    """The app. `tariffs`: serve this already loaded set at start-up instead of loading one (embedding,
    tests); reloads still read the directories of `settings`. `worker`: the app a worker process runs
    for the offloaded routes (api/offload.py): the same routes without the edge layers, which the serving
    process has already applied to the request."""
    settings = settings or Settings()
    setup_logging(settings.log_level)
    metrics = Metrics()
    holder = TariffHolder(settings, metrics)
    workers = Workers(settings, holder, metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            ts = await anyio.to_thread.run_sync(holder.load) if tariffs is None else holder.install(tariffs)
        except TariffError as exc:
            log.error("cannot start: the tariff set is broken", extra={"problems": [str(p) for p in exc.problems]})
            raise
        cap_threads(settings.threads)
        if tariffs is None:  # a server loading its own set (serve) starts its workers now; an app handed a
            workers.warm_up()  # loaded set (embedding, tests) starts them when first needed
        parent = supervisor_pid()
        if parent is not None:
            watch_parent(parent)
        hup = _install_sighup(app, holder)
        log.info("tariffs loaded", extra={"checksum": ts.checksum, "files": len(ts.documents.files), "sighup": hup})
        del ts  # held here for the app's whole life, it would keep the start-up set alive after a reload
        try:
            yield
        finally:
            workers.close()
            if hup:
                asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)

    # /docs is served by api.web from assets the app itself holds (no CDN); /redoc would need one
    app = _App(
        title="ratecalc",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        **_NO_OTEL,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.holder = holder
    app.state.workers = workers
    errors.install(app)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )
    # gzip only when the client accepts it and the body is worth it; streamed NDJSON is compressed per chunk
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_SIZE, compresslevel=GZIP_LEVEL)
    if worker:
        _include_routes(app, settings)
        return app
    # the offloaded routes leave for a worker process here: inside the batch slots, outside gzip and CORS
    # (the worker's app has its own, so compression runs there too)
    app.add_middleware(Offload, workers=workers)
    fast = None
    if settings.fast_quotes and not settings.cors_origins:  # CORS adds its headers to every answer: its layer
        token = settings.api_token.get_secret_value().encode() if settings.api_token else None
        fast = FastQuotes(holder, metrics, api_token=token)
        # before Starlette's own outer layers (server errors, FastAPI's telemetry and body limit: ~7 µs a
        # request); what it hands on goes through the whole app, this same middleware included
        app.quote_front = RequestMiddleware(
            types.MethodType(FastAPI.__call__, app),
            metrics=metrics,
            max_body_bytes=settings.max_body_bytes,
            fast=fast,
            front=True,
        )
    # inside the request middleware (request id, metrics, access log): the batch slots, then the request rules
    app.add_middleware(Admission, slots=settings.max_concurrent_batches, retry_after=settings.retry_after)
    secret = settings.api_token.get_secret_value() if settings.api_token else None
    app.add_middleware(Edge, token=secret, open_routes=frozenset(settings.open_routes))
    app.add_middleware(RequestMiddleware, metrics=metrics, max_body_bytes=settings.max_body_bytes, fast=fast)

    _include_routes(app, settings)
    install_slash_redirect(app.router)
    app.openapi = lambda: _openapi(app, settings)  # type: ignore[method-assign]
    return app


def _include_routes(app: FastAPI, settings: Settings) -> None:
    app.include_router(health.router)
    v1_deps = (
        [Depends(bearer_guard(settings.api_token, "ApiToken", "RATECALC_API_TOKEN"))] if settings.api_token else []
    )
    for router in (quotes.router, batch.router, catalog.router, economics.router, curves.router):
        app.include_router(router, dependencies=v1_deps)  # routers carry their /v1 prefix
    if settings.admin_token:
        guard = bearer_guard(settings.admin_token, "AdminToken", "RATECALC_ADMIN_TOKEN")
        app.include_router(admin.router, dependencies=[Depends(guard)])

    web.install(app, page_enabled=not settings.api_token)
