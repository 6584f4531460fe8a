"""Ledger downloads: CSV and Excel (.xlsx, written with openpyxl), one row per case.

Cells a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a carriage return)
get a ``'`` in front, with the same rule as the history exports (``webapi.exports.escape_cell``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from webapi.exports import escape_cell


def _cell(value: Any, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, list):
        return escape_cell(", ".join(str(v) for v in value))
    if isinstance(value, dict):
        return escape_cell(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return escape_cell(str(value))


def rows_of(items: Iterable[Mapping[str, Any]], columns: Sequence[str], zone: ZoneInfo) -> list[list[str]]:
    return [[_cell(item.get(name), zone) for name in columns] for item in items]


def to_csv(items: Iterable[Mapping[str, Any]], columns: Sequence[str], zone: ZoneInfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows_of(items, columns, zone))
    return out.getvalue()


def to_xlsx(items: Iterable[Mapping[str, Any]], columns: Sequence[str], zone: ZoneInfo) -> bytes:
    """Every cell as text (so nothing is read as a number, date or formula), header row frozen."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("ledger")
    sheet.freeze_panes = "A2"
    sheet.append(list(columns))
    for row in rows_of(items, columns, zone):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
