"""The weekly summary workbook (issue 6 item 1; Ленский Прил. 3 п. 2.6, Аскизский §3.2)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook

from incidents.models import Status
from mcu.models import Municipality
from reports.kpi import kpi_actuals, kpi_lines
from reports.periods import Period
from reports.ratings import recipients_rating
from reports.selectors import (
    SPIKE_FACTOR,
    SPIKE_MIN_COUNT,
    SPIKE_WEEKS,
    SUMMARY_FIELDS,
    SUMMARY_LABELS,
    TopicRow,
    as_of,
    overdue_list,
    percent,
    received_by_weekday,
    sector_table,
    summary_figures,
    topic_rows,
)
from reports.workbooks.common import (
    HOURS_FORMAT,
    PERCENT_FORMAT,
    Progress,
    caption,
    no_progress,
    or_no_data,
)
from reports.xlsx import (
    ChartData,
    Column,
    SheetWriter,
    add_bar_chart,
    add_line_chart,
    new_workbook,
)
from roles.models import Channel

SUBTOPIC_ROWS = 20
WEEKDAYS = tuple(gettext_noop(day) for day in ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"))

SHEET_SUMMARY = gettext_noop("Сводка")
SHEET_SECTORS = gettext_noop("По отраслям")
SHEET_OVERDUE = gettext_noop("Просрочено")
SHEET_RATING = gettext_noop("Рейтинг")
SHEET_TOPICS = gettext_noop("Темы")
SHEET_KPI = gettext_noop("Показатели")
SHEET_CHARTS = gettext_noop("Графики")


def weekly_summary_workbook(
    *, municipality: Municipality, period: Period, progress: Progress = no_progress
) -> Workbook:
    workbook = new_workbook()
    steps = (
        _summary_sheet,
        _sectors_sheet,
        _overdue_sheet,
        _rating_sheet,
        _topics_sheet,
        _kpi_sheet,
        _charts_sheet,
    )
    for done, step in enumerate(steps, start=1):
        step(workbook, municipality, period)
        progress(round(90 * done / len(steps)))
    return workbook


def _summary_sheet(workbook: Workbook, municipality: Municipality, period: Period) -> None:
    previous = period.previous()
    now = summary_figures(municipality=municipality, period=period)
    before = summary_figures(municipality=municipality, period=previous)
    sheet = SheetWriter(
        workbook,
        _(SHEET_SUMMARY),
        [
            Column(_("Канал"), 34),
            Column(_("Показатель"), 44, wrap=True),
            Column(_("Неделя %(code)s") % {"code": period.code}, 14),
            Column(_("Неделя %(code)s") % {"code": previous.code}, 14),
            Column(_("Изменение"), 12),
            Column(_("Изменение, %"), 13, number_format=PERCENT_FORMAT),
        ],
        tz=municipality.tz,
        caption=caption(_("Еженедельная сводка"), municipality, period),
        landscape=False,
    )
    blocks = [(_("Все каналы"), now.total, before.total)]
    blocks += [
        (str(Channel(channel).label), now.by_channel[channel], before.by_channel[channel])
        for channel in Channel.values
    ]
    for label, current, last in blocks:
        for name in SUMMARY_FIELDS:
            change = current[name] - last[name]
            sheet.row(
                [
                    label,
                    str(SUMMARY_LABELS[name]),
                    current[name],
                    last[name],
                    change,
                    None if last[name] == 0 else round(100 * change / last[name], 1),
                ],
                bold=label == blocks[0][0],
            )


def _sectors_sheet(workbook: Workbook, municipality: Municipality, period: Period) -> None:
    rows = sector_table(municipality=municipality, period=period)
    columns = [Column(_("Отраслевой блок"), 36, wrap=True), Column(_("Поступило"), 11)]
    columns += [Column(str(label), 11, wrap=True) for label in Status.labels]
    columns += [
        Column(_("Дан ответ за неделю"), 12),
        Column(_("Из них в срок"), 11),
        Column(_("Доля в срок, %"), 11, number_format=PERCENT_FORMAT),
    ]
    sheet = SheetWriter(
        workbook,
        _(SHEET_SECTORS),
        columns,
        tz=municipality.tz,
        caption=caption(
            _("Поступившие за неделю по отраслевым блокам и статусам (статус на момент отчёта)"),
            municipality,
            period,
        ),
        landscape=True,
    )
    for row in rows:
        sheet.row(
            [
                row.name,
                row.received,
                *(row.by_status[status] for status in Status.values),
                row.answered,
                row.answered_on_time,
                or_no_data(row.on_time_percent),
            ]
        )
    answered = sum(row.answered for row in rows)
    on_time = sum(row.answered_on_time for row in rows)
    sheet.row(
        [
            _("Итого"),
            sum(row.received for row in rows),
            *(sum(row.by_status[status] for row in rows) for status in Status.values),
            answered,
            on_time,
            or_no_data(percent(on_time, answered)),
        ],
        bold=True,
    )


def _overdue_sheet(workbook: Workbook, municipality: Municipality, period: Period) -> None:
    moment = as_of(period).astimezone(municipality.tz)
    sheet = SheetWriter(
        workbook,
        _(SHEET_OVERDUE),
        [
            Column(_("№ инцидента"), 11),
            Column(_("Канал"), 22, wrap=True),
            Column(_("Отраслевой блок"), 24, wrap=True),
            Column(_("Ответственный"), 26, wrap=True),
            Column(_("Тема"), 26, wrap=True),
            Column(_("Поступило"), 16),
            Column(_("Срок"), 16),
            Column(_("Просрочка, ч"), 11, number_format=HOURS_FORMAT),
            Column(_("Статус"), 16),
            Column(_("Адрес"), 28, wrap=True),
            Column(_("Текст сообщения (начало)"), 60, wrap=True),
        ],
        tz=municipality.tz,
        caption=_("Просрочено на %(moment)s: %(municipality)s, %(period)s")
        % {
            "moment": f"{moment:%d.%m.%Y %H:%M}",
            "municipality": municipality.name,
            "period": period.label,
        },
        landscape=True,
    )
    for row in overdue_list(municipality=municipality, period=period):
        sheet.row(
            [
                row.incident_id,
                str(Channel(row.channel).label) if row.channel in Channel.values else row.channel,
                row.sector,
                row.responsible,
                row.topic,
                row.received_at,
                row.due_at,
                row.hours_late,
                str(Status(row.status).label),
                row.address,
                row.text,
            ]
        )


def _rating_sheet(workbook: Workbook, municipality: Municipality, period: Period) -> None:
    sheet = SheetWriter(
        workbook,
        _(SHEET_RATING),
        [
            Column(_("Место"), 7),
            Column(_("Ответственный получатель"), 40, wrap=True),
            Column(_("Поступило"), 11),
            Column(_("Дан ответ"), 11),
            Column(_("Ответ в срок"), 11),
            Column(_("Доля в срок, %"), 11, number_format=PERCENT_FORMAT),
            Column(_("Медиана времени ответа, ч"), 13, number_format=HOURS_FORMAT),
            Column(_("Средняя оценка заявителей"), 12, number_format="0.00"),
            Column(_("Оценок"), 9),
            Column(_("Просрочено на конец недели"), 13),
        ],
        tz=municipality.tz,
        caption=caption(
            _(
                "Рейтинг ответственных получателей: доля ответов в срок, медиана времени ответа, "
                "оценка"
            ),
            municipality,
            period,
        ),
        landscape=True,
    )
    for place, row in enumerate(recipients_rating(municipality=municipality, period=period), 1):
        sheet.row(
            [
                place,
                row.name,
                row.received,
                row.answered,
                row.answered_on_time,
                or_no_data(row.on_time_percent),
                or_no_data(row.median_answer_hours),
                or_no_data(row.satisfaction),
                row.rated,
                row.overdue,
            ]
        )


def _topics_sheet(workbook: Workbook, municipality: Municipality, period: Period) -> None:
    sheet = SheetWriter(
        workbook,
        _(SHEET_TOPICS),
        [
            Column(_("Тема"), 50, wrap=True),
            Column(_("Поступило"), 11),
            Column(_("Среднее за 4 предыдущие недели"), 14, number_format="0.00"),
            Column(_("Изменение, %"), 12, number_format=PERCENT_FORMAT),
            Column(_("Всплеск"), 10),
        ],
        tz=municipality.tz,
        caption=caption(_("Темы и всплески"), municipality, period),
        landscape=False,
    )

    def write(rows: list[TopicRow]) -> None:
        for row in rows:
            sheet.row(
                [
                    row.name,
                    row.count,
                    row.previous_average,
                    row.change_percent,
                    _("да") if row.is_spike else "",
                ]
            )

    write(topic_rows(municipality=municipality, period=period))
    sheet.blank()
    sheet.row([_("Подтемы (первые %(n)s)") % {"n": SUBTOPIC_ROWS}], bold=True)
    write(topic_rows(municipality=municipality, period=period, subtopics=True)[:SUBTOPIC_ROWS])
    sheet.blank()
    sheet.row([spike_rule_text()])


def spike_rule_text() -> str:
    return _(
        "Всплеск: за неделю поступило не меньше %(min)s сообщений по теме и не меньше чем в "
        "%(factor)s раза больше среднего за %(weeks)s предыдущие недели."
    ) % {"min": SPIKE_MIN_COUNT, "factor": SPIKE_FACTOR, "weeks": SPIKE_WEEKS}


def _kpi_sheet(workbook: Workbook, municipality: Municipality, period: Period) -> None:
    year = period.last_day.year
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
            Column(_("Факт за неделю, %"), 12, number_format=PERCENT_FORMAT),
            Column(_("Факт с начала года, %"), 12, number_format=PERCENT_FORMAT),
            Column(_("Итог с начала года"), 14),
            Column(_("Как считается / почему нет данных"), 50, wrap=True),
        ],
        tz=municipality.tz,
        caption=caption(
            _("Целевые показатели функционирования МЦУ"),
            municipality,
            period,
        ),
        landscape=True,
    )
    for line in lines:
        ytd = year_to_date[line.indicator]
        verdict = (
            _("нет данных")
            if line.target is None or ytd.percent is None
            else (_("достигнут") if ytd.percent >= line.target else _("не достигнут"))
        )
        notes = "; ".join(note for note in (line.actual.note, line.target_note) if note)
        sheet.row(
            [
                line.number,
                line.name,
                line.unit or _("нет данных"),
                or_no_data(line.target),
                or_no_data(line.actual.percent),
                or_no_data(ytd.percent),
                verdict,
                notes,
            ]
        )


def _charts_sheet(workbook: Workbook, municipality: Municipality, period: Period) -> None:
    blocks = sector_table(municipality=municipality, period=period)
    now = received_by_weekday(municipality=municipality, period=period)
    before = received_by_weekday(municipality=municipality, period=period.previous())
    sheet = SheetWriter(
        workbook,
        _(SHEET_CHARTS),
        [Column(_("Отраслевой блок"), 36, wrap=True), Column(_("Поступило"), 11)],
        tz=municipality.tz,
        caption=caption(_("Данные графиков"), municipality, period),
        # No print area or scaling: the charts stand beside the data, beyond its columns.
    )
    for row in blocks:
        sheet.row([row.name, row.received])
    blocks_data = ChartData(
        header_row=2,
        last_row=2 + len(blocks),
        category_column=1,
        first_value_column=2,
        last_value_column=2,
    )
    sheet.blank()
    weekday_header = 2 + len(blocks) + 2
    sheet.row(
        [
            _("День недели"),
            _("Неделя %(code)s") % {"code": period.code},
            _("Неделя %(code)s") % {"code": period.previous().code},
        ],
        bold=True,
    )
    for day, current, last in zip(WEEKDAYS, now, before, strict=True):
        sheet.row([_(day), current, last])
    add_bar_chart(
        sheet.sheet,
        blocks_data,
        title=_("Поступило по отраслевым блокам"),
        y_title=_("сообщений"),
        anchor="D2",
    )
    add_line_chart(
        sheet.sheet,
        ChartData(
            header_row=weekday_header,
            last_row=weekday_header + 7,
            category_column=1,
            first_value_column=2,
            last_value_column=3,
        ),
        title=_("Поступило по дням недели"),
        y_title=_("сообщений"),
        anchor="D22",
    )
