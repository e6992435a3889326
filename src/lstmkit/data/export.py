"""Tables out: CSV cells made safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is run
as a formula by Excel, LibreOffice and Google Sheets (CSV injection), so a series id such
as ``=HYPERLINK(...)`` could act on the reader's machine. :func:`spreadsheet_safe`
prefixes such text cells with ``'``, the spreadsheets' own "this is text" mark; numeric
columns are left alone, so ``-3.2`` stays a number.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot start a spreadsheet formula.

    Example:
        >>> frame = pd.DataFrame({"series": ["=1+1", "a", "-7"], "forecast": [-3.2, 1.0, 2.0]})
        >>> spreadsheet_safe(frame).to_dict("list")
        {'series': ["'=1+1", 'a', "'-7"], 'forecast': [-3.2, 1.0, 2.0]}
    """
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            safe[column] = values.map(_safe_cell)
    return safe


def _safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
