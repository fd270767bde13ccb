"""Extract the messages of both gettext domains and merge them into the zh and ru catalogs.

    python scripts/i18n.py          # update ratecalc/locale/*/LC_MESSAGES/ratecalc.po, api/web/locale/*/.../web.po
    python scripts/i18n.py --check  # exit 1 when a message is missing from a catalog or untranslated

New messages arrive untranslated (empty msgstr); messages no longer in the code are dropped. The catalogs
are read at run time (ratecalc.i18n): nothing is compiled. tests/test_i18n.py runs `check`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("zh", "ru")
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
# domain -> (catalog directory, [(source directory, method map)])
DOMAINS = {
    "ratecalc": ("ratecalc/locale", [("ratecalc", [("**.py", "python")])]),
    "web": ("api/web/locale", [("api/web", [("**.py", "python"), ("templates/**.html", "jinja2")])]),
}
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extract(root: Path, domain: str) -> Catalog:
    """Every message the sources of `domain` mark, with where it is used."""
    template = Catalog(domain=domain)
    for source, methods in DOMAINS[domain][1]:
        for filename, lineno, message, comments, context in extract_from_dir(
            root / source, methods, options_map=OPTIONS, keywords=KEYWORDS, strip_comment_tags=True
        ):
            template.add(message, None, [(f"{source}/{filename}", lineno)], auto_comments=comments, context=context)
    return template


def catalog_path(root: Path, domain: str, lang: str) -> Path:
    return root / DOMAINS[domain][0] / lang / "LC_MESSAGES" / f"{domain}.po"


def read(path: Path, lang: str, domain: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=lang, domain=domain)
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=domain)


def update(root: Path, domain: str) -> Iterator[tuple[Path, int]]:
    template = extract(root, domain)
    for lang in LANGS:
        path = catalog_path(root, domain, lang)
        catalog = read(path, lang, domain)
        before = {m.id for m in catalog if m.id}
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, catalog, width=120, omit_header=False, sort_output=False)
        yield path, len({m.id for m in catalog if m.id} - before)


def _key(msgid) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def check(root: Path) -> list[str]:
    """Every extracted message present and translated (not fuzzy, every plural form) in zh and ru."""
    problems = []
    library = {lang: read(catalog_path(root, "ratecalc", lang), lang, "ratecalc") for lang in LANGS}
    for domain in DOMAINS:
        template = extract(root, domain)
        for lang in LANGS:
            catalog = read(catalog_path(root, domain, lang), lang, domain)
            for m in template:
                if not m.id:
                    continue
                found = catalog.get(m.id) or (library[lang].get(m.id) if domain == "web" else None)
                where = ", ".join(f"{f}:{n}" for f, n in m.locations[:2])
                if found is None:
                    problems.append(f"{domain}/{lang}: missing {_key(m.id)!r} ({where})")
                elif found.fuzzy or not all(found.string if isinstance(found.string, tuple) else [found.string]):
                    problems.append(f"{domain}/{lang}: untranslated {_key(m.id)!r} ({where})")
    return problems


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        found = check(ROOT)
        print("\n".join(found) or "every message is translated in zh and ru")
        sys.exit(1 if found else 0)
    for name in DOMAINS:
        for written, added in update(ROOT, name):
            print(f"{written.relative_to(ROOT)}: {added} new")
