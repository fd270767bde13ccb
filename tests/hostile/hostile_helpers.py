"""Helpers of the hostile suite: start and stop a real server, run the real CLI as a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CLI = [sys.executable, "-c", "from api.cli import main; main()"]  # every command, `serve` included

USD_ERA = {"weight": "400g", "dims": "30x20x15cm", "date": "2022-07-01"}  # a parcel every surface quotes
ECONOMICS = {
    "weight": "450g",
    "dims": "20x15x10cm",
    "date": "2025-12-05",
    "category": "pharmacy",
    "purchase_cost": "62CNY",
    "sale_price": "1499",
    "fx": {"CNY": "11.5"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env() -> dict[str, str]:
    env = {**os.environ, "RATECALC_API_TOKEN": "", "RATECALC_ADMIN_TOKEN": "", "COLUMNS": "200"}
    env.pop("RATECALC_TARIFFS", None)
    env.pop("RATECALC_SUPERVISOR_PID", None)
    return env


def wait_ready(client: httpx.Client, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}")
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the server")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """The installed command line, as an operator runs it."""
    return subprocess.run(
        CLI + list(args), cwd=cwd, env=server_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
