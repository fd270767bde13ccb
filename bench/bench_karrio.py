"""Side by side with karrio's generic carrier: parcels per second on the same parcels.

    pip install karrio==2026.1.32 karrio_generic jinja2
    python3 bench/bench_karrio.py [--parcels 10000] [--karrio-parcels 500] [--repeat 3]

What each side prices (not the same work, and ratecalc does more):
- karrio: one service from a 300-row per-weight rate sheet (100 g bands, flat rate per band), through its
  public `Rating.fetch(...).from_(gateway).parse()`; no volumetric weight, no eligibility rules.
- ratecalc: `columnar.quote_many` over every service in force on the busiest date (31), each with its
  weight rule (actual / volumetric / greater-of), rounding, limits and reasons, prices exact.
karrio rates one parcel per call, so it is measured on --karrio-parcels of the same parcels and scaled
per parcel. Figures are CPU time (`time.process_time`), best of --repeat: the machine may be shared.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import busiest_day, load  # noqa: E402

from ratecalc.files.columnar import quote_many  # noqa: E402


def parcels(n: int, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dims = -np.sort(-rng.integers(10, 600, (n, 3)), axis=1)
    return pd.DataFrame(
        {
            "weight_g": rng.integers(50, 29_900, n),
            "length_mm": dims[:, 0],
            "width_mm": dims[:, 1],
            "height_mm": dims[:, 2],
        }
    )


def karrio_rate(df: pd.DataFrame) -> tuple[float, int]:
    """CPU seconds to rate every parcel of `df` with karrio, and how many rates came back."""
    logging.getLogger().setLevel(logging.WARNING)
    import karrio.sdk as karrio
    from karrio.core.models import RateRequest

    zones = [
        {
            "label": f"w{i}",
            "rate": 3.0 + 0.12 * i,
            "min_weight": i * 0.1,
            "max_weight": (i + 1) * 0.1,
            "transit_days": 12,
        }
        for i in range(300)
    ]
    gateway = karrio.gateway["generic"].create(
        {
            "display_name": "Sheet",
            "custom_carrier_name": "sheet",
            "account_country_code": "CN",
            "services": [
                {
                    "service_name": "Sheet Express",
                    "service_code": "sheet_express",
                    "currency": "USD",
                    "weight_unit": "KG",
                    "dimension_unit": "CM",
                    "max_weight": 30.0,
                    "domicile": False,
                    "international": True,
                    "zones": zones,
                }
            ],
        }
    )
    shipper = {"country_code": "CN", "postal_code": "518000", "city": "Shenzhen", "address_line1": "1"}
    recipient = {"country_code": "RU", "postal_code": "101000", "city": "Moscow", "address_line1": "2"}
    rows = list(df.itertuples(index=False))
    got = 0
    c0 = time.process_time()
    for r in rows:
        request = RateRequest(
            shipper=shipper,
            recipient=recipient,
            parcels=[
                {
                    "weight": r.weight_g / 1000,
                    "weight_unit": "KG",
                    "length": r.length_mm / 10,
                    "width": r.width_mm / 10,
                    "height": r.height_mm / 10,
                    "dimension_unit": "CM",
                }
            ],
            services=["sheet_express"],
        )
        rates, _ = karrio.Rating.fetch(request).from_(gateway).parse()
        got += len(rates)
    return time.process_time() - c0, got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parcels", type=int, default=10_000)
    ap.add_argument("--karrio-parcels", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ts = load()
    compiled = ts.compiled()
    day = busiest_day(compiled)
    df = parcels(args.parcels)
    quote_many(df.head(100), compiled, date=day)
    ours = []
    for _ in range(args.repeat):
        c0 = time.process_time()
        result = quote_many(df, compiled, date=day)
        ours.append(args.parcels / (time.process_time() - c0))
    cells = len(result.status)
    print(f"ratecalc columnar.quote_many: {max(ours):,.0f} parcels/s CPU ({cells // args.parcels} services each)")
    try:
        theirs = []
        for _ in range(args.repeat):
            cpu, got = karrio_rate(df.head(args.karrio_parcels))
            theirs.append(args.karrio_parcels / cpu)
        print(f"karrio generic, one 300-row sheet: {max(theirs):,.0f} parcels/s CPU ({got} rates)")
        print(f"ratio: {max(ours) / max(theirs):,.0f}x karrio's parcels/s")
    except ImportError as exc:
        print(f"karrio not installed ({exc}); pip install karrio==2026.1.32 karrio_generic jinja2")


if __name__ == "__main__":
    main()
