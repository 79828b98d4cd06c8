"""The fast XLSX reader gives exactly what openpyxl's read-only ``iter_rows(values_only=True)``
gives (after ``reset_dimensions``), on files openpyxl writes and on parts written by hand the
way Excel writes them (shared strings, rich text, a stale <dimension>, missing rows)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from integrations.services.imports import POS, FileUnreadable, open_table
from integrations.services.xlsx import Book

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def book_rows(data: bytes) -> list[list[Any]]:
    book = Book(data)
    try:
        return [list(row) for path in book.sheet_paths for row in book.rows(path)]
    finally:
        book.close()


def openpyxl_rows(data: bytes) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows: list[list[Any]] = []
    for sheet in workbook.worksheets:
        sheet.reset_dimensions()
        rows.extend(list(row) for row in sheet.iter_rows(values_only=True))
    workbook.close()
    return rows


def typed(rows: list[list[Any]]) -> list[list[tuple[type, Any]]]:
    return [[(type(value), value) for value in row] for row in rows]


def saved(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def handmade(sheet: str, *, strings: str = "", date1904: bool = False) -> bytes:
    """A workbook from its parts, as Excel writes them: shared strings, a style table with a
    date format (style 1), a time format (style 2) and a duration format (style 3)."""
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + (
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            if strings
            else ""
        )
        + "</Types>"
    )
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'<workbook xmlns="{NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships"><workbookPr date1904="{int(date1904)}"/>'
        '<sheets><sheet name="Лист1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/styles" Target="styles.xml"/></Relationships>'
    )
    styles = (
        f'<styleSheet xmlns="{NS}"><numFmts count="1">'
        '<numFmt numFmtId="164" formatCode="dd.mm.yyyy hh:mm"/></numFmts>'
        '<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="4">'
        '<xf numFmtId="0" xfId="0"/><xf numFmtId="164" xfId="0"/>'
        '<xf numFmtId="20" xfId="0"/><xf numFmtId="46" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/styles.xml", styles)
        if strings:
            archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{NS}">{strings}</sst>')
        archive.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{NS}">{sheet}</worksheet>')
    return out.getvalue()


def test_values_of_a_file_openpyxl_writes():
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Номер", "Дата", "Число", "Доля", "Флаг", "Пусто", "Текст"])
    sheet.append([1001, datetime(2026, 3, 5, 14, 30), 79001234567, 62.4512345, True, None, "a"])
    sheet.append(["x", date(2026, 3, 5), -3, 1e-7, False, None, "  пробелы  "])
    sheet.append([None, time(9, 15), 0, 0.5, None, None, "«Ёлка» <b>&amp;</b>"])
    sheet.append([])
    sheet["C7"] = "после пустой строки"
    sheet["B8"] = timedelta(hours=30)
    data = saved(workbook)

    rows = book_rows(data)

    assert typed(rows) == typed(openpyxl_rows(data))
    assert rows[1] == [1001, datetime(2026, 3, 5, 14, 30), 79001234567, 62.4512345, True, None, "a"]
    assert rows[2][:2] == ["x", datetime(2026, 3, 5, 0, 0)]  # a date cell reads as midnight
    assert rows[3][1] == time(9, 15)
    assert rows[4:7] == [[], [], [None, None, "после пустой строки"]]
    assert rows[7] == [None, timedelta(hours=30)]  # a duration format


@pytest.mark.filterwarnings("ignore:Cell B6 is marked as a date")  # openpyxl's, on B6 below
def test_shared_strings_rich_text_inline_strings_and_cell_types():
    strings = (
        "<si><t>Номер сообщения</t></si>"
        '<si><t xml:space="preserve"> с пробелами </t></si>'
        "<si><r><t>жирный</t></r><r><rPr><b/></rPr><t> и обычный</t></r></si>"
        '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si>'
        "<si><t>a_x005F_x000D_b</t></si>"
        "<si><t/></si>"
    )
    sheet = (
        '<dimension ref="A1:B2"/><sheetData>'  # stale: the sheet goes on to row 6
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c>'
        '<c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v>5</v></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>встроенная</t></is></c>'
        '<c r="B2" s="1"><v>46086.6041666667</v></c><c r="C2" t="b"><v>1</v></c>'
        '<c r="D2" t="str"><f>A1&amp;"!"</f><v>итог формулы</v></c>'
        '<c r="E2" t="e"><v>#N/A</v></c><c r="F2" t="d"><v>2026-03-05T14:30:00</v></c></row>'
        '<row r="4"><c r="B4"><v>12345678901</v></c><c r="D4"><v>1.5E3</v></c>'
        '<c r="E4" s="2"><v>0.25</v></c><c r="F4" s="3"><v>1.5</v></c></row>'
        '<row r="5" spans="1:3"><c><v>1</v></c><c><v>2</v></c><c r="E5"><v/></c></row>'
        '<row r="6"><c r="A6" t="inlineStr"><is><r><t>Т</t></r><r><t>екст</t></r></is></c>'
        '<c r="B6" s="1"><v>9999999999</v></c></row>'
        "</sheetData>"
    )
    data = handmade(sheet, strings=strings)

    rows = book_rows(data)

    assert typed(rows) == typed(openpyxl_rows(data))
    assert rows == [
        ["Номер сообщения", " с пробелами ", "жирный и обычный", "東京", "a_x000D_b", ""],
        [
            "встроенная",
            datetime(2026, 3, 5, 14, 30),
            True,
            "итог формулы",
            "#N/A",
            datetime(2026, 3, 5, 14, 30),
        ],
        [],
        [None, 12345678901, None, 1500.0, time(6, 0), timedelta(days=1, hours=12)],
        [1, 2, None, None, None],
        ["Текст", "#VALUE!"],  # a date serial beyond the calendar, as openpyxl says it
    ]


def test_1904_date_system():
    data = handmade(
        '<sheetData><row r="1"><c r="A1" s="1"><v>44621.5</v></c></row></sheetData>',
        date1904=True,
    )

    assert book_rows(data) == openpyxl_rows(data) == [[datetime(2026, 3, 2, 12, 0)]]


def test_a_wrong_dimension_does_not_cut_rows_off():
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for n in range(1, 301):
        sheet.append([n, f"строка {n}"])
    whole = saved(workbook)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(whole)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                content = content.replace(
                    b'<dimension ref="A1:B300"/>', b'<dimension ref="A1:B2"/>'
                )
                assert b'ref="A1:B2"' in content
            target.writestr(name, content)

    rows = book_rows(out.getvalue())

    assert len(rows) == 300
    assert rows[-1] == [300, "строка 300"]


def test_a_sheet_with_a_doctype_is_refused_in_russian():
    data = handmade(
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                content = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + content
            target.writestr(name, content)

    with pytest.raises(FileUnreadable) as refused:
        open_table(POS, "pos.xlsx", out.getvalue())

    assert refused.value.message.startswith("Файл повреждён после строки 0: ")


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="A2" t="s"><v>7</v></c>',  # no such shared string
        '<c r="A2"><v>двенадцать</v></c>',  # not a number
        '<c r="1A"><v>1</v></c>',  # not a cell reference
    ],
)
def test_a_broken_cell_makes_the_file_unreadable_after_the_rows_before_it(cell):
    header = "".join(
        f'<c r="{letter}1" t="inlineStr"><is><t>{title}</t></is></c>'
        for letter, title in zip(
            "ABCDEF",
            ["Номер сообщения", "Дата создания", "Категория", "Фаст-трек", "Текст", "Заявитель"],
            strict=True,
        )
    )
    data = handmade(
        f'<sheetData><row r="1">{header}</row><row r="2">{cell}</row></sheetData>',
        strings="<si><t>a</t></si>",
    )
    table = open_table(POS, "pos.xlsx", data)

    with pytest.raises(FileUnreadable) as refused:
        list(table.rows)

    assert refused.value.message.startswith("Файл повреждён после строки 1: ")
