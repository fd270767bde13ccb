"""CSV outputs safe to open in a spreadsheet: text cells that would run as a formula are neutralised.

Why: a catalogue's sku, a value quoted back in the errors file or a service name from a user's tariff
file can start with `=`, `+`, `-` or `@` (`=HYPERLINK(...)`, `@SUM(...)`); Excel, LibreOffice and Google
Sheets run such a cell as a formula when the CSV file is opened. As OWASP recommends ("CSV Injection"), a
text cell starting with one of those characters, a tab or a carriage return is written with a single
quote in front (`'=1+2`), which a spreadsheet shows as the text. Only *text* columns are touched: numbers
(`-5` in a price, a profit or a row number) are typed columns and stay numbers. Parquet outputs are typed
data, not spreadsheet text, and are written as they are. docs/input.md says the same for users.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TRIGGERS = "=+-@\t\r"
"""First characters a spreadsheet may read as the start of a formula (OWASP)."""
_IS_TRIGGER = np.zeros(256, bool)  # by first byte (each trigger is one ASCII byte in UTF-8)
_IS_TRIGGER[np.frombuffer(TRIGGERS.encode(), np.uint8)] = True


def _risky(arr: pa.Array) -> np.ndarray:
    """Where a string array's value starts with one of TRIGGERS, read from its buffers (no Python string
    per cell: the long form of a large catalogue has tens of millions of sku cells)."""
    n = len(arr)
    _, offsets_buf, data_buf = arr.buffers()
    if n == 0 or data_buf is None:
        return np.zeros(n, bool)
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(offsets_buf, width)[arr.offset : arr.offset + n + 1].astype(np.int64, copy=False)
    data = np.frombuffer(data_buf, np.uint8)
    if len(data) == 0:  # every value empty (or null)
        return np.zeros(n, bool)
    starts = offsets[:-1]
    filled = offsets[1:] > starts
    first = data[np.minimum(starts, len(data) - 1)]  # an empty value's byte is masked off by `filled`
    risky = filled & _IS_TRIGGER[first]
    if arr.null_count:
        risky &= arr.is_valid().to_numpy(zero_copy_only=False)
    return risky


def _neutralised(arr: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(arr.type):
        values = _neutralised(arr.dictionary)
        return arr if values is arr.dictionary else pa.DictionaryArray.from_arrays(arr.indices, values)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return arr
    risky = _risky(arr)
    if not risky.any():
        return arr
    at = pa.array(np.flatnonzero(risky))
    quoted = pc.binary_join_element_wise(pa.scalar("'", arr.type), arr.take(at), pa.scalar("", arr.type))
    return pc.replace_with_mask(arr, pa.array(risky), quoted)  # only the risky cells are rebuilt


def _is_text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_text(t.value_type)
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """`table` with every text cell that starts with one of TRIGGERS prefixed by `'` (numbers untouched;
    a table without such a cell is returned as it is)."""
    for i, f in enumerate(table.schema):
        if not _is_text(f.type):
            continue
        old = table.column(i).chunks
        chunks = [_neutralised(c) for c in old]
        if any(new is not was for new, was in zip(chunks, old)):
            table = table.set_column(i, f, pa.chunked_array(chunks, f.type))
    return table


def neutralise_frame(frame: Any) -> Any:
    """The same for a pandas DataFrame (the Dask engine's CSV output): text (object or string) columns."""
    import pandas as pd

    out = frame
    for name in frame.columns:
        col = frame[name]
        if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
            continue
        is_text = col.map(lambda v: isinstance(v, str)).astype(bool)  # an object column may hold numbers too
        text = col.astype("string")
        risky = is_text & text.str[:1].isin(list(TRIGGERS)).fillna(False).astype(bool)
        if risky.any():
            if out is frame:
                out = frame.copy()
            out[name] = col.where(~risky, "'" + text)
    return out


__all__ = ["TRIGGERS", "neutralise_formulas", "neutralise_frame"]
