"""Target indicators: the year's target beside the actual value where the data can measure it.

Октябрьский, Положение, Приложение № 2 sets seven indicators (``mcu.models.KpiIndicator``);
targets live in ``mcu.models.KpiTarget``. Three indicators are measured from the incidents
themselves, over incidents received in the period that reached a responsible recipient
(«поступивших ответственным получателям»: ``auto_routed`` is set when routing — automatic or by
hand — delivers an incident to its executor; the same denominator as the home page's
auto-delivery share, ``incidents.selectors.auto_routing_share``):

1. fast-track — the share handled under the ПОС fast track (``fast_track``);
2. automated delivery — the share delivered without a human routing it (``auto_routed``);
6. control mechanisms — the share with a photo / geo confirmation (``has_geo_confirmation``).

Indicators 3, 4, 5 and 7 need registries this system does not keep yet (social-network
informing by recipients, ПОС decisions and their publicity, roadmap measures, public hearings):
they show «нет данных» and why — never a made-up number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from incidents.models import Incident
from mcu.models import KPI_INDICATOR_NUMBERS, KpiIndicator, KpiTarget, Municipality
from reports.periods import Period, month_period
from reports.selectors import percent, received_in

NO_DATA = gettext_noop("нет данных")

# Indicator → the incident flag whose share measures it.
MEASURED: dict[str, str] = {
    KpiIndicator.FAST_TRACK.value: "fast_track",
    KpiIndicator.AUTO_DELIVERY.value: "auto_routed",
    KpiIndicator.CONTROL_MECHANISMS.value: "has_geo_confirmation",
}
HOW_MEASURED: dict[str, str] = {
    KpiIndicator.FAST_TRACK.value: gettext_noop(
        "доля с признаком «фаст-трек» среди доставленных исполнителю"
    ),
    KpiIndicator.AUTO_DELIVERY.value: gettext_noop(
        "доля доставленных исполнителю автоматически (без ручной маршрутизации)"
    ),
    KpiIndicator.CONTROL_MECHANISMS.value: gettext_noop(
        "доля с фото- или геоподтверждением среди доставленных исполнителю"
    ),
}
WHY_NOT: dict[str, str] = {
    KpiIndicator.SOCIAL_INFORMING.value: gettext_noop(
        "система не ведёт учёт информирования в социальных сетях по ответственным получателям"
    ),
    KpiIndicator.POS_DECISIONS_INFORMED.value: gettext_noop(
        "реестр решений, принятых через ПОС, и их освещения в системе ещё не ведётся"
    ),
    KpiIndicator.ROADMAPS.value: gettext_noop(
        "реестр «дорожных карт» и их мероприятий в системе ещё не ведётся"
    ),
    KpiIndicator.PUBLIC_HEARINGS_POS.value: gettext_noop(
        "реестр публичных слушаний и опросов в системе ещё не ведётся"
    ),
}


@dataclass(frozen=True)
class KpiActual:
    percent: float | None
    numerator: int | None = None
    denominator: int | None = None
    note: str = ""


@dataclass(frozen=True)
class KpiLine:
    number: int
    indicator: str
    name: str
    unit: str
    target: Decimal | None
    actual: KpiActual
    target_note: str = ""

    @property
    def verdict(self) -> str:
        if self.target is None or self.actual.percent is None:
            return _(NO_DATA)
        return _("достигнут") if self.actual.percent >= self.target else _("не достигнут")


def _delivered(municipality: Municipality) -> QuerySet[Incident]:
    return Incident.objects.filter(municipality=municipality, auto_routed__isnull=False)


def _share_aggregates() -> dict[str, Count]:
    aggregates = {"delivered": Count("pk")}
    for indicator, flag in MEASURED.items():
        # Prefixed: an annotation may not share a model field's name (`fast_track`).
        aggregates[f"kpi_{indicator}"] = Count("pk", filter=Q(**{flag: True}))
    return aggregates


def _actuals_from(counts: dict[str, int]) -> dict[str, KpiActual]:
    delivered = counts.get("delivered", 0)
    result: dict[str, KpiActual] = {}
    for indicator in KpiIndicator.values:
        if indicator in MEASURED:
            part = counts.get(f"kpi_{indicator}", 0)
            note = _(HOW_MEASURED[indicator]) if delivered else _("нет доставленных сообщений")
            result[indicator] = KpiActual(percent(part, delivered), part, delivered, note)
        else:
            result[indicator] = KpiActual(None, note=_(WHY_NOT[indicator]))
    return result


def kpi_actuals(*, municipality: Municipality, period: Period) -> dict[str, KpiActual]:
    """Actual values over incidents received in the period; one aggregate query."""
    counts = _delivered(municipality).filter(received_in(period)).aggregate(**_share_aggregates())
    return _actuals_from(counts)


def kpi_actuals_by_month(
    *, municipality: Municipality, year: int, through_month: int, tz: tzinfo
) -> dict[date, dict[str, KpiActual]]:
    """Month by month from January to ``through_month`` (local months), one grouped query."""
    months = [month_period(year, month, tz) for month in range(1, through_month + 1)]
    span = Period(months[0].kind, months[0].first_day, months[-1].end_day, tz)
    grouped = {
        row["month"].astimezone(tz).date(): row
        for row in _delivered(municipality)
        .filter(received_in(span))
        .annotate(month=TruncMonth("received_at", tzinfo=tz))
        .values("month")
        .annotate(**_share_aggregates())
        .order_by()
    }
    return {month.first_day: _actuals_from(grouped.get(month.first_day, {})) for month in months}


def kpi_targets(*, municipality: Municipality, year: int) -> dict[str, KpiTarget]:
    return {
        target.indicator: target
        for target in KpiTarget.objects.filter(municipality=municipality, year=year)
    }


def kpi_lines(
    *, municipality: Municipality, period: Period, year: int | None = None
) -> list[KpiLine]:
    """The seven indicators in the act's order: the year's target and the period's actual."""
    targets = kpi_targets(municipality=municipality, year=year or period.last_day.year)
    actuals = kpi_actuals(municipality=municipality, period=period)
    lines = []
    for indicator in KpiIndicator:
        target = targets.get(indicator.value)
        lines.append(
            KpiLine(
                number=KPI_INDICATOR_NUMBERS[indicator.value],
                indicator=indicator.value,
                name=str(indicator.label),
                unit=target.unit if target else "",
                target=target.value if target else None,
                actual=actuals[indicator.value],
                target_note=target.note if target else _("цель на этот год не установлена"),
            )
        )
    return lines
