"""The one safe way this product writes Excel: openpyxl in write-only mode, text stays text.

Every workbook a user downloads (the filtered incident list, the weekly summary, the KPI report,
the problemator) goes through ``SheetWriter``, so the rules live in one place:

- a citizen's text is data, never a formula: a string starting with ``= + - @`` (or a tab/CR,
  which Excel also strips before evaluating) is written as a string cell with the quote prefix,
  so Excel shows it as typed and never evaluates it (CSV/DDE injection);
- control characters that XML 1.0 cannot carry (NUL, \\x01–\\x1f except tab/LF/CR) are stripped
  instead of making openpyxl raise halfway through a download;
- aware datetimes are shown in the municipality's local time and written naive (Excel has no time
  zones); the column format says what they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters XML 1.0 forbids (openpyxl raises IllegalCharacterError on them).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel's hard limit for one cell; a longer text is cut with a visible mark, not an error.
MAX_CELL_CHARS = 32_767
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
DATE_FORMAT = "DD.MM.YYYY"


def clean_text(value: str) -> str:
    text = _ILLEGAL.sub("", value)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return text


@dataclass(frozen=True)
class Column:
    title: str
    width: float = 14
    number_format: str | None = None
    wrap: bool = False


class SheetWriter:
    """One write-only sheet: a title row, a header row, then data rows, all made safe."""

    def __init__(
        self,
        workbook: Workbook,
        title: str,
        columns: Sequence[Column],
        *,
        tz: tzinfo | None = None,
        caption: str | None = None,
    ) -> None:
        self.sheet: WriteOnlyWorksheet = workbook.create_sheet(title=clean_text(title)[:31])
        self.columns = list(columns)
        self.tz = tz
        for index, column in enumerate(self.columns, start=1):
            letter = get_column_letter(index)
            self.sheet.column_dimensions[letter].width = column.width
        self.sheet.freeze_panes = "A3" if caption else "A2"
        if caption:
            cell = WriteOnlyCell(self.sheet, value=clean_text(caption))
            cell.font = Font(bold=True, size=12)
            self.sheet.append([cell])
        header = []
        for column in self.columns:
            cell = WriteOnlyCell(self.sheet, value=clean_text(column.title))
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE5F0")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            header.append(cell)
        self.sheet.append(header)

    def cell(self, value: Any, column: Column | None = None) -> Cell:
        return safe_cell(self.sheet, value, column=column, tz=self.tz)

    def row(self, values: Iterable[Any], *, bold: bool = False) -> None:
        cells = []
        for index, value in enumerate(values):
            column = self.columns[index] if index < len(self.columns) else None
            cell = self.cell(value, column)
            if bold:
                cell.font = Font(bold=True)
            cells.append(cell)
        self.sheet.append(cells)

    def blank(self) -> None:
        self.sheet.append([])


def safe_cell(
    sheet: WriteOnlyWorksheet,
    value: Any,
    *,
    column: Column | None = None,
    tz: tzinfo | None = None,
) -> Cell:
    """A cell whose value can never be evaluated by Excel and never breaks the file."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(tz).replace(tzinfo=None) if tz else value.replace(tzinfo=None)
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = (
            column.number_format if column and column.number_format else DATETIME_FORMAT
        )
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]  # stubs omit date
        cell.number_format = (
            column.number_format if column and column.number_format else DATE_FORMAT
        )
    elif value is None or isinstance(value, bool | int | float | Decimal):
        cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]  # stubs omit Decimal
        if column and column.number_format:
            cell.number_format = column.number_format
    else:
        text = clean_text(str(value))
        cell = WriteOnlyCell(sheet, value=text)
        # openpyxl would take "=…" for a formula; a string cell is only ever shown.
        cell.data_type = "s"
        if text.startswith(_FORMULA_START):
            cell.quotePrefix = True  # Excel keeps it text even after the cell is edited
    if column and column.wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def workbook_response(workbook: Workbook, filename: str) -> HttpResponse:
    """The workbook as a download; ``filename`` may be Cyrillic (RFC 6266 via Django)."""
    response = HttpResponse(workbook_bytes(workbook), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = _content_disposition(filename)
    return response


def _content_disposition(filename: str) -> str:
    return content_disposition_header(as_attachment=True, filename=filename) or "attachment"
