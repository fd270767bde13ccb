"""Hostile load on a real `ratecalc serve` (127.0.0.1 only): what the HTTP edge does with it, case by case.

    python3 bench/probe_http_edge.py                                  # every case, against this checkout
    python3 bench/probe_http_edge.py --root /tmp/old-checkout --cases header,economics
    python3 bench/probe_http_edge.py --cases header --header-mib 128
    python3 bench/probe_http_edge.py --cases slow --slow 1100 --nofile 1024
    python3 bench/probe_http_edge.py --cases ndjson --batches 200 --parcels 1000

Each case starts its own server (so its peak memory, with its worker processes', is its own) from `--root` (default: this checkout) and
stops it afterwards. Meanwhile a prober opens a new connection for `GET /healthz` every 50 ms, as an
orchestrator's liveness probe does, and reports the slowest answer and the failures.

- header:    one request whose single header is `--header-mib` MiB, sent in 1 MiB writes: how long until
             the server answers, with what status, and the server's peak RSS.
- slow:      `--slow` connections that send a partial request and then one byte every 2 s (slowloris),
             against a server limited to `--nofile` descriptors; then new clients' /healthz, at once and
             after 15 s.
- ndjson:    `--batches` concurrent POST /v1/quotes/batch of `--parcels` parcels each, NDJSON in and out:
             statuses, wall time, peak RSS.
- economics: POST /v1/economics with target_margin 25, 80, 90, 99.9999 %, then 8 at once at 90 %.
- small:     UTF-16/UTF-32/BOM bodies, text/plain, form and multipart bodies to /v1/quotes, HEAD on GET
             routes, the trailing-slash redirect under a forged Host, and (with a token set) which
             operational routes answer without it.

Every wait is capped (`--cap` seconds per request), so a server that hangs is reported, not waited for.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

ROOT = Path(__file__).resolve().parent.parent
PARCEL = {"weight": "450g", "dims": "20x15x10cm", "date": "2025-12-05", "value": "1499RUB"}
ECONOMICS = {
    "weight": "450g",
    "dims": "20x15x10cm",
    "date": "2025-12-05",
    "category": "Car Products",
    "purchase_cost": "62CNY",
    "fx": {"CNY": "11.5"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`ratecalc serve` from a checkout, on a free port; `peak_mb` is its peak resident memory so far."""

    def __init__(self, root: Path, nofile: Optional[int] = None, env: Optional[dict] = None, args: tuple = ()):
        self.port = free_port()
        e = {**os.environ, "RATECALC_API_TOKEN": "", "RATECALC_ADMIN_TOKEN": "", "PYTHONPATH": str(root)}
        e.pop("RATECALC_TARIFFS", None)
        e.update(env or {})

        def limit() -> None:
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        cmd = [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(self.port)]
        self.log = open(os.devnull, "w")
        self.proc = subprocess.Popen(
            cmd + ["--log-level", "error", *args], cwd=root, env=e, stdout=self.log, stderr=self.log, preexec_fn=limit
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with {self.proc.returncode}")
            try:
                if request(self.port, "GET", "/readyz", timeout=2)[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("the server did not start")

    def peak_mb(self) -> float:
        """Peak resident memory of the server and of its worker processes (the sum of each one's peak)."""
        total, todo = 0, [self.proc.pid]
        while todo:
            pid = todo.pop()
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            total += next(int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmHWM:"))
        return total / 1024

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def request(
    port: int, method: str, path: str, body: Optional[bytes] = None, headers: Optional[dict] = None, timeout=30.0
) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


PROBE = """
import http.client, json, sys, threading, time
port, cap = int(sys.argv[1]), float(sys.argv[2])
times, failures, stop = [], 0, threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
while not stop.is_set():
    started = time.monotonic()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=cap)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
    except OSError:
        ok = False
    if ok:
        times.append(time.monotonic() - started)
    else:
        failures += 1
    stop.wait(0.05)
print(json.dumps({"times": times, "failures": failures}))
"""


class Prober:
    """GET /healthz on a new connection every 50 ms from a process of its own (the load's client threads
    share this process's interpreter lock and would slow the probe): the slowest answer and the failures."""

    def __init__(self, port: int, cap: float):
        self.port, self.cap = port, cap
        self.times: list[float] = []
        self.failures = 0

    @contextmanager
    def running(self) -> Iterator[Prober]:
        proc = subprocess.Popen(
            [sys.executable, "-c", PROBE, str(self.port), str(self.cap)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            yield self
        finally:
            out, _ = proc.communicate("", timeout=self.cap + 30)
            result = json.loads(out)
            self.times, self.failures = result["times"], result["failures"]

    def summary(self) -> str:
        worst = max(self.times, default=float("nan")) * 1000
        return f"/healthz: {len(self.times)} answered, slowest {worst:.0f} ms, {self.failures} failed"


def case_header(args) -> None:
    size = args.header_mib << 20
    srv = Server(args.root)
    try:
        with Prober(srv.port, args.cap).running() as probe:
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=args.cap)
            started = time.monotonic()
            sent = 0
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
                block = b"a" * (1 << 20)
                while sent < size:
                    s.sendall(block)
                    sent += len(block)
                s.sendall(b"\r\n\r\n")
            except OSError:
                pass  # the server closed the connection: its answer, if any, is waiting to be read
            try:
                first = s.recv(200).split(b"\r\n", 1)[0].decode("latin-1") or "(closed, no answer)"
            except OSError as exc:
                first = f"({type(exc).__name__})"
            took = time.monotonic() - started
            s.close()
        print(
            f"header {args.header_mib} MiB: {first!r} after {took:.2f} s, {sent >> 20} MiB sent; "
            f"server peak {srv.peak_mb():.0f} MB; {probe.summary()}"
        )
    finally:
        srv.stop()


def case_slow(args) -> None:
    srv = Server(args.root, nofile=args.nofile)
    socks: list[socket.socket] = []
    try:
        opened = 0
        for _ in range(args.slow):
            try:
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                socks.append(s)
                opened += 1
            except OSError:
                break

        def fresh(n: int = 10) -> str:
            ok, worst = 0, 0.0
            for _ in range(n):
                started = time.monotonic()
                try:
                    if request(srv.port, "GET", "/healthz", timeout=5)[0] == 200:
                        ok += 1
                        worst = max(worst, time.monotonic() - started)
                except OSError:
                    pass
            return f"{ok}/{n} new /healthz answered (slowest {worst * 1000:.0f} ms)"

        time.sleep(1)
        at_once = fresh()
        alive = 0
        for _ in range(8):  # 16 s of one byte every 2 s on every slow connection
            alive = 0
            for s in socks:
                try:
                    s.send(b"a")
                    alive += 1
                except OSError:
                    pass
            time.sleep(2)
        later = fresh()
        print(
            f"slow x{opened} (server nofile {args.nofile}): at once {at_once}; after 16 s {later}; "
            f"slow connections still open after 16 s: {alive}; server peak {srv.peak_mb():.0f} MB"
        )
    finally:
        for s in socks:
            s.close()
        srv.stop()


def _ndjson_body(n: int, seed: int) -> bytes:
    lines = []
    for i in range(n):
        w = 100 + (i * 7919 + seed * 104729) % 20_000
        lines.append(json.dumps({"weight_g": w, "dims": "30x20x15cm", "date": "2025-12-05", "value": "1499RUB"}))
    return ("\n".join(lines) + "\n").encode()


def case_ndjson(args) -> None:
    srv = Server(args.root)
    statuses: dict[int, int] = {}
    times: list[float] = []
    lock = threading.Lock()
    try:
        bodies = [_ndjson_body(args.parcels, k) for k in range(8)]

        def one(k: int) -> None:
            started = time.monotonic()
            headers = {"content-type": "application/x-ndjson", "accept": "application/x-ndjson"}
            try:
                status = request(srv.port, "POST", "/v1/quotes/batch", bodies[k % 8], headers, timeout=args.cap)[0]
            except OSError:
                status = 0
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                times.append(time.monotonic() - started)

        with Prober(srv.port, args.cap).running() as probe:
            started = time.monotonic()
            threads = [threading.Thread(target=one, args=(k,)) for k in range(args.batches)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.monotonic() - started
        print(
            f"ndjson {args.batches} x {args.parcels} parcels: statuses {dict(sorted(statuses.items()))} "
            f"(0 = no answer within {args.cap:.0f} s), wall {wall:.1f} s, slowest {max(times):.1f} s; "
            f"server peak {srv.peak_mb():.0f} MB; {probe.summary()}"
        )
    finally:
        srv.stop()


def case_economics(args) -> None:
    srv = Server(args.root)
    try:
        with Prober(srv.port, args.cap).running() as probe:
            for margin in ("25", "80", "90", "99.9999"):
                body = json.dumps({**ECONOMICS, "target_margin": margin}).encode()
                started = time.monotonic()
                try:
                    status, _, out = request(
                        srv.port, "POST", "/v1/economics", body, {"content-type": "application/json"}, args.cap
                    )
                    lines = json.loads(out)["result"]["lines"] if status == 200 else []
                    best = next((ln for ln in lines if ln["price_rub"]), None)
                    what = f"{status}, lowest {best['price_rub']} RUB ({best['service_id']})" if best else f"{status}"
                except (OSError, ValueError) as exc:
                    what = type(exc).__name__
                print(
                    f"economics target_margin {margin} % ({len(body)} B): {what} in {time.monotonic() - started:.2f} s"
                )
            took: list[float] = []
            body = json.dumps({**ECONOMICS, "target_margin": "90"}).encode()

            def one() -> None:
                started = time.monotonic()
                try:
                    request(srv.port, "POST", "/v1/economics", body, {"content-type": "application/json"}, args.cap)
                except OSError:
                    pass
                took.append(time.monotonic() - started)

            threads = [threading.Thread(target=one) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        print(f"economics 8 at once at 90 %: slowest {max(took):.2f} s; {probe.summary()}")
    finally:
        srv.stop()


def case_small(args) -> None:
    srv = Server(args.root)
    one, many = json.dumps(PARCEL), json.dumps({"parcels": [PARCEL]})
    try:
        for name, encode, ctype in (
            ("UTF-16 body", lambda t: t.encode("utf-16"), "application/json"),
            ("UTF-16-LE body, no BOM", lambda t: t.encode("utf-16-le"), "application/json"),
            ("UTF-32 body", lambda t: t.encode("utf-32"), "application/json"),
            ("UTF-8 BOM body", lambda t: t.encode("utf-8-sig"), "application/json"),
            ("text/plain body", lambda t: t.encode(), "text/plain"),
            ("form body", lambda t: b"weight=450g&dims=20x15x10cm", "application/x-www-form-urlencoded"),
            ("multipart body", lambda t: b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--\r\n",
             "multipart/form-data; boundary=x"),
        ):  # fmt: skip
            status = request(srv.port, "POST", "/v1/quotes", encode(one), {"content-type": ctype})[0]
            batch = request(srv.port, "POST", "/v1/quotes/batch", encode(many), {"content-type": ctype})[0]
            print(f"small: {name} -> /v1/quotes {status}, /v1/quotes/batch {batch}")
        heads = {
            p: request(srv.port, "HEAD", p)[0] for p in ("/healthz", "/readyz", "/metrics", "/v1/carriers", "/docs")
        }
        print(f"small: HEAD {heads}")
        status, headers, _ = request(srv.port, "GET", "/v1/carriers/", headers={"Host": "evil.example"})
        print(f"small: GET /v1/carriers/ with Host: evil.example -> {status}, Location {headers.get('location')!r}")
    finally:
        srv.stop()
    srv = Server(args.root, env={"RATECALC_API_TOKEN": "t0ken"})
    try:
        open_now = {
            p: request(srv.port, "GET", p)[0] for p in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs")
        }
        print(f"small: with a token set, without it: {open_now}")
    finally:
        srv.stop()


CASES = {
    "header": case_header,
    "slow": case_slow,
    "ndjson": case_ndjson,
    "economics": case_economics,
    "small": case_small,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=ROOT, help="the checkout whose server to start")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--cap", type=float, default=120.0, help="seconds any one request may take")
    ap.add_argument("--header-mib", type=int, default=32)
    ap.add_argument("--slow", type=int, default=1100)
    ap.add_argument("--nofile", type=int, default=1024)
    ap.add_argument("--batches", type=int, default=200)
    ap.add_argument("--parcels", type=int, default=1000)
    args = ap.parse_args()
    for name in args.cases.split(","):
        CASES[name.strip()](args)


if __name__ == "__main__":
    main()
