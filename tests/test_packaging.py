"""An installed ratecalc (a wheel, not this checkout): its own tariffs, its API under a name that cannot
collide with another package, a working `ratecalc` command, and type information."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _build_wheel(tmp_path: Path) -> Path:
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
    return wheel


def _installed(site: Path, code: str, cwd: Path) -> str:
    """Run `code` with the unpacked wheel first on the path (from a directory outside the checkout)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={
            "PYTHONPATH": str(site),
            "PATH": "/usr/bin:/bin",
            "RATECALC_TARIFF_CACHE": os.environ["RATECALC_TARIFF_CACHE"],
        },
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_wheel_ships_tariffs_and_finds_them(tmp_path):
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        shipped = {Path(n).name for n in names if n.startswith("ratecalc/_tariffs/") and n.endswith(".yaml")}
        assert {p.name for p in (ROOT / "tariffs").glob("*.yaml")} <= shipped
        site = tmp_path / "site"
        zf.extractall(site)
    probe = (
        "import ratecalc, ratecalc.tariffdata.loader as l; from ratecalc import TariffSet;"
        "ts = TariffSet.load(); print(l.builtin_dir()); print(len(ts.services))"
    )
    out = _installed(site, probe, tmp_path).split()
    assert out[0] == str(site / "ratecalc" / "_tariffs")
    assert int(out[1]) >= 1
    # the gettext catalogs ship, and the installed library and page read them
    for lang in ("zh", "ru"):
        assert f"ratecalc/locale/{lang}/LC_MESSAGES/ratecalc.po" in names
        assert f"ratecalc_api/web/locale/{lang}/LC_MESSAGES/web.po" in names
    words = "from ratecalc.i18n import lang; print(lang('zh')._('actual weight'), lang('ru')._('Service'))"
    assert _installed(site, words, tmp_path).split() == ["实际重量", "Способ", "доставки"]


def test_wheel_installs_the_api_as_ratecalc_api_and_the_command_finds_it(tmp_path):
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        entry_points = zf.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
        site = tmp_path / "site"
        zf.extractall(site)
    tops = {n.split("/")[0] for n in names if "/" in n and ".dist-info/" not in n}
    assert tops == {"ratecalc", "ratecalc_api"}  # no top-level `api`, nothing else
    assert "ratecalc_api/py.typed" not in names and "ratecalc/py.typed" in names
    assert "ratecalc = ratecalc_api.cli:main" in entry_points
    probe = (
        "import typer, ratecalc.cli as lib, ratecalc_api.app as a, ratecalc_api.cli as c, ratecalc_api.routers;"
        "names = lambda app: ' '.join(sorted(typer.main.get_command(app).commands));"
        "print(a.__file__); print(names(c.app)); print(names(lib.app))"
    )
    where, commands, library_commands = _installed(site, probe, tmp_path).splitlines()
    assert where == str(site / "ratecalc_api" / "app.py")
    assert {"quote", "sweep", "chart", "tariffs", "economics", "commissions", "categories", "batch"} <= set(
        library_commands.split()
    )
    assert commands.split() == sorted([*library_commands.split(), "serve"])  # the library's commands + serve
    # `ratecalc serve` hands uvicorn the installed package's app factory, by the installed name
    factory = _installed(
        site,
        "import ratecalc_api.cli as c, uvicorn.importer as u; f = u.import_from_string(c.APP_FACTORY);"
        "print(c.APP_FACTORY, f.__module__)",
        tmp_path,
    )
    assert factory.split() == ["ratecalc_api.app:create_app", "ratecalc_api.app"]
