"""The weekly problemator workbook (Октябрьский Положение §3.3, §3.6)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook

from mcu.models import Municipality
from reports.periods import Period
from reports.problemator import problemator
from reports.workbooks.common import Progress, caption, no_progress
from reports.workbooks.weekly import spike_rule_text
from reports.xlsx import Column, SheetWriter, new_workbook

SHEET_PROBLEMS = gettext_noop("Проблематор")


def problemator_workbook(
    *, municipality: Municipality, period: Period, progress: Progress = no_progress
) -> Workbook:
    workbook = new_workbook()
    sheet = SheetWriter(
        workbook,
        _(SHEET_PROBLEMS),
        [
            Column(_("№"), 5),
            Column(_("Тема"), 40, wrap=True),
            Column(_("Поселение"), 26, wrap=True),
            Column(_("Поступило за неделю"), 12),
            Column(_("Из них повторных"), 11),
            Column(_("Просрочено"), 11),
            Column(_("Прошлая неделя"), 11),
            Column(_("Среднее за 4 предыдущие недели"), 13, number_format="0.00"),
            Column(_("Изменение к среднему"), 12, number_format="0.00"),
            Column(_("Тренд"), 14),
        ],
        tz=municipality.tz,
        caption=caption(_("Проблематор недели"), municipality, period),
        landscape=True,
    )
    for number, row in enumerate(problemator(municipality=municipality, period=period), 1):
        sheet.row(
            [
                number,
                row.topic,
                row.settlement,
                row.count,
                row.repeats,
                row.overdue,
                row.previous_week,
                row.previous_average,
                row.change,
                row.trend,
            ]
        )
    sheet.blank()
    sheet.row([None, spike_rule_text()])
    progress(90)
    return workbook
