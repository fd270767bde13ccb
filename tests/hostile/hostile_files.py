"""Tiny generators of hostile files: workbooks written part by part, so every part can lie.

A workbook here is the five parts every reader needs ([Content_Types].xml, the package and workbook
relationships, workbook.xml, one sheet); strings are inline (`t="inlineStr"`) unless a test brings its
own shared-strings part. Nothing big is committed: a test builds what it needs in tmp_path.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Iterable, Optional, Sequence
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

COMMISSION_HEADER = [
    "DescriptiveType",
    "ZH",
    "EN",
    "DescriptiveCategory3",
    "ZH",
    "EN",
    "MP Category",
    "ZH",
    "EN",
    "Brand",
    "RFBS -> 0 - 1500 -> Тариф, %",
    "RFBS -> 1500.01 - 5000 -> Тариф, %",
    "RFBS -> 5000.01+ -> Тариф, %",
    "FBP -> 0 - 1500 -> Тариф, %",
    "FBP -> 1500.01 - 5000 -> Тариф, %",
    "FBP -> 5000.01+ -> Тариф, %",
]


def commission_row(i: int, rate: str = "12.00%") -> list[str]:
    return [f"Тип {i}", "类型", "Type", "Кат", "类", "Cat", "Аптека", "药店", "Pharmacy", "All"] + [rate] * 6


def col(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def row_xml(number: int, cells: Sequence[object], first_col: int = 1) -> bytes:
    parts = []
    for j, value in enumerate(cells, start=first_col):
        if value is None:
            continue
        ref = f"{col(j)}{number}"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            parts.append(f'<c r="{ref}"><v>{value}</v></c>')
        else:
            parts.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
    return f'<row r="{number}">{"".join(parts)}</row>'.encode()


def sheet_xml(rows: Iterable[bytes], dimension: Optional[str] = None, prolog: bytes = b"") -> bytes:
    dim = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return (
        XML_DECL
        + prolog
        + f'<worksheet xmlns="{MAIN}">'.encode()
        + dim
        + b"<sheetData>"
        + b"".join(rows)
        + (b"</sheetData></worksheet>")
    )


def commission_sheet(rows: int = 3, dimension: Optional[str] = None) -> bytes:
    table = [row_xml(1, [None] * 9 + ["Starts from 01/12/2025"]), row_xml(2, COMMISSION_HEADER)]
    table += [row_xml(3 + i, commission_row(i)) for i in range(rows)]
    return sheet_xml(table, dimension)


def parts(sheet: bytes, name: str = "Full ChinaHK", shared: Optional[bytes] = None) -> dict[str, bytes]:
    """The parts of a one-sheet workbook around `sheet` (and a shared-strings part, if given)."""
    overrides = (
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    )
    rels = f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    if shared is not None:
        overrides += (
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
        rels += f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    out = {
        "[Content_Types].xml": XML_DECL
        + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>' + overrides + "</Types>"
        ).encode(),
        "_rels/.rels": XML_DECL
        + (
            f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": XML_DECL
        + (
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            f'<sheet name="{escape(name)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": XML_DECL + f'<Relationships xmlns="{PKG_REL}">{rels}</Relationships>'.encode(),
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared is not None:
        out["xl/sharedStrings.xml"] = shared
    return out


def write_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return path


def replace_parts(source: Path, target: Path, changes: dict[str, bytes]) -> Path:
    """A copy of the workbook `source` with some parts replaced (or added)."""
    with zipfile.ZipFile(source) as z:
        entries = {i.filename: z.read(i) for i in z.infolist()}
    entries.update(changes)
    return write_zip(target, entries)


LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b"]>\n"
)
"""The billion laughs: &lol9; is 10^9 "lol"s."""

XXE = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


def with_prolog(xml: bytes, prolog: bytes, entity: bytes) -> bytes:
    """`xml` with a DTD after its declaration and its first inline string replaced by `entity` (&name;)."""
    body = xml[len(XML_DECL) :] if xml.startswith(XML_DECL) else xml
    start = body.index(b"<t>") + 3
    end = body.index(b"</t>", start)
    return XML_DECL + prolog + body[:start] + entity + body[end:]


def shared_strings(prolog: bytes, entity: bytes) -> bytes:
    return (
        XML_DECL
        + prolog
        + f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'.encode()
        + entity
        + (b"</t></si></sst>")
    )


def inflating_entry(path: Path, base: dict[str, bytes], name: str, size: int, around: bytes = b"") -> Path:
    """The workbook `base` with entry `name` replaced by `size` bytes of padding, deflated at the fastest
    level (1 GiB -> ~4.5 MB in ~2 s; the best level makes ~1 MB in ~8 s).

    `around`: XML to wrap the padding in (the padding goes before its last `</`), so a sheet stays valid XML.
    """
    cut = around.rindex(b"</") if around else 0
    write_zip(path, {k: v for k, v in base.items() if k != name})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as f:
            f.write(around[:cut])
            block = b" " * (1 << 24) if around else bytes(1 << 24)
            left = size
            while left:
                n = min(left, len(block))
                f.write(block[:n])
                left -= n
            f.write(around[cut:])
    return path


def lying_size(path: Path, base: dict[str, bytes], name: str, real: bytes, declared: int) -> Path:
    """A workbook whose entry `name` declares `declared` inflated bytes but inflates to `real`."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in base.items():
            z.writestr(n, data)
        z.writestr(name, real)
    data = bytearray(buf.getvalue())
    # patch the sizes in the local header and the central directory entry of `name`
    import struct

    encoded = name.encode()
    for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = 0
        while True:
            pos = data.find(sig, pos)
            if pos < 0:
                break
            name_at = pos + (30 if sig == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(encoded)] == encoded:
                struct.pack_into("<I", data, pos + size_at, declared)
            pos += 4
    path.write_bytes(bytes(data))
    return path
