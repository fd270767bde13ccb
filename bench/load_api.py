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
- batch-10000-ndjson: one POST /v1/quotes/batch of 10,000 parcels, NDJSON in and out (streamed); read
                  `rss MB` (the server's peak resident memory) and whether /healthz stays answerable.

The default driver (`--client raw`) is a minimal HTTP/1.1 keep-alive client on asyncio streams: on this
machine httpx's async client costs ~4 ms of CPU per request, which made the driver, not the server, the
bottleneck (healthz at ~120 req/s). `--client httpx` is still there to compare.

Server CPU per answered request and resident memory are read from /proc for the server's process tree
(`cpu ms/r`, `rss MB`): latency alone hides a server that is fast only because the machine is idle. On a
machine shared with other work, CPU per request is the figure to compare, not latency; it still runs
2-3x the same code's CPU in a hot loop (`bench/bench_api_cpu.py`): between requests the other processes
evict the caches. The server logs at --server-log-level (default warning: no access log; info writes the
JSON access log line of every request to /dev/null, as production does).

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
from typing import Callable, Optional, Union

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
    transport: dict[str, int] = field(default_factory=dict)  # transport errors by exception type
    errors: int = 0  # transport errors and non-2xx
    elapsed: float = 0.0
    parcels_per_request: int = 1
    target_rate: Optional[float] = None
    server: str = ""
    server_cpu_s: Optional[float] = None  # CPU seconds the server processes used during the scenario (/proc)
    server_rss_mb: Optional[float] = None  # peak resident memory of the server processes so far (VmHWM)

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
        rps = sum(self.statuses.values()) / self.elapsed  # answered requests only (timeouts excluded)
        target = f"{self.target_rate:7.0f}" if self.target_rate else "      -"
        parcels_s = f"{rps * self.parcels_per_request:9.0f}" if self.parcels_per_request > 1 else "        -"
        answered = sum(self.statuses.values())
        cpu = (
            f"{self.server_cpu_s / answered * 1000:8.3f}" if self.server_cpu_s is not None and answered else "       -"
        )
        rss = f"{self.server_rss_mb:7.0f}" if self.server_rss_mb is not None else "      -"
        return (
            f"{self.name:15s} {target} {rps:8.1f} {parcels_s} {n:7d} {self.errors:6d} "
            f"{q[49] * 1000:8.2f} {q[89] * 1000:8.2f} {q[98] * 1000:8.2f} {max(self.latencies) * 1000:8.2f} "
            f"{cpu} {rss}  {self.server}"
        )


HEADER = (
    f"{'scenario':15s} {'target':>7s} {'answ/s':>8s} {'parcels/s':>9s} {'requests':>7s} {'errors':>6s} "
    f"{'p50 ms':>8s} {'p90 ms':>8s} {'p99 ms':>8s} {'max ms':>8s} {'cpu ms/r':>8s} {'rss MB':>7s}  "
    "server-side p50/p99 (histogram bucket)"
)


Body = Union[bytes, tuple[bytes, str], None]
"""A request body: JSON bytes, or (bytes, content type) for another type (NDJSON)."""


def _typed(body: Body) -> tuple[Optional[bytes], str]:
    if isinstance(body, tuple):
        return body
    return body, "application/json"


class RawClient:
    """HTTP/1.1 over asyncio streams, keep-alive, one request per connection at a time (no pipelining)."""

    def __init__(self, url: str, max_connections: int):
        hostport = url.split("://", 1)[1].rstrip("/")
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.sem = asyncio.Semaphore(max_connections)

    async def _new(self):
        reader, writer = await asyncio.open_connection(self.host, self.port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return reader, writer

    async def request(self, method: str, path: str, body: Body) -> int:
        body, ctype = _typed(body)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
        if body is not None:
            head += f"Content-Type: {ctype}\r\nAccept: {ctype}\r\nContent-Length: {len(body)}\r\n"
        payload = head.encode() + b"\r\n" + (body or b"")
        async with self.sem:
            reused = bool(self.idle)
            reader, writer = self.idle.pop() if reused else await self._new()
            try:
                try:
                    writer.write(payload)
                    first = await reader.readline()
                except (ConnectionResetError, BrokenPipeError):
                    if not reused:
                        raise
                    first = b""  # the server closed it while it sat idle (RST instead of FIN): as below
                if not first:  # the server closed this idle keep-alive connection (uvicorn: after 5 s): retry once
                    writer.close()
                    reader, writer = await self._new()
                    writer.write(payload)
                    first = await reader.readline()
                status = int(first.split()[1])
                length, chunked = 0, False
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"transfer-encoding" and b"chunked" in value.lower():
                        chunked = True
                if chunked:
                    while True:
                        size = int((await reader.readline()).strip(), 16)
                        await reader.readexactly(size + 2)
                        if size == 0:
                            break
                else:
                    await reader.readexactly(length)
            except BaseException:
                writer.close()
                raise
            self.idle.append((reader, writer))
            return status

    async def aclose(self) -> None:
        for _, writer in self.idle:
            writer.close()


class HttpxClient:
    def __init__(self, url: str, max_connections: int):
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self.client = httpx.AsyncClient(base_url=url, limits=limits, timeout=120)

    async def request(self, method: str, path: str, body: Body) -> int:
        body, ctype = _typed(body)
        headers = {"content-type": ctype, "accept": ctype} if body is not None else None
        r = await self.client.request(method, path, content=body, headers=headers)
        await r.aread()
        return r.status_code

    async def aclose(self) -> None:
        await self.client.aclose()


TRANSPORT_ERRORS = (httpx.HTTPError, OSError, asyncio.IncompleteReadError, ValueError, IndexError)


NDJSON = "application/x-ndjson"


async def _send(client, method: str, path: str, body: Body) -> int:
    return await client.request(method, path, body)


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
            except TRANSPORT_ERRORS as exc:
                status = None
                res.transport[type(exc).__name__] = res.transport.get(type(exc).__name__, 0) + 1
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
            except TRANSPORT_ERRORS as exc:
                status = None
                res.transport[type(exc).__name__] = res.transport.get(type(exc).__name__, 0) + 1
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
            out[float("inf") if le == "+Inf" else float(le)] = out.get(
                float("inf") if le == "+Inf" else float(le), 0
            ) + float(line.rsplit(" ", 1)[1])
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


def _tree(pid: int) -> list[int]:
    """The pid and all its descendants (uvicorn workers), from /proc."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:
            continue
    return out


def _peak_mb(pid: int, current_mb: float) -> float:
    """Peak resident memory of a process so far (VmHWM), or its current RSS when /proc hides it."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return current_mb


def server_usage(pid: Optional[int]) -> tuple[Optional[float], Optional[float]]:
    """(CPU seconds user + system, resident MB) of the server's process tree; (None, None) without /proc."""
    if pid is None or not os.path.isdir(f"/proc/{pid}"):
        return None, None
    tick = os.sysconf("SC_CLK_TCK")
    page = os.sysconf("SC_PAGE_SIZE")
    cpu = rss = 0.0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / tick  # utime, stime (fields 14, 15 of proc(5))
        rss += _peak_mb(p, int(fields[21]) * page / 2**20)
    return cpu, rss


SCENARIOS = {"healthz-closed", "single-open", "single-closed", "batch-100", "batch-1000", "batch-10000-ndjson"}


def start_server(workers: int, log_level: str = "warning") -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "RATECALC_API_TOKEN": "", "RATECALC_LOG_LEVEL": log_level.upper()}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from api.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            log_level,
        ],
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
    ndjson10k = "".join(json.dumps(pool[i % len(pool)]) + "\n" for i in range(10_000)).encode()
    singles = [json.dumps(p).encode() for p in pool]
    batch100 = [json.dumps({"parcels": pool[i : i + 100]}).encode() for i in range(0, 1000, 100)]
    batch1000 = [json.dumps({"parcels": pool[i : i + 1000]}).encode() for i in (0, 1000)]
    scenarios: dict[str, Callable] = {
        "healthz-closed": lambda c: closed_loop(
            c, "healthz-closed", "GET", "/healthz", None, args.concurrency, args.duration, 200_000
        ),
        "single-open": lambda c: open_loop(
            c, "single-open", "/v1/quotes", singles, args.rate, args.duration, args.max_inflight
        ),
        "single-closed": lambda c: closed_loop(
            c, "single-closed", "POST", "/v1/quotes", singles, args.concurrency, args.duration, 200_000
        ),
        "batch-100": lambda c: closed_loop(
            c, "batch-100", "POST", "/v1/quotes/batch", batch100, 2, args.duration, 2_000, 100
        ),
        "batch-1000": lambda c: closed_loop(
            c, "batch-1000", "POST", "/v1/quotes/batch", batch1000, 2, max(args.duration, 15), 200, 1000
        ),
        # 10,000 parcels as NDJSON in and out (streamed chunk by chunk): one request; see `rss MB` (peak)
        "batch-10000-ndjson": lambda c: closed_loop(
            c, "batch-10000-ndjson", "POST", "/v1/quotes/batch", [(ndjson10k, NDJSON)], 1, 1, 1, 10_000
        ),
    }
    routes = {"healthz-closed": "/healthz", "batch-100": "/v1/quotes/batch", "batch-1000": "/v1/quotes/batch"}
    kind = RawClient if args.client == "raw" else HttpxClient
    client = kind(args.url, max(args.concurrency, args.max_inflight))
    async with httpx.AsyncClient(base_url=args.url, timeout=30) as metrics:
        # warm up: connections, the compiled tariffs, both eras
        await asyncio.gather(*(_send(client, "POST", "/v1/quotes", singles[i]) for i in range(50)))
        print(HEADER, flush=True)
        for name in args.scenarios:
            before = (await metrics.get("/metrics")).text
            cpu0, _ = server_usage(args.server_pid)
            res = await scenarios[name](client)
            cpu1, res.server_rss_mb = server_usage(args.server_pid)
            after = (await metrics.get("/metrics")).text
            if cpu0 is not None and cpu1 is not None:
                res.server_cpu_s = cpu1 - cpu0  # includes the /metrics scrape before: ~1 request's worth
            res.server = server_side(before, after, routes.get(name, "/v1/quotes"))
            print(res.line(), flush=True)
            if res.errors:
                print(
                    f"{'':15s} statuses: {dict(sorted(res.statuses.items()))}, transport errors: {res.transport}",
                    flush=True,
                )
    await client.aclose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="an already running server (default: start `ratecalc serve` on a free port)")
    ap.add_argument("--client", choices=["raw", "httpx"], default="raw", help="load driver (see the module docstring)")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn workers when this script starts the server")
    ap.add_argument("--rate", type=float, default=1000.0, help="arrival rate of single-open, requests/s")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    ap.add_argument("--concurrency", type=int, default=16, help="requests in flight, closed-loop scenarios")
    ap.add_argument("--max-inflight", type=int, default=256, help="connection cap of the open-loop scenario")
    ap.add_argument(
        "--scenarios",
        nargs="+",
        default=["healthz-closed", "single-open", "single-closed", "batch-100", "batch-1000"],
        help="which scenarios, in order (space- or comma-separated)",
    )
    ap.add_argument(
        "--server-log-level",
        default="warning",
        help="log level of the server this script starts: info writes the JSON access log (to /dev/null), "
        "one line per request, as a production server does",
    )
    ap.add_argument("--server-pid", type=int, help="pid of an already running server (--url), for CPU per request")
    args = ap.parse_args()
    args.scenarios = [name for item in args.scenarios for name in item.split(",") if name]
    unknown = set(args.scenarios) - SCENARIOS
    if unknown:
        ap.error(f"unknown scenario(s) {', '.join(sorted(unknown))}; choose from {', '.join(sorted(SCENARIOS))}")
    proc = None
    if args.url is None:
        proc, args.url = start_server(args.workers, args.server_log_level)
        args.server_pid = proc.pid
    print(
        f"# ratecalc API load test: {args.url}, workers={args.workers if proc else '?'}, cpus={os.cpu_count()}, "
        f"client={args.client}, duration={args.duration:g}s/scenario, python {sys.version.split()[0]}, "
        f"server log level {args.server_log_level if proc else '?'}, "
        f"load average before start {os.getloadavg()[0]:.2f}",
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
