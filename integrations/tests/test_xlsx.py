"""XLSX sheets as the import reads them (python-calamine): the values each kind of cell gives
the ПОС translation, the row numbers Excel shows, and the files refused before anything is
stored — on files openpyxl writes and on parts written by hand the way Excel writes them
(shared strings, rich text, a stale <dimension>, missing rows)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from integrations.services.imports import POS, FileUnreadable, Row, open_table

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
TZ = ZoneInfo("Asia/Yekaterinburg")
POS_TITLES = ["Номер сообщения", "Дата создания", "Категория", "Фаст-трек", "Текст", "Заявитель"]


def table_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    table = open_table(POS, "pos.xlsx", data)
    try:
        return [(number, list(values)) for number, values in table.rows]
    finally:
        table.close()


def items(data: bytes) -> list[tuple[int, dict[str, Any], dict[str, str | None]]]:
    """Each data row as the ПОС contract item it becomes, with the import's hints."""
    table = open_table(POS, "pos.xlsx", data)
    try:
        return [
            (number, *POS.build(Row(values, table.positions), TZ)) for number, values in table.rows
        ]
    finally:
        table.close()


def saved(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rewritten(data: bytes, part: str, change: Any) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            content = source.read(name)
            target.writestr(name, change(content) if name == part else content)
    return out.getvalue()


def header_cells(row: int = 1, first: str = "A") -> str:
    """The ПОС header as inline-string cells of one row, from column ``first`` on."""
    letters = "ABCDEFGHIJ"[ord(first) - ord("A") :]
    return "".join(
        f'<c r="{letter}{row}" t="inlineStr"><is><t>{title}</t></is></c>'
        for letter, title in zip(letters, POS_TITLES, strict=False)
    )


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


def test_cells_of_a_file_openpyxl_writes_become_the_contract():
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([*POS_TITLES, "E-mail", "Телефон", "Широта"])
    sheet.append(
        [1001, datetime(2026, 3, 5, 14, 30), "ЖКХ", True, "a", "Б", None, 79001234567, 62.4512345]
    )
    sheet.append(["x", datetime(2026, 3, 5), "ЖКХ", 0, "  пробелы  ", "Б", "", 1.5e3, None])
    sheet.append(["y", time(9, 15), "ЖКХ", "Нет", "«Ёлка» <b>&amp;</b>", "Б"])
    sheet.append([])
    sheet["A7"] = "z"
    sheet["B7"] = timedelta(hours=30)
    data = saved(workbook)

    made = items(data)

    assert [number for number, _item, _hints in made] == [2, 3, 4, 5, 6, 7]
    (_, first, hints), (_, second, _), (_, third, third_hints) = made[:3]
    assert first["id"] == "1001"  # a number cell: the id as Excel shows it
    assert first["created_at"] == "2026-03-05T14:30:00+05:00"  # local time of the municipality
    assert (first["fast_track"], second["fast_track"]) == (True, False)
    assert first["applicant"] == {"name": "Б", "phone": "79001234567"}
    assert first["coordinates"]["lat"] == "62.451235"
    assert hints["created_at"] is None
    assert second["created_at"] == "2026-03-05T00:00:00+05:00"  # a whole day reads as midnight
    assert second["text"] == "пробелы"
    assert second["applicant"]["phone"] == "1500"
    assert third["text"] == "«Ёлка» <b>&amp;</b>"  # text stays text
    assert third_hints["created_at"] is not None  # a time of day alone is no moment
    assert made[3][1]["id"] == ""  # the empty row: nothing but blanks
    assert made[5][1]["id"] == "z"
    assert made[5][2]["created_at"] is not None  # a duration is no moment either


def test_shared_strings_rich_text_inline_strings_and_cell_types():
    strings = (
        "<si><t>Номер сообщения</t></si>"
        '<si><t xml:space="preserve"> с пробелами </t></si>'
        '<si><r><t>жирный</t></r><r><rPr><b/></rPr><t xml:space="preserve"> и обычный</t></r></si>'
        "<si><t>Текст</t></si>"
        "<si><t/></si>"
    )
    sheet = (
        '<dimension ref="A1:B2"/><sheetData>'  # stale: the sheet goes on to row 6
        '<row r="1"><c r="A1" t="s"><v>0</v></c>'
        '<c r="B1" t="inlineStr"><is><t>Дата создания</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>Категория</t></is></c>'
        '<c r="D1" t="inlineStr"><is><t>Фаст-трек</t></is></c>'
        '<c r="E1" t="s"><v>3</v></c>'
        '<c r="F1" t="inlineStr"><is><t>Заявитель</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>встроенная</t></is></c>'
        '<c r="B2" s="1"><v>46086.6041666667</v></c><c r="C2" t="s"><v>1</v></c>'
        '<c r="D2" t="b"><v>1</v></c>'
        '<c r="E2" t="str"><f>A1&amp;"!"</f><v>итог формулы</v></c>'
        '<c r="F2" t="s"><v>2</v></c></row>'
        '<row r="4"><c r="A4"><v>12345678901</v></c>'
        '<c r="B4" t="d"><v>2026-03-05T14:30:00</v></c><c r="E4" t="s"><v>4</v></c></row>'
        '<row r="6"><c r="A6" t="inlineStr"><is><r><t>Т</t></r><r><t>екст</t></r></is></c>'
        '<c r="B6" s="1"><v>46086</v></c></row>'
        "</sheetData>"
    )
    data = handmade(sheet, strings=strings)

    made = {number: (item, hints) for number, item, hints in items(data)}

    assert sorted(made) == [2, 3, 4, 5, 6]  # rows 3 and 5 are missing: empty, numbers kept
    item = made[2][0]
    assert item["id"] == "встроенная"
    assert item["created_at"] == "2026-03-05T14:30:00+05:00"  # a date-styled number
    assert item["category"]["name"] == "с пробелами"
    assert item["fast_track"] is True
    assert item["text"] == "итог формулы"  # a formula's last value, not the formula
    assert item["applicant"]["name"] == "жирный и обычный"
    assert made[4][0]["id"] == "12345678901"
    assert made[4][0]["created_at"] == "2026-03-05T14:30:00+05:00"  # an ISO date cell
    assert made[4][0]["text"] == ""
    assert made[6][0]["id"] == "Текст"
    assert made[6][0]["created_at"] == "2026-03-05T00:00:00+05:00"


def test_1904_date_system():
    data = handmade(
        f'<sheetData><row r="1">{header_cells()}</row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>1</t></is></c>'
        '<c r="B2" s="1"><v>44621.5</v></c></row></sheetData>',
        date1904=True,
    )

    assert items(data)[0][1]["created_at"] == "2026-03-02T12:00:00+05:00"


def test_a_wrong_dimension_does_not_cut_rows_off():
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(POS_TITLES)
    for n in range(1, 300):
        sheet.append([n, f"строка {n}"])
    data = rewritten(
        saved(workbook),
        "xl/worksheets/sheet1.xml",
        lambda content: content.replace(b'<dimension ref="A1:F300"/>', b'<dimension ref="A1:B2"/>'),
    )
    assert b'ref="A1:B2"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")

    rows = table_rows(data)

    assert len(rows) == 299
    assert rows[-1] == (300, [299.0, "строка 299", "", "", "", ""])


def test_rows_keep_the_numbers_excel_shows_when_the_sheet_starts_lower_and_to_the_right():
    data = handmade(
        '<sheetData><row r="3"><c r="C3" t="inlineStr"><is><t>Выгрузка ПОС</t></is></c></row>'
        f'<row r="5">{header_cells(row=5, first="B")}</row>'
        '<row r="6"><c r="B6" t="inlineStr"><is><t>POS-1</t></is></c></row>'
        '<row r="8"><c r="B8" t="inlineStr"><is><t>POS-2</t></is></c></row></sheetData>'
    )

    assert [(number, item["id"]) for number, item, _ in items(data)] == [
        (6, "POS-1"),
        (7, ""),
        (8, "POS-2"),
    ]


def test_a_sheet_with_an_entity_is_refused_in_russian():
    data = handmade(
        f'<sheetData><row r="1">{header_cells()}</row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>x&amp;y</t></is></c></row></sheetData>'
    )
    data = rewritten(
        data,
        "xl/worksheets/sheet1.xml",
        lambda content: (
            b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + content.replace(b"x&amp;y", b"x&a;y")
        ),
    )

    with pytest.raises(FileUnreadable) as refused:
        open_table(POS, "pos.xlsx", data)

    assert refused.value.message.startswith("Не удалось прочитать лист «Лист1»: ")


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="A2" t="s"><v>7</v></c>',  # no such shared string
        '<c r="1A"><v>1</v></c>',  # not a cell reference
        '<c r="A2"><v>1</v>',  # the sheet's XML breaks off
    ],
)
def test_a_broken_sheet_is_refused_before_any_row(cell):
    data = handmade(
        f'<sheetData><row r="1">{header_cells()}</row><row r="2">{cell}</row></sheetData>',
        strings="<si><t>a</t></si>",
    )

    with pytest.raises(FileUnreadable) as refused:
        open_table(POS, "pos.xlsx", data)

    assert refused.value.message.startswith("Не удалось прочитать лист «Лист1»: ")


