"""A file run says what happened: rows done and failed, and the most common reasons with their counts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ratecalc.files.batchfile import BatchSummary

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "100", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "ratecalc", *args], capture_output=True, text=True, env=env, cwd=ROOT)


def test_a_batch_where_every_row_failed_says_how_many_and_why(tmp_path):
    src = tmp_path / "in.csv"
    rows = [f"s{i},1200,300,200,100,1500,2026-08-01" for i in range(300)]  # no currency on the declared value
    src.write_text("sku,weight_g,length_mm,width_mm,height_mm,declared_value,order_date\n" + "\n".join(rows)
                   + "\nneg,-5,300,200,100,1500RUB,2026-08-01\n")  # fmt: skip
    run = _run("batch", str(src), "-o", str(tmp_path / "out.csv"), "--no-progress")
    assert run.returncode == 1
    assert "301 rows: 0 quoted, 301 failed" in run.stderr
    assert "300 × currency: declared_value needs a currency" in run.stderr
    assert "1 × weight_g: must not be negative" in run.stderr
    assert run.stderr.index("300 ×") < run.stderr.index("1 × weight_g")  # most common first


def test_catalogue_economics_says_what_failed_and_why(tmp_path):
    src = tmp_path / "cat.csv"
    src.write_text(
        "sku,weight_g,length_mm,width_mm,height_mm,order_date,category,purchase_cost,sale_price\n"
        "ok,1200,300,200,100,2026-08-01,Car Products,62CNY,1600\n"
        "bad1,1200,300,200,100,2026-08-01,no such category,62CNY,1600\n"
        "bad2,1200,300,200,100,2026-08-01,Car Products,,1600\n"
    )
    run = _run("economics", "-i", str(src), "-o", str(tmp_path / "out.csv"), "--fx", "CNY=11.2", "--no-progress")
    assert run.returncode == 1
    assert "3 SKUs: 1 costed, 2 failed" in run.stderr and "most common reasons:" in run.stderr
    assert "1 × category:" in run.stderr and "1 × purchase_cost:" in run.stderr


def test_the_summary_counts_reasons_and_tells_how_many_it_left_out():
    s = BatchSummary(rows=10, quoted=2, failed=8)
    s.count(["a"] * 5 + ["b"] * 2 + ["c", "d", ""], ["x"] * 5 + ["y"] * 2 + ["z", "w", "not CSV"])
    assert s.top_reasons() == [("a: x", 5), ("b: y", 2), ("c: z", 1)]
    text = "\n".join(s.lines())
    assert text.startswith("10 rows: 2 quoted, 8 failed") and "2 × other reasons" in text
    assert BatchSummary(rows=3, quoted=3).lines() == ["3 rows: 3 quoted, 0 failed"]
