import json
from pathlib import Path

from ratecalc.tariffdata.compact_schema import json_schema, json_schema_text

SCHEMA = Path(__file__).resolve().parent.parent / "tariffs" / "schema.json"


def test_checked_in_schema_is_current():
    """tariffs/schema.json is what `ratecalc tariffs schema` generates now (regenerate it if this fails)."""
    text = SCHEMA.read_text(encoding="utf-8")
    assert json.loads(text) == json_schema()
    assert text == json_schema_text()  # as the command writes it: an object that fits a line is on one line


def test_the_schema_text_is_the_schema_with_short_objects_on_one_line():
    text = json_schema_text()
    assert json.loads(text) == json_schema()
    assert max(len(line) for line in text.splitlines() if '"description"' not in line) <= 118
    assert '"min": {"anyOf": [{"type": "number"}, {"type": "null"}], "default": null, "title": "Min"}' in text