def test_a_workbook_that_unpacks_too_large_is_refused_even_when_its_zip_lies(settings):
    """A zip bomb: calamine would inflate the sheet whatever size the archive declares."""
    settings.MCU_IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{"я" * 200}</t></is></c></row>'
        for n in range(2, 5000)
    )
    honest = rewritten(  # deflated, as Excel writes its parts
        handmade(f'<sheetData><row r="1">{header_cells()}</row>{rows}</sheetData>'),
        "",
        lambda content: content,
    )
    info = zipfile.ZipFile(io.BytesIO(honest)).getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size > 2_000_000
    assert info.compress_size < 100_000
    # The same archive declaring the sheet 1 000 bytes long, in both of its headers.
    lying = honest.replace(info.file_size.to_bytes(4, "little"), (1000).to_bytes(4, "little"))
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo("xl/worksheets/sheet1.xml").file_size == 1000

    for data in (honest, lying):
        with pytest.raises(FileUnreadable) as refused:
            open_table(POS, "pos.xlsx", data)
        assert refused.value.message == (
            "Книга Excel слишком велика: в распакованном виде больше 1 МБ. "
            "Разделите выгрузку на несколько файлов."
        )

    settings.MCU_IMPORT_MAX_UNPACKED_BYTES = 10_000_000
    assert len(table_rows(honest)) == 4998
