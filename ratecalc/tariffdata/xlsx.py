"""The one door every spreadsheet importer reads an XLSX workbook through, whoever made the file.

Why one place: an XLSX is a zip of XML parts, and openpyxl trusts what the parts say. A 62 KB file that
declares `A1:XFD1048576` and holds one row at 1,048,576 makes read-only openpyxl build a million rows
of 16,384 cells; a sheet whose `<dimension>` says `A1:V100` has every row past 100 silently dropped; a
1.2 MB zip entry inflates to 1 GiB; a DTD in any part is a billion-laughs or XXE attempt. Both importers
(`ratecalc tariffs import`, `ratecalc commissions import`) read through `open_workbook` and
`CheckedWorkbook.rows`, which refuse each of these with one `WorkbookError` naming the file and the reason.

What is checked, before openpyxl parses anything:
1. the path is a regular file (not a directory, FIFO or device) of at most MAX_FILE_BYTES, read once
   into memory (`safefile.read_regular`): every later step reads those bytes, never the path again;
2. it is a zip archive, and every entry's declared inflated size is at most MAX_PART_BYTES and all of
   them together at most MAX_TOTAL_BYTES (Python's zip reader never inflates past the declared size,
   and a lying size then fails the entry's CRC, which is refused as damage);
3. every XML part is inflated once in chunks and refused if it declares a DTD (`<!DOCTYPE`, `<!ENTITY`:
   no workbook needs one) or is not UTF-8 (every spreadsheet program writes UTF-8);
4. each worksheet's rows are counted on the way: a sheet with a row past MAX_ROWS or a cell past
   MAX_COLUMNS is refused before it is parsed.

Then openpyxl reads the checked bytes in read-only mode with each sheet's declared dimension reset, so
the rows read are the rows the sheet holds, not the ones its header claims; the same bounds are held
while the rows are read (rows, columns and MAX_CELLS in all).

The limits sit far above Ozon's real files (the April 2026 rate sheet: 150 KB, parts up to 172 KB, 164
rows of 22 columns; the commission workbook: ~10,800 rows of 16 columns) and far below what a 2-core
machine with a few GB of memory can afford. `docs/limits.md` lists them.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Union

from .safefile import UnreadableFile, read_regular, size_text

MAX_FILE_BYTES = 64 << 20
"""An XLSX file on disk."""
MAX_PART_BYTES = 128 << 20
"""One part of it, inflated (a 100,000-row sheet of real data is ~50 MB of XML)."""
MAX_TOTAL_BYTES = 256 << 20
"""All its parts together, inflated."""
MAX_ROWS = 100_000
"""Rows of one sheet (the highest row number it uses)."""
MAX_COLUMNS = 256
"""Columns of one sheet (A..IV)."""
MAX_CELLS = 5_000_000
"""Cells (filled or between filled ones) read from one sheet."""

_XML_SUFFIXES = (".xml", ".rels", ".vml")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
_ROW_TAG = re.compile(rb"<(?:[\w.-]+:)?row[\s>/]")
_ROW_NUMBER = re.compile(rb"<(?:[\w.-]+:)?row\s[^>]*?\br=[\"'](\d+)")
_WIDE_CELL = re.compile(rb"<(?:[\w.-]+:)?c\s[^>]*?\br=[\"'](?:[A-Z]{3,}|I[W-Z]|[J-Z][A-Z])\d")
_NOT_UTF8_STARTS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"<\x00", b"\x00<")


class WorkbookError(UnreadableFile):
    """A file that cannot be read as a workbook, or that breaks a limit; one line names the file and why."""


def column_letters(n: int) -> str:
    """1 -> A, 256 -> IV, 16384 -> XFD."""
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass
class _Extent:
    """Rows and columns one part has shown so far, counted in blocks of whole tags."""

    path: Path
    part: str
    rows: int = 0
    highest: int = 0

    def add(self, block: bytes) -> None:
        """Count `block`'s rows; refuse the part once it passes MAX_ROWS or shows a cell past MAX_COLUMNS."""
        self.rows += len(_ROW_TAG.findall(block))
        numbers = _ROW_NUMBER.findall(block)
        if numbers:
            self.highest = max(self.highest, max(map(int, numbers)))
        if max(self.rows, self.highest) > MAX_ROWS:
            raise WorkbookError(
                self.path,
                f"a sheet ({self.part}) has a row at {max(self.rows, self.highest):,}; "
                f"a sheet may have at most {MAX_ROWS:,} rows",
            )
        if _WIDE_CELL.search(block):
            raise WorkbookError(
                self.path,
                f"a sheet ({self.part}) has a cell past column {column_letters(MAX_COLUMNS)}; "
                f"a sheet may have at most {MAX_COLUMNS} columns",
            )


