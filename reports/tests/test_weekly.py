"""The weekly summary workbook against the hand-computed data set of ``dataset.py``."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.cell_range import CellRange

from mcu.models import Municipality
from mcu.tenancy import municipality_scope
from reports.periods import parse_week
from reports.selectors import SUMMARY_FIELDS, SUMMARY_LABELS, summary_figures
from reports.tests import dataset
from reports.workbooks.weekly import weekly_summary_workbook
from reports.xlsx import workbook_bytes

CHANNEL_LABELS = {
    "im": "Инцидент Менеджмент (соцсети)",
    "pos": "Платформа обратной связи",
    "edds": "ЕДДС",
    "appeal": "Обращение по 59-ФЗ",
    "gospublic": "Госпаблики",
    "email": "Электронная почта",
}
STATUS_HEADERS = [
    "Новое",
    "Назначено",
    "В работе",
    "На согласовании",
    "Согласовано",
    "Дан ответ",
    "Закрыто",
    "Возобновлено",
    "Отложено",
    "Не является инцидентом",
    "Перенаправлено",
    "Объединено с другим",
]
SHEETS = ["Сводка", "По отраслям", "Просрочено", "Рейтинг", "Темы", "Показатели", "Графики"]


@pytest.fixture
def data(seeded, time_machine):
    time_machine.move_to(dataset.NOW, tick=False)
    oktyabrsky = Municipality.objects.get(slug="oktyabrsky")
    lensky = Municipality.objects.get(slug="lensky")
    made = dataset.build(oktyabrsky, lensky)
    return oktyabrsky, lensky, made


def _workbook(municipality: Municipality, week: str = dataset.WEEK):
    with municipality_scope(municipality.pk):
        period = parse_week(week, municipality.tz)
        content = workbook_bytes(weekly_summary_workbook(municipality=municipality, period=period))
    return load_workbook(BytesIO(content))


def _rows(sheet, first: int = 3) -> list[tuple]:
    return [tuple(row) for row in sheet.iter_rows(min_row=first, values_only=True)]


def _expected_summary(now: dict, before: dict) -> list[tuple]:
    """Rows of «Сводка» from the hand-typed figures: all channels first, then each channel."""
    total_now = tuple(sum(values[i] for values in now.values()) for i in range(9))
    total_before = tuple(sum(values[i] for values in before.values()) for i in range(9))
    blocks = [("Все каналы", total_now, total_before)]
    blocks += [(CHANNEL_LABELS[c], now[c], before[c]) for c in CHANNEL_LABELS]
    rows = []
    for label, current, last in blocks:
        for index, name in enumerate(SUMMARY_FIELDS):
            change = current[index] - last[index]
            pct = None if last[index] == 0 else round(100 * change / last[index], 1)
            rows.append(
                (label, str(SUMMARY_LABELS[name]), current[index], last[index], change, pct)
            )
    return rows


def test_sheets_and_headers(data):
    oktyabrsky, _lensky, _made = data
    book = _workbook(oktyabrsky)
    assert book.sheetnames == SHEETS
    summary = book["Сводка"]
    assert summary["A1"].value.startswith(
        "Еженедельная сводка: Муниципальное образование Октябрьский район"
    )
    assert "неделя 46 2026 года (09.11.2026–15.11.2026)" in summary["A1"].value
    assert "Asia/Yekaterinburg" in summary["A1"].value
    assert [c.value for c in summary[2]] == [
        "Канал",
        "Показатель",
        "Неделя 2026-W46",
        "Неделя 2026-W45",
        "Изменение",
        "Изменение, %",
    ]
    assert [c.value for c in book["По отраслям"][2]] == [
        "Отраслевой блок",
        "Поступило",
        *STATUS_HEADERS,
        "Дан ответ за неделю",
        "Из них в срок",
        "Доля в срок, %",
    ]
    assert summary.page_setup.fitToWidth == 1
    for sheet in book.worksheets[:-1]:  # fit to the page width, or it prints in strips
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True, sheet.title
    assert summary.merged_cells.ranges == {CellRange("A1:F1")}
    assert book["Просрочено"].page_setup.orientation == "landscape"
    assert summary.print_title_rows == "$1:$2"


def test_summary_every_cell_oktyabrsky(data):
    oktyabrsky, _lensky, _made = data
    rows = _rows(_workbook(oktyabrsky)["Сводка"])
    assert rows == _expected_summary(dataset.OKTYABRSKY_W46, dataset.OKTYABRSKY_W45)
    # Spot checks stated in words, so a reader need not trust the helper above.
    assert rows[0] == ("Все каналы", "Поступило", 7, 5, 2, 40.0)
    assert rows[5] == ("Все каналы", str(SUMMARY_LABELS["overdue"]), 4, 1, 3, 300.0)


def test_summary_every_cell_lensky_in_yakutsk_time(data):
    _oktyabrsky, lensky, _made = data
    rows = _rows(_workbook(lensky)["Сводка"])
    assert rows == _expected_summary(dataset.LENSKY_W46, dataset.LENSKY_W45)
    # l1 (Sunday 23:30 Yakutsk) and l2 (Monday 00:30 Yakutsk, still Sunday in UTC) are week 46.
    assert rows[0] == ("Все каналы", "Поступило", 3, 1, 2, 200.0)


def test_sectors_every_cell_oktyabrsky(data):
    oktyabrsky, _lensky, _made = data
    rows = _rows(_workbook(oktyabrsky)["По отраслям"])
    zero = (0,) * 12
    no = "нет данных"
    expected: dict[str, tuple] = {
        name: (name, 0, *zero, 0, 0, no) for name in dataset.OKTYABRSKY_BLOCKS
    }
    # Дороги: o1 answered, o2 closed, o3 in progress, o12 merged; answered in the week o1 (on
    # time) and o2 (late).
    expected["Дороги"] = ("Дороги", 4, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 2, 1, 50.0)
    expected["Транспорт"] = ("Транспорт", 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, no)
    assert rows == [
        *(expected[name] for name in dataset.OKTYABRSKY_BLOCKS),
        # o5 new, o13 answered after the week
        ("Без отраслевого блока", 2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, no),
        ("Итого", 7, 1, 1, 1, 0, 0, 2, 1, 0, 0, 0, 0, 1, 2, 1, 50.0),
    ]


def test_sectors_every_cell_lensky(data):
    _oktyabrsky, lensky, _made = data
    rows = _rows(_workbook(lensky)["По отраслям"])
    no = "нет данных"
    production = (
        "Производственный блок: транспорт и дороги, жилищно-коммунальное хозяйство, "
        "благоустройство, строительство"
    )
    social = "Социальный блок: образование, культура и спорт, социальная защита населения"
    assert rows == [
        (production, 3, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 100.0),
        (social, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, no),
        ("Без отраслевого блока", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, no),
        ("Итого", 3, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 100.0),
    ]


def test_overdue_sheet_lists_what_was_late_at_sunday_midnight(data):
    oktyabrsky, _lensky, made = data
    sheet = _workbook(oktyabrsky)["Просрочено"]
    rows = _rows(sheet)
    assert [(r[0], r[7]) for r in rows] == [
        (made["o11"].pk, 203.0),  # due Sat 7 Nov 13:00 → Mon 16 Nov 00:00: 8 days 11 hours
        (made["o4"].pk, 72.0),
        (made["o13"].pk, 36.0),  # answered on Tuesday of week 47: still late at Sunday 24:00
    ]
    o4 = rows[1]
    assert o4[1:5] == ("Платформа обратной связи", "Транспорт", None, "Транспорт")
    assert o4[5] == datetime(2026, 11, 12, 11, 0)  # local time, written naive
    assert o4[6] == datetime(2026, 11, 13, 0, 0)
    assert o4[8] == "Назначено"
    # A citizen's text that looks like a formula stays text (quote-prefixed, never evaluated).
    text_cell = sheet.cell(row=4, column=11)
    address_cell = sheet.cell(row=4, column=10)
    assert text_cell.value == dataset.EVIL
    assert text_cell.data_type == "s"
    assert text_cell.quotePrefix
    assert address_cell.value == "+7 улица Мира, 1"
    assert address_cell.data_type == "s"
    assert rows[0][10] == "Автобус не пришёл"  # control characters stripped, not fatal


def test_no_formula_cells_anywhere(data):
    oktyabrsky, _lensky, _made = data
    book = _workbook(oktyabrsky)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)


def test_rating_sheet(data):
    oktyabrsky, _lensky, _made = data
    rows = _rows(_workbook(oktyabrsky)["Рейтинг"])
    # Блок «Дороги»: o1 (2 h, on time, rated 5) and o2 (6 h, late, rated 2) → 50 %, median 4 h.
    # Блок «Транспорт»: nothing answered (last), o4 and o11 open past due.
    assert rows == [
        (1, "Блок «Дороги»", 4, 2, 1, 50.0, 4.0, 3.5, 2, 0),
        (2, "Блок «Транспорт»", 1, 0, 0, "нет данных", "нет данных", "нет данных", 0, 2),
    ]


def test_topics_sheet_and_spike_rule(data):
    oktyabrsky, _lensky, _made = data
    rows = _rows(_workbook(oktyabrsky)["Темы"])
    # Topics of week 46: roads (o1, o2, o3, o12) = 4; transport (o4) = 1; none (o5, o13) = 2.
    # Before: roads o9 = 1 → average 0.25; transport o11 = 1 → 0.25.
    assert rows[:3] == [
        ("Дороги", 4, 0.25, 1500.0, None),  # 4 < 5: no spike, however steep
        ("Тема не определена", 2, 0.75, 166.7, None),  # before: o7, o8, o10 → 3 / 4
        ("Транспорт", 1, 0.25, 300.0, None),
    ]
    assert rows[4] == ("Подтемы (первые 20)", None, None, None, None)
    assert rows[5] == ("Дороги → Ямы и разрушение покрытия", 4, 0.25, 1500.0, None)
    assert rows[-1][0].startswith("Всплеск: за неделю поступило не меньше 5")


def test_kpi_sheet_has_targets_and_no_made_up_numbers(data):
    oktyabrsky, lensky, _made = data
    rows = _rows(_workbook(oktyabrsky)["Показатели"])
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert [r[3] for r in rows] == [90, 74, 90, 100, 74, 60, 80]  # 2026 column of Прил. № 2
    # Nothing was delivered through routing (auto_routed unset): no share can be measured.
    assert all(r[4] == "нет данных" for r in rows)
    # Other municipalities: no targets in their acts.
    other = _rows(_workbook(lensky)["Показатели"])
    assert all(r[3] == "нет данных" for r in other)


def test_charts_present(data):
    oktyabrsky, _lensky, _made = data
    with municipality_scope(oktyabrsky.pk):
        period = parse_week(dataset.WEEK, oktyabrsky.tz)
        book = weekly_summary_workbook(municipality=oktyabrsky, period=period)
    charts = book["Графики"]._charts  # type: ignore[attr-defined]  # the stubs omit _charts
    assert [type(c).__name__ for c in charts] == ["BarChart", "LineChart"]
    loaded = load_workbook(BytesIO(workbook_bytes(book)))
    rows = _rows(loaded["Графики"])
    assert rows[2] == ("Дороги", 4, None)
    header = 9 + 1  # after 8 blocks + «без блока» and a blank row
    assert rows[header] == ("День недели", "Неделя 2026-W46", "Неделя 2026-W45")
    # Week 46 by local weekday: Mon o1, Tue o2, Wed o3, Thu o4, Fri o12, Sat o13, Sun o5;
    # week 45: Tue o7, Wed o8, Thu o9, Fri o10, Sat o11.
    assert rows[header + 1 : header + 8] == [
        ("Пн", 1, 0),
        ("Вт", 1, 1),
        ("Ср", 1, 1),
        ("Чт", 1, 1),
        ("Пт", 1, 1),
        ("Сб", 1, 1),
        ("Вс", 1, 0),
    ]


def test_cross_tenant_nothing_of_the_other(data):
    _oktyabrsky, lensky, made = data
    book = _workbook(lensky)
    texts = {
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    }
    assert not any("Октябр" in text or "HYPERLINK" in text for text in texts)
    overdue_ids = [r[0] for r in _rows(book["Просрочено"])]
    assert overdue_ids == [made["l4"].pk]


def test_selector_matches_workbook_for_the_api(data):
    """The API's `stats/summary` reads `summary_figures`; the workbook shows the same."""
    oktyabrsky, _lensky, _made = data
    with municipality_scope(oktyabrsky.pk):
        figures = summary_figures(
            municipality=oktyabrsky, period=parse_week(dataset.WEEK, oktyabrsky.tz)
        )
    assert tuple(figures.total[name] for name in SUMMARY_FIELDS) == (7, 5, 2, 2, 1, 4, 1, 1, 1)
