"""Every `ratecalc ...` command in the ```sh blocks of the README and of docs/ runs as written (exit code 0).

The commands run in order, in one scratch directory holding the files the examples name (a small
catalogue, Ozon's April 2026 rate sheet from tests/data), so an example may use what an earlier one
wrote (`tariffs import ... -o my-rates`, then `--tariffs my-rates`). Commands
that need infrastructure (a server left running, Docker, a Dask cluster, S3) are listed with the reason
they are not run here; the server and its routes are exercised by test_api_server and test_web_browser.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]  # in order: README first, then docs/ by name

NOT_RUN = {
    "ratecalc serve": "starts a server that runs until stopped (test_web_browser runs it)",
    "--engine dask": "needs a Dask scheduler and S3",
}

CATALOGUE = (  # batch reads weight_g/length_mm/..., `tariffs diff --catalogue` reads weight/dims: both here
    "sku,weight_g,length_mm,width_mm,height_mm,declared_value,weight,dims\n"
    "A-1,400,300,200,150,1000RUB,400g,30x20x15cm\n"
    "A-2,1200,300,200,100,1500RUB,1.2kg,30x20x10cm\n"
)
EXPORT = 'Article,"Weight, g",length_mm,width_mm,height_mm,declared_value,currency,order_date\nB-1,350,250,150,50,900,RUB,2025-03-01\n'


def readme_commands() -> list[str]:
    """The `ratecalc` commands of the sh blocks, continuation lines joined, comments dropped."""
    blocks = [b for page in PAGES for b in re.findall(r"```sh\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)]
    out = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                if part.strip().startswith("ratecalc "):
                    out.append(shlex.join(shlex.split(part, comments=True)))
    return out


COMMANDS = readme_commands()


def test_the_readme_has_ratecalc_examples():
    assert len(COMMANDS) >= 8


SHEET = ROOT / "tests" / "data" / "ozon-2026" / "China_scoring_ENG_CN_7_04_26_1775544002.xlsx"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("readme")
    (where / "catalogue.csv").write_text(CATALOGUE, encoding="utf-8")
    (where / "export.csv").write_text(EXPORT, encoding="utf-8")
    shutil.copy(SHEET, where / SHEET.name)
    shutil.copy(SHEET, where / "sheet.xlsx")
    return where


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_example_runs_as_written(command, workdir):
    skip = next((why for key, why in NOT_RUN.items() if key in command), None)
    if skip:
        pytest.skip(skip)
    tmp_path = workdir
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    env.pop("RATECALC_TARIFFS", None)
    argv = [sys.executable, "-m", "api", *shlex.split(command)[1:]]
    r = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"{command}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    assert "Traceback" not in r.stderr
