"""A real server (`ratecalc serve` under uvicorn) for the hostile suite, shared by its modules."""

from __future__ import annotations

import subprocess
from typing import Iterator

import httpx
import pytest
from hostile_helpers import CLI, free_port, server_env, stop, wait_ready


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> Iterator[httpx.Client]:
    """One real server for the suite (built-in tariffs), as a client."""
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
    port = free_port()
    proc = subprocess.Popen(
        CLI + ["serve", "--port", str(port), "--log-level", "warning"], env=server_env(), stdout=log, stderr=log
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        wait_ready(client, proc)
        yield client
    finally:
        client.close()
        stop(proc)
        log.close()
