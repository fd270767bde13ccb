"""CPU per `POST /v1/quotes` inside the server process, split into the library call and everything around it.

    python3 bench/bench_api_cpu.py [--n 3000] [--log-level INFO|WARNING] [--repeat 3]

The app is called as uvicorn calls it (one ASGI call per request: scope, receive, send) in this process,
with no sockets, so the figure is the application's own CPU per request: routing, middleware, body
validation, the quote, the JSON answer, metrics and the access log (written to /dev/null at INFO).
`bench/load_api.py` measures the whole server (HTTP parsing and socket I/O too) from /proc.

The same parcels are then quoted with the library alone (`TariffSet.quote_compact`, what the API calls for a
request without filters or expansions): the difference is what the HTTP layer costs. CPU time (this
thread) is the figure to trust on a shared machine; each figure is the best of --repeat runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_api import parcels  # noqa: E402

from api.app import create_app  # noqa: E402
from api.settings import Settings  # noqa: E402
from ratecalc import Parcel, TariffSet  # noqa: E402


def _scope(body: bytes, query: bytes = b"") -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 40000),
        "scheme": "http",
        "method": "POST",
        "root_path": "",
        "path": "/v1/quotes",
        "raw_path": b"/v1/quotes",
        "query_string": query,
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"accept", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "state": {},
    }


async def _through_app(app, bodies: list[bytes]) -> tuple[float, dict[int, int]]:
    """CPU seconds (this thread) for every body through the ASGI app, and the statuses answered."""
    statuses: dict[int, int] = {}

    async def one(body: bytes) -> None:
        sent = False

        async def receive() -> dict:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                statuses[message["status"]] = statuses.get(message["status"], 0) + 1

        await app(_scope(body), receive, send)

    c0 = time.thread_time()
    for body in bodies:
        await one(body)
    return time.thread_time() - c0, statuses


def _library(ts: TariffSet, items: list[Parcel]) -> float:
    c0 = time.thread_time()
    for p in items:
        ts.quote_compact(p)
    return time.thread_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="requests per run (varied parcels, load_api's pool)")
    ap.add_argument("--repeat", type=int, default=10, help="runs of each; the best of each is reported")
    ap.add_argument("--log-level", default="INFO", help="INFO writes the access log (to /dev/null)")
    args = ap.parse_args()
    os.environ.pop("RATECALC_API_TOKEN", None)
    ts = TariffSet.load()
    app = create_app(Settings(log_level=args.log_level), tariffs=ts)
    sink = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    for name in ("ratecalc.api", "ratecalc.api.access"):
        for h in logging.getLogger(name).handlers:
            if isinstance(h, logging.StreamHandler):
                h.setStream(sink)
    pool = parcels(args.n)
    bodies = [json.dumps(p).encode() for p in pool]
    # the same parcels as the library sees them (the API's own conversion, outside the timing)
    from api.models import QuoteRequest
    from api.quoting import to_parcel

    reqs = [QuoteRequest.model_validate(p) for p in pool]
    items = [to_parcel(r, r) for r in reqs]

    async def run() -> tuple[float, float, dict[int, int]]:
        async with app.router.lifespan_context(app):
            await _through_app(app, bodies[:200])  # warm up
            _library(ts, items[:200])
            app_best = lib_best = float("inf")
            statuses: dict[int, int] = {}
            for _ in range(args.repeat):  # interleaved: a change in the machine's load hits both alike
                cpu, statuses = await _through_app(app, bodies)
                app_best = min(app_best, cpu)
                lib_best = min(lib_best, _library(ts, items))
            return app_best, lib_best, statuses

    app_cpu, lib_cpu, statuses = asyncio.run(run())
    n = len(bodies)
    print(
        f"POST /v1/quotes in-process, {n} varied parcels, log level {args.log_level}, best of {args.repeat}: "
        f"statuses {statuses}"
    )
    print(f"  whole app        {app_cpu / n * 1e6:8.1f} µs CPU per request")
    print(f"  library call     {lib_cpu / n * 1e6:8.1f} µs  (TariffSet.quote_compact)")
    print(f"  around it        {(app_cpu - lib_cpu) / n * 1e6:8.1f} µs  (HTTP layer: everything else in the app)")


if __name__ == "__main__":
    main()
