"""The deployment lock (requirements/api.txt, made by uv from pyproject) is what the Docker image installs.

It must hold what pyproject asks for (a bound raised in pyproject and not in the lock fails here), pin every
package to one version with its hashes, and name the command that refreshes it, the command the README gives.
The slow scenario installs it as the image does, in a new virtual environment, and serves a quote.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from importlib.metadata import requires
from pathlib import Path

import httpx
import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from procs import stop

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "api.txt"
IMAGE = {  # the environment of the Dockerfile's base image (python:3.11-slim)
    "python_version": "3.11",
    "python_full_version": "3.11.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "implementation_name": "cpython",
    "os_name": "posix",
    "extra": "",
}
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def _pins() -> list[tuple[str, Version, str, list[str]]]:
    """(name, version, marker, hashes) of every pin in the lock."""
    out: list[tuple[str, Version, str, list[str]]] = []
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        m = _PIN.match(line)
        if m:
            out.append((canonicalize_name(m[1]), Version(m[2]), (m[3] or "").strip(), []))
        elif line.strip().startswith("--hash=sha256:") and out:
            out[-1][3].append(line.strip().removeprefix("--hash=sha256:").rstrip(" \\"))
    return out


def _in_image(marker: str) -> bool:
    return not marker or Marker(marker).evaluate(IMAGE)


def _wanted() -> list[Requirement]:
    """What ratecalc with the `api` extra asks for in the image (the installed project's own metadata)."""
    wanted = []
    for line in requires("ratecalc") or []:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate({**IMAGE, "extra": "api"}):
            req.marker = None
            wanted.append(req)
    return wanted


def test_every_pin_is_one_version_with_hashes():
    pins = _pins()
    assert len(pins) > 20
    for name, _, _, hashes in pins:
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name
    in_image = [name for name, _, marker, _ in pins if _in_image(marker)]
    assert len(in_image) == len(set(in_image)), "two versions of one package for the image"


def test_the_lock_holds_what_pyproject_asks_for():
    locked = {name: version for name, version, marker, _ in _pins() if _in_image(marker)}
    wanted = _wanted()
    assert {"fastapi", "uvicorn", "pydantic", "numpy"} <= {canonicalize_name(r.name) for r in wanted}
    for req in wanted:
        name = canonicalize_name(req.name)
        assert name in locked, f"{req} is not in {LOCK.name}"
        assert req.specifier.contains(locked[name], prereleases=True), f"{req}: the lock has {locked[name]}"


def test_the_lock_names_the_readmes_refresh_command():
    header = LOCK.read_text(encoding="utf-8").splitlines()[:3]
    [command] = [line.strip("# ").strip() for line in header if "uv pip compile" in line]
    assert command in (ROOT / "README.md").read_text(encoding="utf-8")
    assert command in (ROOT / "Dockerfile").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_image_install_from_the_lock_serves_a_quote(tmp_path):
    """The Dockerfile's steps in a new virtual environment: the lock with its hashes, the wheel without
    dependencies, `pip check`, then `ratecalc serve` answers a quote. Needs PyPI (about a minute)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    pip = [py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--require-hashes", "-r", str(LOCK)], check=True, timeout=900)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    [wheel] = wheels.glob("ratecalc-*.whl")
    subprocess.run([*pip, "--no-deps", str(wheel)], check=True, timeout=300)
    subprocess.run([py, "-m", "pip", "check"], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RATECALC_")}
    env["RATECALC_TARIFF_CACHE"] = str(tmp_path / "cache")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(venv / "bin" / "ratecalc"), "serve", "--port", str(port)], env=env, cwd=tmp_path)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"the server exited with {proc.returncode}"
            try:
                if httpx.get(url + "/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.3)
        r = httpx.post(url + "/v1/quotes", json={"weight": "1.2kg", "dims": "30x20x10cm", "date": "2023-06-01"})
        assert r.status_code == 200 and r.json()["quotes"], r.text
    finally:
        stop(proc)
