"""The safe writer: what a citizen typed comes back out of Excel exactly as typed, as text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from reports.xlsx import MAX_CELL_CHARS, Column, SheetWriter, new_workbook, workbook_bytes

YAKUTSK = ZoneInfo("Asia/Yakutsk")


def _roundtrip(values: Sequence[object], *, tz=None):
    workbook = new_workbook()
    sheet = SheetWriter(workbook, "Лист", [Column("Значение")] * len(values), tz=tz)
    sheet.row(values)
    loaded = load_workbook(BytesIO(workbook_bytes(workbook)))
    return next(loaded["Лист"].iter_rows(min_row=2, max_row=2))


def test_formula_like_text_stays_text_and_is_quote_prefixed():
    typed = ['=HYPERLINK("http://evil")', "+7 914 000-00-00", "-1", "@SUM(A1)", "обычный текст"]
    cells = _roundtrip(typed)
    assert [c.value for c in cells] == typed
    assert all(c.data_type == "s" for c in cells)
    assert [c.quotePrefix for c in cells] == [True, True, True, True, False]


def test_control_characters_are_stripped_not_fatal():
    (cell,) = _roundtrip(["яма\x00 на\x1f дороге\x0b"])
    assert cell.value == "яма на дороге"


def test_overlong_text_is_cut_to_the_excel_limit():
    (cell,) = _roundtrip(["ж" * (MAX_CELL_CHARS + 10)])
    assert len(cell.value) == MAX_CELL_CHARS
    assert cell.value.endswith("…")


def test_aware_times_are_written_in_local_time():
    (cell,) = _roundtrip([datetime(2026, 1, 31, 20, 30, tzinfo=UTC)], tz=YAKUTSK)
    assert cell.value == datetime(2026, 2, 1, 5, 30)
    assert cell.number_format == "DD.MM.YYYY HH:MM"


def test_numbers_stay_numbers():
    cells = _roundtrip([42, 0.75, None])
    assert [c.value for c in cells] == [42, 0.75, None]
