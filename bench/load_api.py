"""Load test of the HTTP API against a real uvicorn on 127.0.0.1 (httpx async driver; stops by itself).

    python3 bench/load_api.py                       # starts `ratecalc serve`, runs every scenario, stops it
    python3 bench/load_api.py --workers 2 --rate 1000 --duration 10
    python3 bench/load_api.py --url http://127.0.0.1:8000 --scenarios single-open

Scenarios (each bounded by --duration seconds and a request cap):
- healthz-closed: GET /healthz as fast as the driver can: the harness's own ceiling on this machine.
- single-open:    POST /v1/quotes at a fixed arrival rate (--rate/s, open loop). Latency is measured from
                  each request's *scheduled* start, so a server (or driver) that falls behind shows up
                  in p99 instead of silently lowering the rate (no coordinated omission).
- single-closed:  POST /v1/quotes with --concurrency requests in flight: the maximum throughput.
- batch-100 / batch-1000: POST /v1/quotes/batch with 100 / 1,000 parcels, 2 in flight.

Parcels are varied (weights, sizes, dates in the USD era and the shipment-group era, declared prices),
drawn from a fixed seed, so no answer can be served from a cache. Server-side latency (from the API's
own Prometheus histogram, bucket upper bounds) is printed next to the client-side figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import httpx


def parcels(n: int, seed: int = 7) -> list[dict]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        era = rnd.random()
        p: dict = {
            "weight_g": rnd.randint(50, 30_000),
            "dims_mm": [rnd.randint(50, 700), rnd.randint(50, 500), rnd.randint(20, 400)],
        }
        if era < 0.5:
            p["date"] = f"2022-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        else:
            p["date"] = f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
            p["value"] = f"{rnd.randint(1, 400_000)}RUB"
        if rnd.random() < 0.2:
            p["delivery"] = "courier"
        if rnd.random() < 0.1:
            p["battery"] = True
        out.append(p)
    return out


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0  # transport errors and non-2xx
    elapsed: float = 0.0
    parcels_per_request: int = 1
    target_rate: Optional[float] = None
    server: str = ""

    def add(self, status: Optional[int], latency: float) -> None:
        self.latencies.append(latency)
        if status is None or status >= 300:
            self.errors += 1
        if status is not None:
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def line(self) -> str:
        n = len(self.latencies)
        if not n:
            return f"{self.name:15s} no requests"
        q = statistics.quantiles(self.latencies, n=100, method="inclusive") if n > 1 else [self.latencies[0]] * 99
        rps = n / self.elapsed
        target = f"{self.target_rate:7.0f}" if self.target_rate else "      -"
        parcels_s = f"{rps * self.parcels_per_request:9.0f}" if self.parcels_per_request > 1 else "        -"
        return (
            f"{self.name:15s} {target} {rps:8.1f} {parcels_s} {n:7d} {self.errors:6d} "
            f"{q[49] * 1000:8.2f} {q[89] * 1000:8.2f} {q[98] * 1000:8.2f} {max(self.latencies) * 1000:8.2f}  {self.server}"
        )


HEADER = (
    f"{'scenario':15s} {'target':>7s} {'req/s':>8s} {'parcels/s':>9s} {'requests':>7s} {'errors':>6s} "
    f"{'p50 ms':>8s} {'p90 ms':>8s} {'p99 ms':>8s} {'max ms':>8s}  server-side p50/p99 (histogram bucket)"
)


async def _send(client: httpx.AsyncClient, method: str, path: str, body: Optional[bytes]) -> int:
    if body is None:
        r = await client.request(method, path)
    else:
        r = await client.request(method, path, content=body, headers={"content-type": "application/json"})
    await r.aread()
    return r.status_code


async def closed_loop(client, name, method, path, bodies, concurrency, duration, cap, per_request=1) -> Result:
    res = Result(name, parcels_per_request=per_request)
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + duration
    counter = iter(range(cap))

    async def worker() -> None:
        for i in counter:
            if loop.time() >= stop_at:
                return
            body = bodies[i % len(bodies)] if bodies else None
            t0 = loop.time()
            try:
                status: Optional[int] = await _send(client, method, path, body)
            except httpx.HTTPError:
                status = None
            res.add(status, loop.time() - t0)

    t = loop.time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    res.elapsed = loop.time() - t
    return res


async def open_loop(client, name, path, bodies, rate, duration, max_inflight) -> Result:
    res = Result(name, target_rate=rate)
    loop = asyncio.get_running_loop()
    n = int(rate * duration)
    sem = asyncio.Semaphore(max_inflight)
    start = loop.time() + 0.05

    async def one(i: int, scheduled: float) -> None:
        async with sem:
            try:
                status: Optional[int] = await _send(client, "POST", path, bodies[i % len(bodies)])
            except httpx.HTTPError:
                status = None
        res.add(status, loop.time() - scheduled)  # from the scheduled start: queueing counts

    tasks = []
    for i in range(n):
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, scheduled)))
    # Bounded: whatever has not finished 2 x duration after the start counts as an error (timed out).
    _, pending = await asyncio.wait(tasks, timeout=max(0.0, start + 2 * duration - loop.time()))
    for t in pending:
        t.cancel()
    for _ in pending:
        res.add(None, loop.time() - start)
    res.elapsed = max(loop.time() - start, n / rate)
    return res


def _buckets(text: str, route: str) -> dict[float, float]:
    out = {}
    for line in text.splitlines():
        if line.startswith("ratecalc_http_request_duration_seconds_bucket") and f'route="{route}"' in line:
            le = line.split('le="', 1)[1].split('"', 1)[0]
            out[float("inf") if le == "+Inf" else float(le)] = out.get(float("inf") if le == "+Inf" else float(le), 0) + float(line.rsplit(" ", 1)[1])
    return out


def server_side(before: str, after: str, route: str) -> str:
    b, a = _buckets(before, route), _buckets(after, route)
    delta = {le: a.get(le, 0) - b.get(le, 0) for le in a}
    total = delta.get(float("inf"), 0)
    if not total:
        return "n/a"

    def q(p: float) -> str:
        for le in sorted(delta):
            if delta[le] >= p * total:
                return "inf" if le == float("inf") else f"<={le * 1000:g} ms"
        return "?"

    return f"{q(0.5)} / {q(0.99)}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "RATECALC_API_TOKEN": "", "RATECALC_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from ratecalc.cli import main; main()", "serve", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                # every worker loads its own tariffs: give the others a moment after the first is ready
                time.sleep(1.0 if workers > 1 else 0.0)
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit("the server exited during start-up")
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not become ready in 60 s")


async def run(args) -> None:
    pool = parcels(2000)
    singles = [json.dumps(p).encode() for p in pool]
    batch100 = [json.dumps({"parcels": pool[i : i + 100]}).encode() for i in range(0, 1000, 100)]
    batch1000 = [json.dumps({"parcels": pool[i : i + 1000]}).encode() for i in (0, 1000)]
    limits = httpx.Limits(max_connections=max(args.concurrency, args.max_inflight), max_keepalive_connections=max(args.concurrency, args.max_inflight))
    scenarios: dict[str, Callable] = {
        "healthz-closed": lambda c: closed_loop(c, "healthz-closed", "GET", "/healthz", None, args.concurrency, args.duration, 200_000),
        "single-open": lambda c: open_loop(c, "single-open", "/v1/quotes", singles, args.rate, args.duration, args.max_inflight),
        "single-closed": lambda c: closed_loop(c, "single-closed", "POST", "/v1/quotes", singles, args.concurrency, args.duration, 200_000),
        "batch-100": lambda c: closed_loop(c, "batch-100", "POST", "/v1/quotes/batch", batch100, 2, args.duration, 2_000, 100),
        "batch-1000": lambda c: closed_loop(c, "batch-1000", "POST", "/v1/quotes/batch", batch1000, 2, max(args.duration, 15), 200, 1000),
    }
    routes = {"healthz-closed": "/healthz", "batch-100": "/v1/quotes/batch", "batch-1000": "/v1/quotes/batch"}
    async with httpx.AsyncClient(base_url=args.url, limits=limits, timeout=120) as client:
        # warm up: every connection, the compiled tariffs, both eras
        await asyncio.gather(*(_send(client, "POST", "/v1/quotes", singles[i]) for i in range(50)))
        print(HEADER, flush=True)
        for name in args.scenarios:
            before = (await client.get("/metrics")).text
            res = await scenarios[name](client)
            after = (await client.get("/metrics")).text
            res.server = server_side(before, after, routes.get(name, "/v1/quotes"))
            print(res.line(), flush=True)
            if res.errors:
                print(f"{'':15s} statuses: {dict(sorted(res.statuses.items()))}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="an already running server (default: start `ratecalc serve` on a free port)")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn workers when this script starts the server")
    ap.add_argument("--rate", type=float, default=1000.0, help="arrival rate of single-open, requests/s")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    ap.add_argument("--concurrency", type=int, default=16, help="requests in flight, closed-loop scenarios")
    ap.add_argument("--max-inflight", type=int, default=256, help="connection cap of the open-loop scenario")
    ap.add_argument(
        "--scenarios",
        nargs="+",
        default=["healthz-closed", "single-open", "single-closed", "batch-100", "batch-1000"],
        help="which scenarios, in order",
    )
    args = ap.parse_args()
    proc = None
    if args.url is None:
        proc, args.url = start_server(args.workers)
    print(
        f"# ratecalc API load test: {args.url}, workers={args.workers if proc else '?'}, cpus={os.cpu_count()}, "
        f"duration={args.duration:g}s/scenario, python {sys.version.split()[0]}",
        flush=True,
    )
    try:
        asyncio.run(run(args))
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
