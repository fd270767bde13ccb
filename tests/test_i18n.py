"""Languages: the catalogs are complete, the choice of language follows one order, numbers and money are
written per locale, and the page and the command line leave no English label in Chinese or Russian."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ratecalc import i18n
from ratecalc.pricing import engine as E
from ratecalc.pricing.wording import REASONS

ROOT = Path(__file__).resolve().parents[1]
QUERY = {"weight": "1.2kg", "dims": "30x20x10cm", "value": "1500RUB", "date": "2026-08-01"}


def _tool():
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "scripts" / "i18n.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_message_of_the_code_is_translated_in_chinese_and_russian():
    tool = _tool()
    extracted = {m.id for d in tool.DOMAINS for m in tool.extract(ROOT, d) if m.id}
    assert len(extracted) > 120  # the extraction really read the sources, templates included
    assert "Price against weight" in extracted and "actual weight" in extracted
    assert tool.check(ROOT) == []


def test_the_completeness_check_fails_on_a_message_without_a_translation(tmp_path):
    tool = _tool()
    import shutil

    for sub in ("ratecalc", "api"):
        shutil.copytree(ROOT / sub, tmp_path / sub, ignore=shutil.ignore_patterns("__pycache__", "static"))
    (tmp_path / "ratecalc" / "extra.py").write_text('t = None\nx = t._("A sentence nobody translated")\n')
    problems = tool.check(tmp_path)
    assert any("A sentence nobody translated" in p and "/zh:" in p for p in problems)
    assert any("A sentence nobody translated" in p and "/ru:" in p for p in problems)


def test_every_reason_the_engine_gives_has_a_wording():
    codes = set(E.REASON_CODES.values()) | {
        E.CODE_DECLARED_VALUE_REQUIRED,
        E.CODE_NO_RATE_FOR_GROUP,
        E.CODE_RATE_UNPUBLISHED,
    }
    assert codes <= set(REASONS)


@pytest.mark.parametrize(
    ("explicit", "header", "expected"),
    [
        ("ru", "zh-CN,zh;q=0.9", "ru"),  # the query string wins
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        (None, "fr-FR, ru;q=0.5, zh;q=0.4", "ru"),  # the first supported, by q
        (None, "zh;q=0, ru;q=0.1", "ru"),  # q=0 means "not this one"
        ("xx", "de-DE", "en"),  # nothing supported: English
        (None, None, "en"),
        ("zh_Hans_CN", None, "zh"),
    ],
)
def test_the_language_is_chosen_in_one_order(explicit, header, expected):
    assert i18n.choose(explicit, header) == expected


def test_numbers_money_and_dates_are_written_per_locale():
    zh, ru, en = i18n.lang("zh"), i18n.lang("ru"), i18n.lang("en")
    assert en is i18n.ENGLISH
    assert en.money("48.75", "CNY") == "48.75 CNY" and en.date(dt.date(2025, 10, 1)) == "2025-10-01"
    assert zh.money("48.75", "CNY") == "¥48.75" and zh.money("1500", "RUB") == "1,500.00\u00a0₽"
    assert ru.money("1234.5", "RUB") == "1\u00a0234,50\u00a0₽"
    assert zh.date(dt.date(2025, 10, 1)) == "2025年10月1日"
    assert ru.date(dt.date(2025, 10, 1)) == "1 октября 2025\u202fг."
    assert ru.percent("21.5") == "21,50\u00a0%" and zh.percent("21.5") == "21.50%"
    assert zh._("actual weight") == "实际重量"  # Ozon's own words on its Chinese sheet
    assert zh._("greater of volumetric and actual weight") == "体积重量与实际重量取大"


# Latin words a Chinese or Russian page may hold: names (services, carriers, Ozon's group and tier names
# as Ozon writes them in every language), codes and units typed into the form.
NAMES = {
    "ratecalc", "Ozon", "API", "JSON", "CNY", "RUB", "USD", "EUR", "rFBS", "FBP", "RETS", "ABT", "ATC", "CEL",
    "GBS", "GUOO", "OYX", "XY", "Xingyuan", "Ural", "ZTO", "Tanais", "Leader", "Cainiao", "ETS", "Hecny",
    "Unitrade", "Economy", "Standard", "Express", "Extra", "Small", "Budget", "Big", "Premium", "English",
    "lang", "SDS", "CN", "ROI", "POST", "v1", "economics", "Apple", "Dyson", "Samsung", "Sony", "CSV", "XLSX", "JavaScript", "csv", "xlsx", "batch", "input", "MB", "kg", "cm", "mm", "g", "YYYY", "MM", "DD", "import", "tariffs", "tariff",
}  # fmt: skip


def visible_text(html: str) -> str:
    """What a reader sees: text outside tags, scripts and styles; the SVG's titles and labels included."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<a [^>]*href="/v1/curves[^"]*"[^>]*>.*?</a>', " ", html, flags=re.S)  # the JSON link itself
    text = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"&[a-z]+;|&#\d+;", " ", text)


