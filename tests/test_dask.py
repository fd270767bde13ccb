"""ratecalc.files.dask on a real LocalCluster (processes): the same rows, numbers and errors as in-process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import ratecalc.files.dask as rdask  # noqa: E402
from ratecalc.files.columnar import quote_table  # noqa: E402


def test_inside_the_package_dask_is_the_real_dask():
    import dask

    assert rdask.dask is dask and rdask.dd is dd
    assert hasattr(dask, "compute") and dask.__name__ == "dask"


def _catalogue(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    weights = rng.integers(1, 30_000, n).astype(str)
    weights[::37] = "-3"  # bad rows on purpose: they must be reported with global row numbers
    weights[5::53] = ""
    return pd.DataFrame(
        {
            "sku": [f"sku-{i}" for i in range(n)],
            "weight_g": weights,
            "length_mm": rng.integers(1, 1200, n).astype(str),
            "width_mm": rng.integers(1, 800, n).astype(str),
            "height_mm": rng.integers(1, 800, n).astype(str),
            "order_date": rng.choice(["2022-05-20", "2022-07-01", "2023-06-01", "2025-03-01"], n),
            "delivery": rng.choice(["pickup_point", "courier"], n),
            "declared_value": rng.choice(["", "900", "2500.50"], n),
            "currency": "RUB",
        }
    )


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0")
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_dask_matches_in_process(client, tariffs):
    df = _catalogue()
    ddf = dd.from_pandas(df, npartitions=5)
    results, errors = rdask.quote_dask(ddf, tariffs)
    best, _ = rdask.quote_dask(ddf, tariffs, best="cheapest")
    got, got_err, got_best = (x.reset_index(drop=True) for x in client.compute([results, errors, best], sync=True))
    local = quote_table(df, tariffs)
    assert len(got) > 0 and len(got_err) > 0
    pd.testing.assert_frame_equal(got, rdask._plain(local.to_arrow()))
    pd.testing.assert_frame_equal(got_err, rdask._plain(local.errors_table()))
    pd.testing.assert_frame_equal(got_best, rdask._plain(local.best("cheapest")))
    assert set(got_err["row"]) >= {0, 37, 74}


def test_cli_batch_on_an_existing_scheduler(client, tariffs, tmp_path):
    from typer.testing import CliRunner

    from ratecalc.cli import app

    df = _catalogue(120)
    src = tmp_path / "cat.csv"
    df.to_csv(src, index=False)
    out = tmp_path / "best.parquet"
    address = client.scheduler.address
    r = CliRunner().invoke(
        app, ["batch", str(src), "-o", str(out), "--engine", "dask", "--scheduler", address, "--best", "fastest"]
    )
    assert r.exit_code == 1, r.output  # the catalogue has bad rows on purpose
    got = pd.read_parquet(out).sort_values("row").reset_index(drop=True)
    local = rdask._plain(quote_table(df.astype(str), tariffs).best("fastest"))
    assert got["row"].tolist() == local["row"].tolist()
    assert got["service_id"].fillna("").tolist() == local["service_id"].fillna("").tolist()
    errors = pd.read_csv(tmp_path / "best.errors.csv")
    assert 0 in set(errors["row"]) and 37 in set(errors["row"])
