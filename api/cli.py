"""The `ratecalc` command: the library's commands plus `serve`, which runs this HTTP API under uvicorn.

The API sits on top of the library, so it is the API that adds its command to the library's CLI (the
library never imports the API); the `ratecalc` console script points here. Settings come from the
environment (`RATECALC_*`, see settings.py); the options of `serve` are the ones an operator changes per
run. The server stack is imported inside the command, so the other commands do not pay for it and work
without the `api` extra.

This package is `api` in a source checkout and `ratecalc_api` once installed: it names itself through
`__package__`, never by a fixed name.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from ratecalc.cli import build_app

if TYPE_CHECKING:
    from .settings import Settings

APP_FACTORY = f"{__package__}.app:create_app"  # what uvicorn imports in each worker: this package, by its own name


# `serve` flag -> the setting it overrides (api/settings.py). Workers are separate processes that read their
# settings from the environment, so a flag given is exported as RATECALC_<NAME> before uvicorn starts.
EDGE_FLAGS = (
    "max_header_bytes",
    "header_timeout",
    "idle_timeout",
    "keep_alive",
    "max_connections",
    "max_concurrent_batches",
    "retry_after",
    "threads",
    "processes",
    "max_batch",
    "max_body_bytes",
    "open_routes",
)


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (0.0.0.0 in a container)."),
        port: int = typer.Option(8000, "--port", help="TCP port."),
        workers: int = typer.Option(1, "--workers", min=1, help="Worker processes (each loads the tariffs)."),
        tariffs: Optional[List[Path]] = typer.Option(
            None, "--tariffs", help="Extra tariff directory layered over the built-in one (repeatable)."
        ),
        log_level: str = typer.Option("info", "--log-level", help="debug, info, warning, error."),
        max_header_bytes: Optional[int] = typer.Option(
            None, help="Largest request line plus headers, bytes (431 beyond). Default 32768."
        ),
        header_timeout: Optional[float] = typer.Option(
            None, help="Seconds to send a request's line and headers (408 beyond). Default 10."
        ),
        idle_timeout: Optional[float] = typer.Option(
            None, help="Seconds a body may stall or an answer lie unread before the connection closes. Default 30."
        ),
        keep_alive: Optional[float] = typer.Option(
            None, help="Seconds an idle keep-alive connection stays open. Default 5."
        ),
        max_connections: Optional[int] = typer.Option(
            None,
            help="Open connections per worker; beyond, the one waiting longest for a request makes room. Default 1000.",
        ),
        max_concurrent_batches: Optional[int] = typer.Option(
            None, help="Batch requests in progress per worker (503 + Retry-After beyond). Default 2."
        ),
        retry_after: Optional[int] = typer.Option(None, help="Seconds in Retry-After of a 503 for load. Default 2."),
        threads: Optional[int] = typer.Option(None, help="Worker threads per worker for CPU work. Default 8."),
        processes: Optional[int] = typer.Option(
            None, help="Processes per worker answering batches, economics and curves (0: threads). Default 2."
        ),
        max_batch: Optional[int] = typer.Option(
            None, help="Most parcels or items in one batch (413 beyond). Default 10000."
        ),
        max_body_bytes: Optional[int] = typer.Option(
            None, help="Largest request body, bytes (413 beyond). Default 8 MiB."
        ),
        open_routes: Optional[str] = typer.Option(
            None,
            help="With RATECALC_API_TOKEN set, the routes answered without it: comma-separated among healthz, "
            "readyz, metrics, openapi, docs (empty: none). Default all five.",
        ),
    ) -> None:
        """Serve the comparison page at / and the HTTP API (docs at /docs). SIGHUP or POST
        /v1/admin/reload reloads the tariffs. Every limit is a flag and a RATECALC_* variable (docs/limits.md)."""
        try:
            import uvicorn

            from .logs import uvicorn_log_config
        except ImportError as exc:  # pragma: no cover - depends on the install
            typer.echo(f"error: the API needs the 'api' extra: pip install 'ratecalc[api]' ({exc})", err=True)
            raise typer.Exit(2)
        if tariffs:
            # Workers are separate processes: hand the directories over through the environment.
            os.environ["RATECALC_TARIFF_DIRS"] = os.pathsep.join(str(p) for p in tariffs)
        os.environ["RATECALC_LOG_LEVEL"] = log_level.upper()
        given = locals()
        for name in EDGE_FLAGS:
            if given[name] is not None:
                os.environ["RATECALC_" + name.upper()] = str(given[name])
        settings = _check(typer)
        if workers > 1:
            # Workers watch this pid and stop when it dies (api/parent.py): no orphans holding the port.
            os.environ["RATECALC_SUPERVISOR_PID"] = str(os.getpid())
        if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # One /metrics for all workers: prometheus_client's multiprocess mode (set before workers start).
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ratecalc-metrics-")
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
        page = "" if os.environ.get("RATECALC_API_TOKEN") else f"the page at http://{shown}:{port}/ and "
        typer.echo(f"ratecalc: {page}the API docs at http://{shown}:{port}/docs", err=True)
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=uvicorn_log_config(log_level),
            access_log=False,  # the app writes its own JSON access log, with the request id
            proxy_headers=False,
            **_edge_options(settings),
        )


def _edge_options(settings: Settings) -> dict:
    """uvicorn's options for the HTTP edge: the bounded protocol (api/protocol.py) where httptools is
    installed (uvicorn[standard]), else h11 with its header-size limit."""
    try:
        import httptools  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the install
        http = "h11"
    else:
        http = f"{__package__}.protocol:EdgeProtocol"
    return {
        "http": http,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "timeout_keep_alive": settings.keep_alive,
    }


def _check(typer_mod) -> Settings:
    """Settings and tariffs checked before uvicorn starts: one clear message and exit 2, not a traceback."""
    from pydantic import ValidationError

    from ratecalc import TariffError, TariffSet

    from .settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        for e in exc.errors():
            name = "RATECALC_" + "_".join(str(p) for p in e["loc"]).upper()
            typer_mod.echo(f"error: {name}: {e['msg'].removeprefix('Value error, ')}", err=True)
        raise typer_mod.Exit(2)
    try:
        TariffSet.load(settings.tariff_dirs, builtin=settings.builtin_tariffs)
    except TariffError as exc:
        typer_mod.echo("error: the tariff set is broken; not starting:", err=True)
        for problem in exc.problems:
            typer_mod.echo(f"  {problem}", err=True)
        raise typer_mod.Exit(2)
    return settings


app = build_app(register)


def main() -> None:
    from ratecalc.cli._common import run_app

    run_app(app, unchecked=("serve",))  # the server's logs are its own handlers' concern
