"""The monthly KPI report (Октябрьский Положение §3.6: «ежемесячно представляет руководителю
Центра отчёт о достигнутых показателях»; targets of Приложение № 2)."""

from __future__ import annotations

from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook

from mcu.models import Municipality
from reports.kpi import kpi_actuals, kpi_actuals_by_month, kpi_lines
from reports.periods import Period
from reports.workbooks.common import PERCENT_FORMAT, Progress, caption, no_progress, or_no_data
from reports.xlsx import Column, SheetWriter, new_workbook

SHEET_KPI = gettext_noop("Показатели")
SHEET_MONTHS = gettext_noop("По месяцам")


def kpi_monthly_workbook(
    *, municipality: Municipality, period: Period, progress: Progress = no_progress
) -> Workbook:
    workbook = new_workbook()
    year = period.first_day.year
    lines = kpi_lines(municipality=municipality, period=period, year=year)
    year_to_date = kpi_actuals(municipality=municipality, period=period.year_to_date())
    sheet = SheetWriter(
        workbook,
        _(SHEET_KPI),
        [
            Column(_("№"), 5),
            Column(_("Целевой показатель"), 60, wrap=True),
            Column(_("Единица измерения"), 12),
            Column(_("Цель на %(year)s год") % {"year": year}, 12),
            Column(_("Факт за месяц, %"), 12, number_format=PERCENT_FORMAT),
            Column(_("Числитель"), 11),
            Column(_("Знаменатель"), 12),
            Column(_("Факт с начала года, %"), 12, number_format=PERCENT_FORMAT),
            Column(_("Итог за месяц"), 14),
            Column(_("Как считается / почему нет данных"), 50, wrap=True),
        ],
        tz=municipality.tz,
        caption=caption(_("Отчёт о целевых показателях"), municipality, period),
        landscape=True,
    )
    for line in lines:
        notes = "; ".join(note for note in (line.actual.note, line.target_note) if note)
        sheet.row(
            [
                line.number,
                line.name,
                line.unit or _("нет данных"),
                or_no_data(line.target),
                or_no_data(line.actual.percent),
                or_no_data(line.actual.numerator),
                or_no_data(line.actual.denominator),
                or_no_data(year_to_date[line.indicator].percent),
                line.verdict,
                notes,
            ]
        )
    progress(45)

    by_month = kpi_actuals_by_month(
        municipality=municipality,
        year=year,
        through_month=period.first_day.month,
        tz=municipality.tz,
    )
    months = list(by_month)
    table = SheetWriter(
        workbook,
        _(SHEET_MONTHS),
        [Column(_("№"), 5), Column(_("Целевой показатель"), 50, wrap=True), Column(_("Цель"), 9)]
        + [Column(str(MONTHS[month.month]), 10, number_format=PERCENT_FORMAT) for month in months],
        tz=municipality.tz,
        caption=caption(_("Показатели по месяцам, %"), municipality, period),
        landscape=True,
    )
    for line in lines:
        table.row(
            [line.number, line.name, or_no_data(line.target)]
            + [or_no_data(by_month[month][line.indicator].percent) for month in months]
        )
    progress(90)
    return workbook
