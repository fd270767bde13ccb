"""`ratecalc batch`: CSV/Parquet in and out, streamed in chunks, bad rows to the errors file, exit codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import ratecalc.files.batchfile as bf
from ratecalc.cli import app
from ratecalc.files.columnar import quote_table

runner = CliRunner()


def _catalogue(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    w = rng.integers(1, 30_000, n).astype(object)
    w[::97] = "-1"
    w[13::101] = "heavy"
    return pd.DataFrame(
        {
            "SKU": [f"p{i}" for i in range(n)],
            "Weight": w,
            "length_mm": rng.integers(1, 1500, n),
            "width_mm": rng.integers(1, 900, n),
            "height_mm": rng.integers(1, 900, n),
            "declared_value": rng.choice(["", "10", "99.99"], n),
            "currency": "USD",
            "battery": rng.choice(["", "yes", "no"], n),
        }
    )


def test_csv_streams_in_chunks_with_global_row_numbers(tmp_path, tariffs, monkeypatch):
    df = _catalogue(3000)
    src = tmp_path / "cat.csv"
    df.to_csv(src, index=False)
    monkeypatch.setattr(bf, "CSV_BLOCK_BYTES", 16 << 10)  # many small chunks: rows must number across them
    seen: list[int] = []
    summary = bf.quote_file(
        src,
        tmp_path / "out.csv",
        tariffs.compiled(),
        date="2022-07-01",
        mapping={"weight_g": "Weight", "sku": "SKU"},
        progress=lambda rows, nbytes: seen.append(rows),
    )
    assert len(seen) > 5 and seen[-1] == 3000  # really chunked, and progress reached the end
    out = pd.read_csv(tmp_path / "out.csv", dtype={"price": str})
    local = quote_table(df.astype(str), tariffs, date="2022-07-01", mapping={"weight_g": "Weight", "sku": "SKU"})
    expect = local.to_arrow().to_pandas()
    assert len(out) == len(expect) == summary.output_rows
    assert (out["row"].to_numpy() == expect["row"].to_numpy()).all()
    assert (out["sku"].to_numpy() == expect["sku"].astype(str).to_numpy()).all()
    assert (out["chargeable_weight_g"].to_numpy() == expect["chargeable_weight_g"].to_numpy()).all()
    prices = out["price"].fillna("").tolist()
    assert prices == ["" if p is None else f"{p:.2f}" for p in expect["price"]]
    errors = pd.read_csv(summary.errors_path)
    bad = sorted(set(range(0, 3000, 97)) | set(range(13, 3000, 101)))
    assert sorted(errors["row"].unique()) == bad
    assert summary.failed == len(bad) and summary.quoted == 3000 - len(bad)
    assert set(errors.loc[errors["row"] == 97, "reason"]) == {"must not be negative"}


def test_parquet_in_and_out_with_best(tmp_path, tariffs):
    df = _catalogue(500).rename(columns={"Weight": "weight_g", "SKU": "sku"})
    df["weight_g"] = df["weight_g"].astype(str)
    src = tmp_path / "cat.parquet"
    df.to_parquet(src, index=False)
    summary = bf.quote_file(src, tmp_path / "best.parquet", tariffs.compiled(), best="fastest", date="2022-07-01")
    got = pq.read_table(tmp_path / "best.parquet").to_pandas()
    assert summary.quoted == len(got) and summary.failed > 0
    expect = quote_table(df, tariffs, date="2022-07-01").best("fastest").to_pandas()
    assert got["row"].tolist() == expect["row"].tolist()
    assert (
        got["service_id"].astype(object).where(got["service_id"].notna(), None).tolist()
        == expect["service_id"].astype(object).where(expect["service_id"].notna(), None).tolist()
    )


def test_cli_exit_codes_and_files(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("weight_g,length_mm,width_mm,height_mm\n400,300,200,150\n250,200,150,100\n")
    r = runner.invoke(app, ["batch", str(good), "-o", str(tmp_path / "g.csv"), "--date", "2022-07-01", "--no-progress"])
    assert r.exit_code == 0, r.output
    (tmp_path / "g.errors.csv").write_text("row,column,value,reason\n0,weight_g,,stale\n")  # an earlier run's
    r = runner.invoke(app, ["batch", str(good), "-o", str(tmp_path / "g.csv"), "--date", "2022-07-01", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "g.errors.csv").exists()  # nothing failed: no errors file, and no stale one
    assert "errors: none" in r.output
    gbs = [
        line
        for line in (tmp_path / "g.csv").read_text().splitlines()
        if '"gbs-broker"' in line and line.startswith("0,")
    ]
    assert gbs and "24.60" in gbs[0]  # tariff-facts.md example #2 through the file path

    bad = tmp_path / "bad.csv"
    bad.write_text("Weight,length_mm,width_mm,height_mm\n400,300,200,150\n,1,1,1\n")
    r = runner.invoke(
        app,
        [
            "batch",
            str(bad),
            "-o",
            str(tmp_path / "b.parquet"),
            "--map",
            "weight_g=Weight",
            "--best",
            "cheapest",
            "--date",
            "2022-07-01",
            "--no-progress",
        ],
    )
    assert r.exit_code == 1, r.output
    assert "1 failed" in r.output
    assert "missing" in (tmp_path / "b.errors.csv").read_text()
    assert pq.read_table(tmp_path / "b.parquet").num_rows == 1

    r = runner.invoke(app, ["batch", str(bad), "-o", str(tmp_path / "x.csv"), "--no-progress"])
    assert r.exit_code == 2 and "weight_g" in r.output  # a required column is missing: the whole input fails
    r = runner.invoke(app, ["batch", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "x.csv"), "--no-progress"])
    assert r.exit_code == 2 and "does not exist" in r.output
    r = runner.invoke(app, ["batch", str(good), "-o", str(tmp_path / "x.csv"), "--best", "slowest", "--no-progress"])
    assert r.exit_code == 2 and "cheapest or fastest" in r.output


def test_header_only_input_writes_an_empty_output(tmp_path, tariffs):
    src = tmp_path / "empty.csv"
    src.write_text("weight_g,length_mm,width_mm,height_mm\n")
    summary = bf.quote_file(src, tmp_path / "o.csv", tariffs.compiled(), date="2022-07-01")
    assert summary.rows == 0 and summary.ok
    assert (tmp_path / "o.csv").read_text().startswith('"row"')


@pytest.mark.parametrize("name, fmt", [("a.csv", "csv"), ("a.CSV.gz", "csv"), ("a.parquet", "parquet")])
def test_format_from_name(name, fmt):
    assert bf.file_format(name) == fmt


def test_long_form_is_quoted_in_slices_with_global_rows(tmp_path, tariffs, monkeypatch):
    df = _catalogue(700).rename(columns={"Weight": "weight_g", "SKU": "sku"})
    src = tmp_path / "cat.csv"
    df.to_csv(src, index=False)
    monkeypatch.setattr(bf, "LONG_FORM_INPUT_ROWS", 64)  # 11 slices of one CSV block
    summary = bf.quote_file(src, tmp_path / "long.parquet", tariffs.compiled(), date="2022-07-01")
    got = pq.read_table(tmp_path / "long.parquet").to_pandas()
    expect = quote_table(df.astype(str), tariffs, date="2022-07-01").to_arrow().to_pandas()
    assert summary.output_rows == len(got) == len(expect)
    assert got["row"].tolist() == expect["row"].tolist()
    assert got["sku"].tolist() == expect["sku"].tolist()
    assert got["chargeable_weight_g"].tolist() == expect["chargeable_weight_g"].tolist()


def test_malformed_lines_keep_their_line_numbers_across_small_blocks(tmp_path, tariffs, monkeypatch):
    monkeypatch.setattr(bf, "CSV_BLOCK_BYTES", 4 << 10)  # lines are cut across many blocks
    lines = ["sku,weight_g,length_mm,width_mm,height_mm"] + [f"s{i},{100 + i},300,200,150" for i in range(3000)]
    bad = {57: "s55,1,2", 58: "", 1500: 's1498,"400,300,200,150', 2999: "s2997,400,300,200,150,9"}
    for line_no, text in bad.items():
        lines[line_no - 1] = text
    src = tmp_path / "cat.csv"
    src.write_text("\r\n".join(lines), encoding="utf-8")  # CRLF and no final newline
    summary = bf.quote_file(src, tmp_path / "o.csv", tariffs.compiled(), best="cheapest", date="2022-07-01")
    errors = pd.read_csv(tmp_path / "o.errors.csv", dtype=str, keep_default_na=False)
    assert errors["line"].astype(int).tolist() == [57, 1500, 2999]  # the blank line 58 is no row
    assert errors["row"].astype(int).tolist() == [55, 1497, 2996]
    assert all(errors["reason"].str.startswith("malformed line"))
    assert summary.rows == 2999 and summary.failed == 3 and summary.quoted == 2996
    out = pd.read_csv(tmp_path / "o.csv", dtype=str)
    assert out["sku"].tolist()[:3] == ["s0", "s1", "s2"] and "s55" not in set(out["sku"])
    assert out.loc[out["row"] == "56", "sku"].item() == "s57"  # rows after a blank line keep counting
