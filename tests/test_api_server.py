"""The API under a real uvicorn (`ratecalc serve`): start-up, SIGHUP reload refused and accepted, JSON logs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from procs import stop

from ratecalc.tariffdata.loader import builtin_dir

USD_ERA = {"weight": "400g", "dims": "30x20x15cm", "date": "2022-07-01"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the server")


def _refused(client: httpx.Client) -> float:
    for line in client.get("/metrics").text.splitlines():
        if (
            line.startswith("ratecalc_tariff_reloads_total")
            and 'result="refused"' in line
            and 'trigger="sighup"' in line
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.fixture()
def server(tmp_path):
    tariffs = tmp_path / "tariffs"
    tariffs.mkdir()
    for f in builtin_dir().glob("*.yaml"):
        shutil.copy(f, tariffs / f.name)
    port = _free_port()
    env = {**os.environ, "RATECALC_BUILTIN_TARIFFS": "false", "RATECALC_API_TOKEN": "", "RATECALC_ADMIN_TOKEN": ""}
    env.pop("RATECALC_TARIFFS", None)
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from api.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--tariffs",
            str(tariffs),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        _wait(lambda: client.get("/readyz").status_code == 200)
        yield proc, client, tariffs, tmp_path / "server.log"
    finally:
        client.close()
        stop(proc)
        log.close()


def test_sighup_reload_refuses_broken_then_accepts_fixed(server):
    proc, client, tariffs, log_path = server
    before = client.get("/v1/tariffs").json()["checksum"]
    (tariffs / "zz-broken.yaml").write_text("kind: carrier\nservices: [\n", encoding="utf-8")
    proc.send_signal(signal.SIGHUP)
    _wait(lambda: _refused(client) == 1)
    assert client.get("/v1/tariffs").json()["checksum"] == before
    assert client.post("/v1/quotes", json=USD_ERA).status_code == 200

    (tariffs / "zz-broken.yaml").unlink()
    (tariffs / "gbs.yaml").write_text(
        (tariffs / "gbs.yaml").read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8"
    )
    proc.send_signal(signal.SIGHUP)
    after = _wait(lambda: (c := client.get("/v1/tariffs").json()["checksum"]) != before and c)
    assert client.get("/readyz").json()["checksum"] == after

    r = client.post("/v1/quotes", json={"weight": "nope"}, headers={"X-Request-ID": "srv-test-1"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    time.sleep(0.3)
    lines = [json.loads(x) for x in log_path.read_text(encoding="utf-8").splitlines() if x.startswith("{")]
    assert any(
        x["msg"].startswith("tariff reload refused") and "zz-broken.yaml" in json.dumps(x["problems"]) for x in lines
    )
    assert any(x["msg"] == "tariffs reloaded" and x["checksum"] == after for x in lines)
    assert any(x.get("request_id") == "srv-test-1" and x.get("status") == 422 for x in lines)


def test_serve_refuses_to_start_on_broken_tariffs_or_settings(tmp_path):
    (tmp_path / "x.yaml").write_text("kind: carrier\nservices: [\n", encoding="utf-8")
    cmd = [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(_free_port())]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RATECALC_") or k == "RATECALC_TARIFF_CACHE"}
    r = subprocess.run(cmd + ["--tariffs", str(tmp_path)], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "x.yaml:3" in r.stderr and "Traceback" not in r.stderr + r.stdout
    r = subprocess.run(cmd, env={**env, "RATECALC_MAX_BATCH": "lots"}, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "RATECALC_MAX_BATCH" in r.stderr and "Traceback" not in r.stderr + r.stdout
