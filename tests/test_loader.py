"""Broken tariff files are refused with the file, the path inside it, the line and what is wrong."""

from pathlib import Path

import pytest

from ratecalc import Parcel, TariffError, TariffSet
from ratecalc.tariffdata.loader import load_documents

GOOD = """\
carrier: Test Carrier
carrier_id: test
services:
  - id: test-express
    name: Test Express
    versions:
      - sources: [https://example.invalid/contract]
        billing:
          basis: greater_of
          divisor: 6000
          rounding: {step_g: 100}
        rates:
          - delivery: pickup_point
            fixed: 1.10
            per_step: 0.35
            currency: USD
"""


def write(tmp_path: Path, text: str, name: str = "test.yaml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def problems(tmp_path: Path) -> list:
    with pytest.raises(TariffError) as exc:
        load_documents([tmp_path])
    return exc.value.problems


def test_good_file_loads_and_prices_exactly(tmp_path):
    ts = TariffSet.load([write(tmp_path, GOOD)], builtin=False)
    [q] = [q for q in ts.quote(Parcel.parse("250g", "10x10x10cm", date="2023-01-01")) if q.service_id == "test-express"]
    assert (q.price.amount, q.chargeable_weight_g) == ("2.15", 300)


def test_yaml_syntax_error_has_line(tmp_path):
    [p] = problems(write(tmp_path, GOOD.replace("rounding: {step_g: 100}", "rounding: {step_g: 100")))
    assert p.file.endswith("test.yaml") and p.line is not None and "YAML" in p.message


def test_schema_error_names_path_and_line(tmp_path):
    [p] = problems(write(tmp_path, GOOD.replace("divisor: 6000", "divisor: -5")))
    assert p.path == "services[0].versions[0].billing.divisor"
    assert p.line == 10
    assert "greater than or equal to 1" in p.message


def test_every_problem_is_listed(tmp_path):
    write(tmp_path, GOOD.replace("currency: USD", "currency: XXX"), "a.yaml")
    write(
        tmp_path,
        GOOD.replace("      - sources: [https://example.invalid/contract]\n", "      - effective_from: 2023-01-01\n"),
        "b.yaml",
    )
    found = problems(tmp_path)
    assert {Path(p.file).name for p in found} == {"a.yaml", "b.yaml"}
    assert any("sources" in p.path for p in found)


def test_missing_unpublished_note_is_refused(tmp_path):
    text = GOOD.replace("            fixed: 1.10\n            per_step: 0.35\n", "")
    [p] = problems(write(tmp_path, text))
    assert "unpublished" in p.message


def test_overlapping_versions_are_refused(tmp_path):
    text = GOOD.replace("      - sources:", "      - effective_from: 2023-01-01\n        sources:")
    text += text[text.index("      - effective_from") :].replace("2023-01-01", "2023-06-01")
    found = problems(write(tmp_path, text))
    assert any("overlap" in p.message for p in found)


def test_user_layer_replaces_a_builtin_service(tmp_path):
    own = GOOD.replace("carrier_id: test", "carrier_id: gbs").replace("id: test-express", "id: gbs-broker")
    ts = TariffSet.load([write(tmp_path, own)])
    [q] = [q for q in ts.quote(Parcel.parse("250g", "10x10x10cm", date="2023-01-01")) if q.service_id == "gbs-broker"]
    assert q.price.amount == "2.15" and q.tariff.sources == ["https://example.invalid/contract"]


def test_floats_never_reach_money(tmp_path):
    ts = TariffSet.load([write(tmp_path, GOOD.replace("0.35", "0.1").replace("1.10", "0.2"))], builtin=False)
    [q] = [q for q in ts.quote(Parcel.parse("300g", "10x10x10cm", date="2023-01-01")) if q.service_id == "test-express"]
    assert q.price.amount == "0.50"  # 0.2 + 3 x 0.1 in floats is 0.5000000000000001
