"""An installed ratecalc (a wheel, not this checkout) carries and finds its own tariffs."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_tariffs_and_finds_them(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    [wheel] = tmp_path.glob("ratecalc-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        shipped = {Path(n).name for n in names if n.startswith("ratecalc/_tariffs/") and n.endswith(".yaml")}
        assert {p.name for p in (ROOT / "tariffs").glob("*.yaml")} <= shipped
        site = tmp_path / "site"
        zf.extractall(site)
    probe = (
        "import ratecalc, ratecalc.loader as l; from ratecalc import TariffSet;"
        "ts = TariffSet.load(); print(l.builtin_dir()); print(len(ts.services))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out[0] == str(site / "ratecalc" / "_tariffs")
    assert int(out[1]) >= 1
