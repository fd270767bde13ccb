import json
from pathlib import Path

from ratecalc.tariffdata.compact_schema import json_schema

SCHEMA = Path(__file__).resolve().parent.parent / "tariffs" / "schema.json"


def test_checked_in_schema_is_current():
    """tariffs/schema.json is what `ratecalc tariffs schema` generates now (regenerate it if this fails)."""
    assert json.loads(SCHEMA.read_text(encoding="utf-8")) == json_schema()