def _refuse_dtd(block: bytes, path: Path, part: str) -> None:
    if _DTD.search(block):
        raise WorkbookError(path, f"part {part} declares a DTD or entities (<!DOCTYPE/<!ENTITY); no workbook needs one")


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> int:
    """Inflate one part in chunks: refuse a DTD, non-UTF-8 XML or a sheet past the bounds; its size.

    Every part is scanned, whatever its name: a workbook's relationships may point a sheet at any part,
    so rows and cells are counted in every one. A chunk is checked up to its last `>` (a tag is never cut
    in two), the rest carried into the next.
    """
    xml = info.filename.lower().endswith(_XML_SUFFIXES)
    extent = _Extent(path, info.filename)
    inflated = 0
    tail = b""
    with archive.open(info) as part:
        while chunk := part.read(1 << 20):
            if inflated == 0 and xml and chunk.startswith(_NOT_UTF8_STARTS):
                raise WorkbookError(path, f"part {info.filename} is not UTF-8 XML; spreadsheet programs write UTF-8")
            inflated += len(chunk)
            buf = tail + chunk
            cut = buf.rfind(b">") + 1
            if cut == 0 and len(buf) < (1 << 20):
                tail = buf
                continue
            block, tail = (buf[:cut], buf[cut:]) if cut else (buf, b"")
            _refuse_dtd(block, path, info.filename)
            extent.add(block)
    _refuse_dtd(tail, path, info.filename)
    return inflated


def _checked_archive(path: Path, data: bytes) -> None:
    """Steps 2-4 of the module's list on the bytes of `path`."""
    if not data:
        raise WorkbookError(path, "is empty, not an XLSX workbook")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise WorkbookError(path, "is not an XLSX workbook (not a zip archive, or a truncated one)") from None
    except Exception as exc:  # zipfile raises several types for a damaged directory
        raise WorkbookError(path, f"is not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    with archive:
        infos = archive.infolist()
        declared = 0
        for info in infos:
            if info.file_size > MAX_PART_BYTES:
                raise WorkbookError(
                    path,
                    f"part {info.filename} inflates to {size_text(info.file_size)}; "
                    f"a part may be at most {size_text(MAX_PART_BYTES)}",
                )
            declared += info.file_size
        if declared > MAX_TOTAL_BYTES:
            raise WorkbookError(
                path,
                f"its parts inflate to {size_text(declared)}; a workbook may inflate to at most "
                f"{size_text(MAX_TOTAL_BYTES)}",
            )
        try:
            for info in infos:
                _scan_part(archive, info, path)
        except WorkbookError:
            raise
        except Exception as exc:  # a bad CRC, a broken deflate stream, an encrypted entry
            raise WorkbookError(path, f"is a damaged XLSX workbook ({type(exc).__name__}: {exc})") from None


@dataclass
class CheckedWorkbook:
    """An openpyxl read-only workbook over bytes that passed every check; read rows through `rows`."""

    path: Path
    book: Any  # openpyxl.Workbook (read-only)

    @property
    def sheetnames(self) -> list[str]:
        return list(self.book.sheetnames)

    def visible(self) -> list[str]:
        """Names of the sheets a person sees (hidden and very hidden ones are never read)."""
        return [ws.title for ws in self.book.worksheets if ws.sheet_state == "visible"]

    def rows(self, name: str) -> list[tuple]:
        """Every row of sheet `name` (values), to its true extent; a row is as wide as its last cell.

        Row k of the list is row k + 1 of the sheet (gaps come back as empty rows).
        """
        ws = self.book[name]
        ws.reset_dimensions()  # the declared <dimension> is a claim: read the rows the sheet holds
        out: list[tuple] = []
        cells = 0
        try:
            for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
                if number > MAX_ROWS:
                    raise WorkbookError(
                        self.path, f"sheet {name!r} has more than {MAX_ROWS:,} rows; a sheet may have at most that"
                    )
                if len(row) > MAX_COLUMNS:
                    raise WorkbookError(
                        self.path,
                        f"sheet {name!r} row {number} has a cell in column {column_letters(len(row))}; "
                        f"a sheet may have at most {MAX_COLUMNS} columns ({column_letters(MAX_COLUMNS)})",
                    )
                cells += len(row)
                if cells > MAX_CELLS:
                    raise WorkbookError(
                        self.path, f"sheet {name!r} has more than {MAX_CELLS:,} cells; a sheet may have at most that"
                    )
                out.append(row)
        except WorkbookError:
            raise
        except Exception as exc:  # openpyxl raises many types for a part it cannot read
            raise WorkbookError(self.path, f"sheet {name!r} cannot be read ({type(exc).__name__}: {exc})") from None
        return out


@contextmanager
def open_workbook(path: Union[str, Path], data: Optional[bytes] = None) -> Iterator[CheckedWorkbook]:
    """The workbook at `path`, checked (module docstring), open in read-only mode until the block ends.

    `data`: the file's bytes when the caller has read them already (through `read_regular`), so that
    what is checked, read and hashed is one and the same file.
    """
    p = Path(path)
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - depends on the install
        raise WorkbookError(p, "reading .xlsx needs openpyxl: pip install 'ratecalc[xlsx]'") from None
    if data is None:
        try:
            data = read_regular(p, MAX_FILE_BYTES, "workbook")
        except UnreadableFile as exc:
            raise WorkbookError(p, exc.reason) from None
    _checked_archive(p, data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips: not our reader's news
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # openpyxl raises many types for a zip that is not a workbook
            raise WorkbookError(p, f"is not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
        try:
            yield CheckedWorkbook(p, book)
        finally:
            book.close()


__all__ = [
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_PART_BYTES",
    "MAX_ROWS",
    "MAX_TOTAL_BYTES",
    "CheckedWorkbook",
    "WorkbookError",
    "column_letters",
    "open_workbook",
]
