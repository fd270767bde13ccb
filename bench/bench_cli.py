"""Cold start of the command line: `ratecalc --help` and `ratecalc quote ...`, each a fresh process.

    python3 bench/bench_cli.py [--runs 7]

Prints the median and best wall and CPU time of each over --runs runs (a new interpreter every time, as a
user starts it), and how many modules `ratecalc quote` imports. On a shared machine the CPU time (user +
system of the child) is the steadier figure: wall time includes waiting for a core.

The quotes run with the compiled-tariff cache in a fresh temporary directory (the first, untimed run fills
it; every timed run reads it, as every start after the first does for a user) and again with the cache off
(`--no-cache-runs`, default on: what a start after a tariff change pays). `--baseline DIR` also times
another checkout (say the one before a change), its runs interleaved with these, for before/after figures
taken under the same load. The earlier figures in the README were taken with the 2023-06-01 parcel; the
`--value 1000RUB` parcel (today's date: the 2026 tariffs) is the one the targets name.

The baseline runs with its own compiled-tariff cache (a second temporary directory, filled by its first,
untimed run), so before and after compare like with like; its `[cache off]` figure is not timed.
"""

from __future__ import annotations

import argparse
import atexit
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TODAY = ["quote", "--weight", "300g", "--dims", "20x15x5cm", "--value", "1000RUB"]
COMMANDS = {
    "ratecalc --help": ["--help"],
    "ratecalc quote (table)": ["quote", "--weight", "1.2kg", "--dims", "30x20x10cm", "--date", "2023-06-01"],
    "ratecalc quote --json": ["quote", "--weight", "1.2kg", "--dims", "30x20x10cm", "--date", "2023-06-01", "--json"],
    "ratecalc quote 300g today (table)": TODAY,
    "ratecalc quote 300g today --json": [*TODAY, "--json"],
}
CACHE_ENV = "RATECALC_TARIFF_CACHE"

_TRIVIAL_APP = (
    "import sys, typer\n"
    "app = typer.Typer(add_completion=False{mode})\n"
    "@app.command()\n"
    "def a(x: int = 1): pass\n"
    "@app.command()\n"
    "def b(x: int = 1): pass\n"
    "sys.argv[1:] = ['--help']\n"
    "app()\n"
)
FLOORS = {
    "python -c pass": "pass",
    "import numpy, pydantic, typer (what a quote cannot do without: typer checks options with pydantic)": (
        "import os; os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')\n"  # as the command line sets it
        "import numpy, pydantic, typer, typer._adapters"
    ),
    "import rich.console (a quote no longer needs it; --help and other commands do)": "import rich.console",
    "a two-command typer app --help, rich help": _TRIVIAL_APP.format(mode=""),
    "a two-command typer app --help, plain help (rich_markup_mode=None)": _TRIVIAL_APP.format(
        mode=", rich_markup_mode=None"
    ),
}
"""Reference programs (`--floors`): what the interpreter and the libraries cost before ratecalc does anything."""


ENTRY = [sys.executable, "-c", "import sys; from ratecalc.cli import main; sys.argv[0] = 'ratecalc'; main()"]
"""What the `ratecalc` console script runs."""
CHECKOUT = str(Path(__file__).resolve().parent.parent)
"""The checkout under test: this bench's own, first on PYTHONPATH."""
NEUTRAL = tempfile.mkdtemp(prefix="ratecalc-bench-cwd-")
atexit.register(os.rmdir, NEUTRAL)
"""The children's working directory: `python -c` puts the working directory first on sys.path, so a run
started inside a checkout would import that checkout whatever PYTHONPATH says (a baseline would time this
code)."""


def run(args: list[str], env: dict[str, str], entry: list[str] = ENTRY) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([*entry, *args], check=True, capture_output=True, env=env, cwd=NEUTRAL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _report(name: str, timed: list[tuple[float, float]]) -> None:
    wall, cpu = [r[0] for r in timed], [r[1] for r in timed]
    print(
        f"{name}: wall median {statistics.median(wall):.3f} s, best {min(wall):.3f} s; "
        f"CPU median {statistics.median(cpu):.3f} s, best {min(cpu):.3f} s over {len(timed)} runs"
    )


def measure(name: str, argv: list[str], envs: dict[str, dict[str, str]], runs: int) -> None:
    """Time `argv` under each environment (a checkout, a cache setting), the runs interleaved so that a
    change in the machine's load hits every side alike."""
    for env in envs.values():
        run(argv, env)  # warm the OS file cache (and fill the tariff cache when it is on)
    timed: dict[str, list[tuple[float, float]]] = {label: [] for label in envs}
    for _ in range(runs):
        for label, env in envs.items():
            timed[label].append(run(argv, env))
    for label, results in timed.items():
        _report(f"{name}{label}", results)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument(
        "--no-cache-runs",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the quotes with the compiled-tariff cache off",
    )
    ap.add_argument(
        "--baseline",
        metavar="DIR",
        help="another checkout (e.g. `git worktree add /tmp/base main`) timed in turn with this one",
    )
    ap.add_argument("--floors", action="store_true", help="also time the reference programs (FLOORS)")
    ap.add_argument(
        "--no-bytecode",
        action="store_true",
        help="compile every module from source on every start (PYTHONDONTWRITEBYTECODE=1, as on a machine where "
        "bytecode cannot be written); default: bytecode cached in a temporary PYTHONPYCACHEPREFIX, as installed",
    )
    args = ap.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="ratecalc-bench-cache-") as cache,
        tempfile.TemporaryDirectory(prefix="ratecalc-bench-base-cache-") as base_cache,
        tempfile.TemporaryDirectory(prefix="ratecalc-bench-pyc-") as pyc,
    ):
        common = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
        common.update({"PYTHONDONTWRITEBYTECODE": "1"} if args.no_bytecode else {"PYTHONPYCACHEPREFIX": pyc})
        print("bytecode: " + ("compiled on every start" if args.no_bytecode else "cached (as an installed package)"))
        here = os.pathsep.join(p for p in (CHECKOUT, os.environ.get("PYTHONPATH", "")) if p)
        env = {**common, "PYTHONPATH": here, CACHE_ENV: cache}
        envs = {"": env}
        if args.baseline:
            base = {**common, "PYTHONPATH": args.baseline, CACHE_ENV: base_cache}
            envs = {" [baseline]": base, "": env}
        for name, argv in COMMANDS.items():
            sides = dict(envs)
            if args.no_cache_runs and argv[0] == "quote":
                sides[" [cache off]"] = {**env, CACHE_ENV: "off"}
            measure(name, argv, sides, args.runs)
        if args.floors:
            for name, code in FLOORS.items():
                entry = [sys.executable, "-c", code]
                run([], env, entry)
                _report(f"floor: {name}", [run([], env, entry) for _ in range(args.runs)])
        for label, argv in (
            ("ratecalc quote --json", COMMANDS["ratecalc quote 300g today --json"]),
            ("ratecalc --help", ["--help"]),
        ):
            for side, side_env in envs.items():
                out = subprocess.run(
                    [ENTRY[0], "-X", "importtime", *ENTRY[1:], *argv],
                    capture_output=True,
                    text=True,
                    env=side_env,
                    cwd=NEUTRAL,
                )
                modules = sum(1 for line in out.stderr.splitlines() if line.startswith("import time:")) - 1
                print(f"modules imported by `{label}`{side}: {modules}")


if __name__ == "__main__":
    main()
