"""KPI targets from the acts, as typed data, and their idempotent seeding (issue 8 item 4).

Only Октябрьский район sets targets: Положение о МЦУ, Приложение № 2 «Перечень плановых
значений целевых показателей функционирования Муниципального центра управления Октябрьского
района на 2025 – 2030 годы» (``shared/seeds/004_b8e1f9415391761a.txt``). The other four acts set
none; their targets are entered in the admin when their ЦУР hands them down.

Interpretation decisions
------------------------
Row 7 («Доля публичных слушаний, проведенных с использованием платформы обратной связи») has
no unit and seven numbers for six year columns: ``70 80 80 80 80 80 80``. Every row of the
table has nine cells — № п/п, показатель, единица измерения, 2025 … 2030 — and row 7 has nine
too, so read by position the «Единица измерения» cell holds «70» and each of the six year
columns holds 80. A unit cannot be «70»; the indicator is a «доля» like rows 1–6, all in
«Процент». We therefore seed **80 % for every year 2025–2030** and keep the stray «70» in the
row's ``note``, with the alternative reading (70 in 2025 and 80 afterwards, the seventh number
being a duplicate), so whoever maintains the targets sees the doubt and can correct the row in
the admin once the administration confirms the intended value. The positional reading was
chosen because it changes no number that stands in a year column; the other reading would
have to drop a cell the act does print.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from mcu.models import KpiIndicator, KpiTarget, Municipality
from mcu.seeding import SeedLog, seed_upsert
from mcu.tenancy import municipality_scope

YEARS = (2025, 2026, 2027, 2028, 2029, 2030)
PERCENT = "Процент"
OKTYABRSKY_SOURCE = "Октябрьский район, Положение о МЦУ, Приложение № 2, п. {number}"
ROW7_NOTE = (
    "В акте у строки 7 нет единицы измерения и семь чисел на шесть лет: «70 80 80 80 80 80 80». "
    "По положению ячеек «70» стоит в графе «Единица измерения», в графах 2025–2030 — 80; "
    "единица принята «Процент», как у остальных долей. Возможное иное прочтение: 70 % в 2025 "
    "году и 80 % в 2026–2030 годах. Уточнить у администрации Октябрьского района."
)


@dataclass(frozen=True)
class TargetRow:
    number: int  # «№ п/п» of the act's table
    indicator: KpiIndicator
    unit: str
    values: tuple[int, int, int, int, int, int]  # 2025 … 2030, as printed
    note: str = ""


OKTYABRSKY: tuple[TargetRow, ...] = (
    TargetRow(1, KpiIndicator.FAST_TRACK, PERCENT, (90, 90, 90, 90, 90, 90)),
    TargetRow(2, KpiIndicator.AUTO_DELIVERY, PERCENT, (72, 74, 76, 78, 80, 80)),
    TargetRow(3, KpiIndicator.SOCIAL_INFORMING, PERCENT, (90, 90, 90, 90, 90, 90)),
    TargetRow(4, KpiIndicator.POS_DECISIONS_INFORMED, PERCENT, (100, 100, 100, 100, 100, 100)),
    TargetRow(5, KpiIndicator.ROADMAPS, PERCENT, (72, 74, 76, 78, 80, 80)),
    TargetRow(6, KpiIndicator.CONTROL_MECHANISMS, PERCENT, (55, 60, 65, 70, 75, 80)),
    TargetRow(7, KpiIndicator.PUBLIC_HEARINGS_POS, PERCENT, (80, 80, 80, 80, 80, 80), ROW7_NOTE),
)

TARGETS_BY_MUNICIPALITY: dict[str, tuple[TargetRow, ...]] = {"oktyabrsky": OKTYABRSKY}


@transaction.atomic
def kpi_targets_seed(*, log: SeedLog) -> None:
    """Create or update the acts' targets; targets entered by hand for other years stay."""
    for slug, rows in TARGETS_BY_MUNICIPALITY.items():
        municipality = Municipality.objects.filter(slug=slug).first()
        if municipality is None:  # the municipality seed runs first; nothing to attach to yet
            continue
        with municipality_scope(municipality.pk):
            for row in rows:
                for year, value in zip(YEARS, row.values, strict=True):
                    seed_upsert(
                        KpiTarget,
                        lookup={
                            "municipality": municipality,
                            "indicator": row.indicator.value,
                            "year": year,
                        },
                        values={
                            "value": Decimal(value),
                            "unit": row.unit,
                            "source": OKTYABRSKY_SOURCE.format(number=row.number),
                            "note": row.note,
                        },
                        log=log,
                    )