def english_left(html: str) -> list[str]:
    words = re.findall(r"[A-Za-z][A-Za-z()]+", visible_text(html))
    return sorted({w for w in words if w.strip("()") not in NAMES and not re.fullmatch(r"\(?M\)?SDS", w)})


@pytest.fixture(scope="module")
def client():
    from api.app import create_app

    with TestClient(create_app()) as c:
        yield c


@pytest.mark.parametrize("lang", ["zh", "ru"])
def test_the_page_leaves_no_english_label_in_chinese_or_russian(client, lang):
    for query in (QUERY, {**QUERY, "weight": "31kg", "battery": "true"}, {}):
        r = client.get("/", params={**query, "lang": lang})
        assert r.status_code == 200
        assert english_left(r.text) == [], query
    assert r.headers["content-language"] == {"zh": "zh-Hans"}.get(lang, lang)


def test_english_words_are_found_by_the_page_check(client):
    r = client.get("/", params=QUERY)  # guards the check itself: the English page is full of them
    assert {"Weight", "Compare", "Price"} <= set(english_left(r.text))


def test_the_browser_language_is_used_when_the_link_names_none(client):
    r = client.get("/", params=QUERY, headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"})
    assert '<html lang="ru">' in r.text and "Сравнить" in r.text and "Accept-Language" in r.headers["vary"]
    assert 'name="lang"' not in r.text  # chosen by the browser: the form does not pin it into the link
    r = client.get("/", params={**QUERY, "lang": "zh"}, headers={"Accept-Language": "ru"})
    assert '<html lang="zh-Hans">' in r.text and '<input type="hidden" name="lang" value="zh">' in r.text


def test_a_bad_field_is_explained_in_the_pages_language(client):
    r = client.get("/", params={**QUERY, "weight": "abc", "lang": "zh"})
    assert r.status_code == 422
    assert "不是重量" in r.text and english_left(r.text) == []


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ratecalc", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80", "PYTHONPATH": str(ROOT), **(env or {})},
        cwd=ROOT,
    )


QUOTE = ["quote", "-w", "31kg", "-d", "30x20x10cm", "--value", "1500RUB", "--date", "2026-08-01", "--all"]


@pytest.mark.parametrize("how", ["flag", "env"])
def test_the_quote_speaks_chinese_within_80_columns(how):
    from ratecalc.cli._wrap import cells

    run = _cli(*QUOTE, "--lang", "zh") if how == "flag" else _cli(*QUOTE, env={"RATECALC_LANG": "zh"})
    assert run.returncode == 0, run.stderr
    assert "包裹：" in run.stdout and "无法承运" in run.stdout
    assert "31,000 克" in run.stdout  # grams written the Chinese way
    assert max(cells(line) for line in run.stdout.splitlines()) <= 80


def test_the_quote_speaks_russian_and_an_unknown_language_is_refused():
    run = _cli("quote", "-w", "1.2kg", "-d", "30x20x10cm", "--value", "1500RUB", "--date", "2026-08-01", "--lang", "ru")
    assert run.returncode == 0 and "Способ доставки" in run.stdout and "до СЦ" in run.stdout
    bad = _cli(*QUOTE, "--lang", "fr")
    assert bad.returncode == 2 and "--lang: unknown language 'fr'" in bad.stderr
