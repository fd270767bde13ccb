"""Ozon's FBP (border-warehouse) lanes: quoted only with scheme fbp, on every surface (library, CLI, HTTP API,
batch files with a `scheme` column), each carrier's price worked by hand; Ural Super Express on both sides of
its 90 cm rule; what changed on 2026-09-01 (`tariffs diff --scheme fbp`); the tariff files hold exactly the
lanes of the transcriptions (tests/data/ozon-2026-h2/fbp-ru-2026.csv)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pyarrow as pa
import pytest

from ratecalc import Parcel
from ratecalc.errors import InputError
from ratecalc.files.columnar import ingest, quote_schemes
from ratecalc.pricing.tariff_diff import diff, side

DATA = Path(__file__).resolve().parent / "data" / "ozon-2026-h2"
CLI = [sys.executable, "-c", "from ratecalc.cli import main; main()"]
SEPT, AUG = "2026-09-15", "2026-08-15"


def prices(tariffs, parcel, scheme="fbp") -> dict[str, str]:
    return {q.service_id: q.price.amount for q in tariffs.quote(parcel, scheme=scheme) if q.status == "ok"}


# 300 g, 20 x 15 x 5 cm, 1000 RUB: Extra Small. Every price is base + per gram x 300 g (CNY, to the fen).
XS_SEPT = {
    "cel-fbp-express": "18.52",  # 3.37 + 0.0505 x 300 = 3.37 + 15.15
    "cel-fbp-standard": "15.16",  # 3.37 + 0.0393 x 300 = 3.37 + 11.79
    "cel-fbp-economy": "11.80",  # 3.37 + 0.0281 x 300 = 3.37 + 8.43
    "guoo-fbp-standard": "15.16",
    "guoo-fbp-economy": "11.80",
    "rets-fbp-standard": "15.16",
    "rets-fbp-economy": "11.80",
    "ural-fbp-standard": "14.95",  # Ural's own Extra Small base: 3.16 + 11.79
    "ural-fbp-super-express": "25.80",  # 5.40 + 0.068 x 300 = 5.40 + 20.40
    "ural-fbp-express-hk": "49.50",  # 18 + 10.5 per 100 g = 18 + 0.105 x 300
    "xy-fbp-standard": "15.16",
    "xy-fbp-economy": "11.80",
    "zto-fbp-standard": "15.16",
}


def test_an_fbp_quote_for_each_carrier(tariffs):
    parcel = Parcel.parse("300g", "20x15x5cm", date=SEPT, value="1000RUB")
    assert prices(tariffs, parcel) == XS_SEPT
    assert {q.carrier_id for q in tariffs.quote(parcel, scheme="fbp")} == {
        "cel", "guoo", "rets", "ural", "xingyuan", "zto",
    }  # fmt: skip
    # August: the July list, with RETS FBP Express and without Ural's two new lanes
    august = prices(tariffs, Parcel.parse("300g", "20x15x5cm", date=AUG, value="1000RUB"))
    assert august["rets-fbp-express"] == "18.52"
    assert "ural-fbp-super-express" not in august and "ural-fbp-express-hk" not in august
    assert {k: v for k, v in august.items() if k != "rets-fbp-express"} == {
        k: v for k, v in XS_SEPT.items() if not k.startswith(("ural-fbp-super", "ural-fbp-express-hk"))
    }


def test_the_schemes_do_not_mix(tariffs):
    parcel = Parcel.parse("300g", "20x15x5cm", date=SEPT, value="1000RUB")
    rfbs = tariffs.quote(parcel)
    assert rfbs and not any("-fbp-" in q.service_id for q in rfbs)
    assert all("-fbp-" in q.service_id for q in tariffs.quote(parcel, scheme="fbp"))
    with pytest.raises(InputError) as exc:
        tariffs.quote(parcel, scheme="fbs")
    assert exc.value.field == "scheme"


def test_ural_super_express_on_both_sides_of_the_90_cm_rule(tariffs):
    # 1 kg at 3000 RUB (Small): actual weight while L + W + H <= 90 cm, max(actual, L x W x H / 6000) above
    at_90 = Parcel.parse("1kg", "40x30x20cm", date=SEPT, value="3000RUB")  # 90 cm: 1000 g
    over = Parcel.parse("1kg", "40x30x21cm", date=SEPT, value="3000RUB")  # 91 cm: 25200 cm³ / 6000 = 4.2 kg
    [a] = [q for q in tariffs.quote(at_90, scheme="fbp") if q.service_id == "ural-fbp-super-express"]
    [b] = [q for q in tariffs.quote(over, scheme="fbp") if q.service_id == "ural-fbp-super-express"]
    assert (a.chargeable_weight_g, a.price.amount) == (1000, "87.44")  # 19.44 + 0.068 x 1000
    assert (b.chargeable_weight_g, b.price.amount) == (4200, "305.04")  # 19.44 + 0.068 x 4200
    assert b.service == "Ural Super Express" and a.delivery_days.min == 3 and a.delivery_days.max == 7
    # an Extra Small parcel: its own row, 5.40 + 0.068 per gram
    xs = Parcel.parse("500g", "30x20x10cm", date=SEPT, value="1500RUB")
    assert prices(tariffs, xs)["ural-fbp-super-express"] == "39.40"  # 5.40 + 34.00
    # sides of up to 360 cm in sum and 200 cm each, beyond the Small group's 150 / 60
    long = Parcel.parse("2kg", "150x20x10cm", date=SEPT, value="3000RUB")
    [q] = [q for q in tariffs.quote(long, scheme="fbp") if q.service_id == "ural-fbp-super-express"]
    assert q.status == "ok" and q.chargeable_weight_g == 5000  # 30000 cm³ / 6000 = 5 kg; 19.44 + 340.00
    assert q.price.amount == "359.44"


def test_the_tariff_files_hold_every_lane_of_the_transcriptions(tariffs):
    """Each CSV lane, quoted at a parcel of its group and band, costs base + per gram x weight."""
    with (DATA / "fbp-ru-2026.csv").open(encoding="utf-8") as fh:
        lanes = list(csv.DictReader(fh))
    assert len(lanes) == 147
    probe = {  # group -> (grams, sale price RUB) inside the band every lane of the group takes
        "Extra Small": (400, "1000"),
        "Budget": (1200, "1000"),
        "Small": (1500, "3000"),
        "Big": (2500, "3000"),
        "Premium Small": (3000, "9000"),
        "Premium Big": (6000, "9000"),
    }
    names = {"Ural HK": "Ural FBP Express HK", ("Ural", "Super Express"): "Ural Super Express"}
    for lst, day in (("2026-07-24", AUG), ("2026-09-01", SEPT)):
        for group, (grams, price) in probe.items():
            got = {
                q.service: q
                for q in tariffs.quote(
                    Parcel.parse(f"{grams}g", "20x15x10cm", date=day, value=f"{price}RUB"), scheme="fbp"
                )
            }
            for lane in (x for x in lanes if x["list"] == lst and x["group"] == group):
                name = names.get(lane["carrier"]) or names.get(
                    (lane["carrier"], lane["tier"]), f"{lane['carrier']} FBP {lane['tier']}"
                )
                q = got[name]
                want = D(lane["base_cny"]) + D(lane["per_gram_cny"]) * grams
                assert (q.status, D(q.price.amount)) == ("ok", want.quantize(D("0.01"))), (lst, group, name)
                assert q.tariff.confidence == "third_party"
                assert q.tariff.returns["after_customs"] == lane["returns_after_customs"]


def test_september_changes_in_the_fbp_diff(tariffs):
    result = diff(side("2026-08-01"), side("2026-09-15"), "fbp")
    by = {(c.service, c.group): c for c in result.changes}
    assert {k for k, c in by.items() if c.kind == "removed"} == {
        ("rets-fbp-express", g) for g in ("Extra Small", "Small", "Premium Small")
    }
    added = {k for k, c in by.items() if c.kind == "added"}
    assert ("ural-fbp-super-express", "Extra Small") in added and ("ural-fbp-express-hk", "Budget") in added
    assert by[("ural-fbp-super-express", "Extra Small")].details == ["5.4 + 0.068/1 g CNY"]
    changed = by[("cel-fbp-standard", "Small")]
    assert changed.kind == "changed" and "below 5000 RUB" in changed.details[0]
    assert ("cel-fbp-standard", "Extra Small") not in by  # the same on both dates
    done = subprocess.run(
        CLI + ["tariffs", "diff", "2026-08-01", "2026-09-15", "--scheme", "fbp"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "200"},
    )
    assert "ural-fbp-super-express" in done.stdout and "removed" in done.stdout
    assert "12 added, 3 removed" in done.stdout
    rfbs = diff(side("2026-08-01"), side("2026-09-15"))
    assert not any("-fbp-" in c.service for c in rfbs.changes)


def test_the_cli_and_the_api_quote_fbp(tariffs):
    args = ["quote", "--weight", "300g", "--dims", "20x15x5cm", "--value", "1000RUB", "--date", SEPT]
    done = subprocess.run(CLI + args + ["--scheme", "fbp", "--json"], capture_output=True, text=True, check=True)
    assert {q["service_id"]: q["price"]["amount"] for q in json.loads(done.stdout)} == XS_SEPT
    table = subprocess.run(CLI + args + ["--scheme", "fbp"], capture_output=True, text=True, env={"COLUMNS": "80"})
    assert table.returncode == 0 and "border warehouse (fbp)" in table.stdout and "Ural Super Express" in table.stdout
    bad = subprocess.run(CLI + args + ["--scheme", "fbs"], capture_output=True, text=True)
    assert bad.returncode == 2 and "scheme" in bad.stderr

    from fastapi.testclient import TestClient

    from api import Settings, create_app

    with TestClient(create_app(Settings(), tariffs=tariffs)) as client:
        body = {"weight": "300g", "dims": "20x15x5cm", "date": SEPT, "value": "1000RUB", "scheme": "fbp"}
        res = client.post("/v1/quotes", json=body)
        assert res.status_code == 200, res.text
        got = res.json()
        assert got["request"]["scheme"] == "fbp"
        assert {q["service_id"]: q["price"]["amount"] for q in got["quotes"] if q["status"] == "ok"} == XS_SEPT
        res = client.post("/v1/quotes", json=body | {"scheme": "fbs"})
        assert res.status_code == 422 and "scheme" in res.text
        batch = {"parcels": [{k: v for k, v in body.items() if k != "scheme"}], "scheme": "fbp"}
        res = client.post("/v1/quotes/batch", json=batch)
        assert res.status_code == 200, res.text
        [item] = res.json()["results"]
        assert {q["service_id"] for q in item["quotes"]} == set(XS_SEPT)
        carriers = client.get("/v1/carriers").json()["carriers"]
        schemes = {s["id"]: s["scheme"] for c in carriers for s in c["services"]}
        assert schemes["ural-fbp-super-express"] == "fbp" and schemes["ural-express"] == "rfbs"


def test_a_scheme_column_picks_the_lanes_per_row(tariffs, tmp_path):
    table = pa.table(
        {
            "sku": ["r", "f", "d"],
            "weight_g": ["300", "300", "300"],
            "length_mm": ["200"] * 3,
            "width_mm": ["150"] * 3,
            "height_mm": ["50"] * 3,
            "declared_value": ["1000RUB"] * 3,
            "order_date": [SEPT] * 3,
            "scheme": ["rfbs", "FBP", ""],
        }
    )
    ing = ingest(table, compiled=tariffs.compiled())
    out = quote_schemes(ing, "rfbs", lambda s: tariffs.compiled((), s), lambda c, part: _long(c, part)).to_pylist()
    by_sku: dict[str, set[str]] = {}
    for r in out:
        by_sku.setdefault(r["sku"], set()).add(r["service_id"])
        assert r["scheme"] == ("fbp" if r["sku"] == "f" else "rfbs")
    assert by_sku["f"] == set(XS_SEPT)
    assert by_sku["r"] == by_sku["d"] and not any("-fbp-" in s for s in by_sku["r"])
    assert [r["row"] for r in out] == sorted(r["row"] for r in out)
    # the file path, CSV in and out, and an unknown scheme as an error row
    src = tmp_path / "in.csv"
    rows = ["sku,weight_g,length_mm,width_mm,height_mm,declared_value,order_date,scheme"]
    rows += [f"{s},300,200,150,50,1000RUB,{SEPT},{sch}" for s, sch in (("r", "rfbs"), ("f", "fbp"), ("x", "fbs"))]
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    done = subprocess.run(
        CLI + ["batch", str(src), "-o", str(tmp_path / "out.csv"), "--best", "cheapest", "--no-progress"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr  # one row failed
    best = list(csv.DictReader((tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()))
    assert [(r["sku"], r["scheme"]) for r in best] == [("r", "rfbs"), ("f", "fbp")]
    assert best[1]["service_id"].split("-")[1] == "fbp"
    errors = (tmp_path / "out.errors.csv").read_text(encoding="utf-8")
    assert "scheme" in errors and "fbs" in errors


def _long(compiled, part):
    from ratecalc.files.columnar import quote_ingested

    return quote_ingested(compiled, part).to_arrow()


def test_the_july_rfbs_set_agrees_with_the_transcription_of_ozons_file_and_stays_third_party(tariffs):
    """All 133 Russia rFBS lanes of China_scoring_ENG_CN_24_07_26 (a public transcription of Ozon's file) are
    the lanes held from 2026-07-24: rates, days, batteries, liquids, limits and billing; the level stays
    third_party (no one here read Ozon's file) and the note says what confirms it."""
    groups = {"extraSmall": "Extra Small", "budget": "Budget", "small": "Small", "big": "Big"}
    groups |= {"premiumSmall": "Premium Small", "premiumBig": "Premium Big"}
    held = {}
    for svc in tariffs.services:
        for v in svc.model.versions:
            if v.effective_from is not None and str(v.effective_from) == "2026-07-24":
                for r in v.rates:
                    held[(svc.carrier, svc.tier, r.group)] = (r, v)
    with (DATA / "rfbs-ru-2026-07-24-lanes.csv").open(encoding="utf-8") as fh:
        lanes = list(csv.DictReader(fh))
    assert len(lanes) == len(held) == 133
    for lane in lanes:
        carrier = {"Xingyuan(XY)": "Xingyuan"}.get(lane["carrier"], lane["carrier"])
        r, v = held[(carrier, lane["tier"].capitalize(), groups[lane["group"]])]
        assert (r.fixed, r.per_step) == (D(lane["base_cny"]), D(lane["per_gram_cny"])), lane
        assert f"{r.delivery_days.min}-{r.delivery_days.max}" == lane["days"]
        policy = {"1": "allowed", "0": "forbidden"}
        assert (r.batteries, r.liquids) == (policy[lane["batteries_allowed"]], policy[lane["liquids_allowed"]])
        lim = r.limits
        assert (lim.min_weight_g, lim.max_weight_g) == (int(lane["weight_min_g"]), int(lane["weight_max_g"]))
        assert (lim.max_sum_cm, lim.max_longest_cm) == (D(lane["side_sum_cm"]), D(lane["max_side_cm"]))
        assert lim.max_declared_value.amount == D(lane["price_max_rub"])
        assert (r.billing or v.billing).basis == ("greater_of" if lane["vol_divisor"] else "actual")
        assert v.confidence == "third_party"
        assert "transcription of Ozon's own file China_scoring_ENG_CN_24_07_26" in v.confidence_note
        assert any("rfbs-ru-2026-07-24-lanes.csv" in s for s in v.sources)
