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

import math
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
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

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
        landscape: bool | None = None,
    ) -> None:
        self.sheet: WriteOnlyWorksheet = workbook.create_sheet(title=clean_text(title)[:31])
        if landscape is not None:
            # Before the first row: a write-only sheet writes its <sheetPr> (fit to page) then.
            print_setup(self.sheet, landscape=landscape, repeat_rows=2 if caption else 1)
        self.columns = list(columns)
        self.tz = tz
        for index, column in enumerate(self.columns, start=1):
            letter = get_column_letter(index)
            self.sheet.column_dimensions[letter].width = column.width
        self.sheet.freeze_panes = "A3" if caption else "A2"
        if caption:
            cell = WriteOnlyCell(self.sheet, value=clean_text(caption))
            cell.font = Font(bold=True, size=12)
            if landscape is not None:
                self._fit_caption(cell)
            self.sheet.append([cell])
        header = []
        for column in self.columns:
            cell = WriteOnlyCell(self.sheet, value=clean_text(column.title))
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE5F0")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            header.append(cell)
        self.sheet.append(header)

    def _fit_caption(self, cell: Cell) -> None:
        """Wrap the caption within the table's width (merged across its columns): a caption
        spilling to the right would make «fit to page width» shrink the whole page to it."""
        last = get_column_letter(max(len(self.columns), 1))
        self.sheet.merged_cells.add(f"A1:{last}1")  # type: ignore[attr-defined]  # stubs omit it on write-only sheets
        width = sum(column.width for column in self.columns) or 1
        lines = math.ceil(1.2 * len(str(cell.value)) / width)  # bold 12 pt is wider than 11
        self.sheet.row_dimensions[1].height = 17 * max(lines, 1)  # type: ignore[attr-defined]
        cell.alignment = Alignment(wrap_text=True, vertical="top")

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


# --- printing and charts (issue 6: «ready to print», charts by block and by weekday) ---------


def print_setup(sheet: WriteOnlyWorksheet, *, landscape: bool = True, repeat_rows: int = 0) -> None:
    """A4, fit to the page width, the header rows repeated on every printed page.

    Call it before the sheet's first row (``SheetWriter(..., landscape=…)`` does): a write-only
    sheet writes its properties, where «fit to page» lives, with the first row.
    """
    # The stubs omit what WriteOnlyWorksheet copies from Worksheet (``_setup``): page_setup,
    # sheet_properties, add_chart — all present at run time.
    target: Any = sheet
    target.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    target.page_setup.orientation = "landscape" if landscape else "portrait"
    target.page_setup.fitToWidth = 1
    target.page_setup.fitToHeight = 0  # as many pages down as the rows need
    target.sheet_properties.pageSetUpPr.fitToPage = True
    if repeat_rows:
        target.print_title_rows = f"1:{repeat_rows}"


@dataclass(frozen=True)
class ChartData:
    """Where a chart's numbers sit on its sheet: 1-based columns and rows.

    ``header_row`` holds the series names; categories are in ``category_column`` below it.
    """

    header_row: int
    last_row: int
    category_column: int
    first_value_column: int
    last_value_column: int


def _chart_references(sheet: WriteOnlyWorksheet, data: ChartData) -> tuple[Reference, Reference]:
    values = Reference(
        sheet,
        min_col=data.first_value_column,
        max_col=data.last_value_column,
        min_row=data.header_row,
        max_row=data.last_row,
    )
    categories = Reference(
        sheet,
        min_col=data.category_column,
        min_row=data.header_row + 1,
        max_row=data.last_row,
    )
    return values, categories


def add_bar_chart(
    sheet: WriteOnlyWorksheet, data: ChartData, *, title: str, y_title: str, anchor: str
) -> None:
    chart = BarChart()
    chart.type = "bar"  # horizontal: long block names stay readable
    chart.title = clean_text(title)
    chart.y_axis.title = clean_text(y_title)
    chart.legend = None
    chart.height, chart.width = 9, 18
    values, categories = _chart_references(sheet, data)
    chart.add_data(values, titles_from_data=True)
    chart.set_categories(categories)
    target: Any = sheet  # see print_setup: add_chart exists, the stubs do not know it
    target.add_chart(chart, anchor)


def add_line_chart(
    sheet: WriteOnlyWorksheet, data: ChartData, *, title: str, y_title: str, anchor: str
) -> None:
    chart = LineChart()
    chart.title = clean_text(title)
    chart.y_axis.title = clean_text(y_title)
    chart.height, chart.width = 9, 18
    values, categories = _chart_references(sheet, data)
    chart.add_data(values, titles_from_data=True)
    chart.set_categories(categories)
    target: Any = sheet
    target.add_chart(chart, anchor)
