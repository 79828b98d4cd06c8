"""Проблематор: the week's top problems by topic × settlement, with counts and trend.

Октябрьский Положение §3.3, §3.6: the support officer forms the municipality's problemator
weekly and the head presents it to the curator and the head of the district. A «problem» is a
topic (the рубрикатор's most precise level the incident has) in a settlement; incidents with no
settlement form their own row per topic (the acts name no settlements for most municipalities).
The trend compares the week with the average of the four weeks before (the spike rule of
``reports.selectors``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from incidents.models import Incident, Topic
from mcu.models import Municipality
from reports.periods import Period
from reports.selectors import (
    SPIKE_FACTOR,
    SPIKE_MIN_COUNT,
    SPIKE_WEEKS,
    as_of,
    overdue_at,
    previous_weeks,
    received_in,
)
from roles.models import OrgUnit

PROBLEMATOR_ROWS = 50
Key = tuple[int | None, int | None]  # (topic id, settlement id)


@dataclass(frozen=True)
class ProblemRow:
    topic_id: int | None
    topic: str
    settlement_id: int | None
    settlement: str
    count: int
    repeats: int
    overdue: int
    previous_week: int
    previous_average: float

    @property
    def change(self) -> float:
        return round(self.count - self.previous_average, 2)

    @property
    def trend(self) -> str:
        if self.count >= SPIKE_MIN_COUNT and self.count >= SPIKE_FACTOR * self.previous_average:
            return _("всплеск")
        if self.count > self.previous_average:
            return _("рост")
        if self.count < self.previous_average:
            return _("снижение")
        return _("без изменений")


def problemator(
    *, municipality: Municipality, period: Period, limit: int = PROBLEMATOR_ROWS
) -> list[ProblemRow]:
    base = Incident.objects.filter(municipality=municipality)
    current = {
        (row["topic_id"], row["settlement_id"]): row
        for row in base.filter(received_in(period))
        .values("topic_id", "settlement_id")
        .annotate(
            n=Count("pk"),
            repeat_count=Count("pk", filter=Q(is_repeat=True)),  # `repeats` is a relation
            overdue=Count("pk", filter=overdue_at(as_of(period))),
        )
        .order_by()
    }

    def counts(window: Period) -> dict[Key, int]:
        return {
            (row["topic_id"], row["settlement_id"]): row["n"]
            for row in base.filter(received_in(window))
            .values("topic_id", "settlement_id")
            .annotate(n=Count("pk"))
            .order_by()
        }

    last_week = counts(period.previous())
    before = counts(previous_weeks(period))
    top = sorted(current.items(), key=lambda item: -item[1]["n"])[:limit]
    topic_ids = {key[0] for key, _row in top if key[0]}
    topics = {
        topic.pk: str(topic)
        for topic in Topic.objects.filter(pk__in=topic_ids).select_related("parent")
    }
    settlements = dict(
        OrgUnit.objects.filter(
            municipality=municipality, pk__in={key[1] for key, _row in top if key[1]}
        ).values_list("pk", "name")
    )
    rows = [
        ProblemRow(
            topic_id=topic_id,
            topic=topics.get(topic_id, "") if topic_id else _("Тема не определена"),
            settlement_id=settlement_id,
            settlement=settlements.get(settlement_id, "")
            if settlement_id
            else _("Поселение не указано"),
            count=row["n"],
            repeats=row["repeat_count"],
            overdue=row["overdue"],
            previous_week=last_week.get((topic_id, settlement_id), 0),
            previous_average=before.get((topic_id, settlement_id), 0) / SPIKE_WEEKS,
        )
        for (topic_id, settlement_id), row in top
    ]
    return sorted(rows, key=lambda row: (-row.count, row.topic, row.settlement))
