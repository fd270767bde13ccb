"""Cold start of the command line: `ratecalc --help` and `ratecalc quote ...`, each a fresh process.

    python3 bench/bench_cli.py [--runs 7]

Prints the median and best wall and CPU time of each over --runs runs (a new interpreter every time, as a
user starts it), and how many modules `ratecalc quote` imports. On a shared machine the CPU time (user +
system of the child) is the steadier figure: wall time includes waiting for a core.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "ratecalc --help": ["--help"],
    "ratecalc quote (table)": ["quote", "--weight", "1.2kg", "--dims", "30x20x10cm", "--date", "2023-06-01"],
    "ratecalc quote --json": ["quote", "--weight", "1.2kg", "--dims", "30x20x10cm", "--date", "2023-06-01", "--json"],
}


ENTRY = [sys.executable, "-c", "import sys; from ratecalc.cli import main; sys.argv[0] = 'ratecalc'; main()"]
"""What the `ratecalc` console script runs (with the PYTHONPATH of this shell: the checkout under test)."""


def run(args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([*ENTRY, *args], check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    for name, argv in COMMANDS.items():
        run(argv)  # warm the OS file cache
        runs = [run(argv) for _ in range(args.runs)]
        wall, cpu = [r[0] for r in runs], [r[1] for r in runs]
        print(
            f"{name}: wall median {statistics.median(wall):.3f} s, best {min(wall):.3f} s; "
            f"CPU median {statistics.median(cpu):.3f} s, best {min(cpu):.3f} s over {args.runs} runs"
        )
    out = subprocess.run(
        [ENTRY[0], "-X", "importtime", *ENTRY[1:], *COMMANDS["ratecalc quote --json"]],
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    modules = sum(1 for line in out.stderr.splitlines() if line.startswith("import time:")) - 1
    print(f"modules imported by `ratecalc quote --json`: {modules}")


if __name__ == "__main__":
    main()
