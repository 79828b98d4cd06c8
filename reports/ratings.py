"""Рейтингование: responsible recipients ranked (Аскизский §3.2 «б»; DESIGN §7).

Аскизский §3.2 «б» asks for a ranking «по количеству, срокам рассмотрения и полноте
реагирования». The recipient of an incident is its org unit (подразделение / учреждение) where
routing named one, else its sector block (the block's owner answers for it, Октябрьский §3.5).
Ranked by the share answered on time (answered in the period), then the median time to answer
(shorter first), then the citizens' average rating; recipients with nothing answered in the
period come last. Counts and the median are aggregated in the database; the median with window
functions, which both PostgreSQL and SQLite run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from incidents.models import Incident
from mcu.models import Municipality
from reports.periods import Period
from reports.selectors import (
    ANSWERED_ON_TIME,
    answered_in,
    as_of,
    overdue_at,
    percent,
    received_in,
)
from roles.models import OrgUnit, Sector


@dataclass
class RecipientRow:
    kind: str  # "org_unit" | "sector"
    recipient_id: int
    name: str
    received: int = 0
    answered: int = 0
    answered_on_time: int = 0
    overdue: int = 0  # open at the end of the period with the term over
    median_answer: timedelta | None = None
    satisfaction: float | None = None
    rated: int = 0

    @property
    def on_time_percent(self) -> float | None:
        return percent(self.answered_on_time, self.answered)

    @property
    def median_answer_hours(self) -> float | None:
        if self.median_answer is None:
            return None
        return round(self.median_answer.total_seconds() / 3600, 1)

    def rank_key(self) -> tuple[float, float, float, str]:
        share = self.on_time_percent
        median = self.median_answer_hours
        return (
            -share if share is not None else float("inf"),
            median if median is not None else float("inf"),
            -self.satisfaction if self.satisfaction is not None else float("inf"),
            self.name,
        )


_KEYS = {
    "org_unit": ("org_unit_id", Q(org_unit__isnull=False)),
    "sector": ("sector_id", Q(org_unit__isnull=True, sector__isnull=False)),
}


def recipients_rating(*, municipality: Municipality, period: Period) -> list[RecipientRow]:
    """Every recipient with anything in the period, best first."""
    rows: dict[tuple[str, int], RecipientRow] = {}
    for kind, (key, owned) in _KEYS.items():
        base = Incident.objects.filter(owned, municipality=municipality)
        names = _names(municipality, kind)

        def row(recipient_id: int, kind: str = kind, names: dict[int, str] = names) -> RecipientRow:
            return rows.setdefault(
                (kind, recipient_id),
                RecipientRow(kind, recipient_id, names.get(recipient_id, str(recipient_id))),
            )

        for item in _grouped(base.filter(received_in(period)), key, received=Count("pk")):
            row(item[key]).received = item["received"]
        for item in _grouped(
            base.filter(answered_in(period)),
            key,
            answered=Count("pk"),
            on_time=Count("pk", filter=ANSWERED_ON_TIME),
            rated=Count("satisfaction"),
            avg_satisfaction=Avg("satisfaction"),  # not `satisfaction`: a model field
        ):
            target = row(item[key])
            target.answered = item["answered"]
            target.answered_on_time = item["on_time"]
            target.rated = item["rated"]
            if item["avg_satisfaction"] is not None:
                target.satisfaction = round(float(item["avg_satisfaction"]), 2)
        for item in _grouped(base.filter(overdue_at(as_of(period))), key, overdue=Count("pk")):
            row(item[key]).overdue = item["overdue"]
        for recipient_id, median in _medians(base.filter(answered_in(period)), key).items():
            row(recipient_id).median_answer = median
    return sorted(rows.values(), key=RecipientRow.rank_key)


def _grouped(rows: QuerySet[Incident], key: str, **aggregates: Any) -> QuerySet[Incident, dict]:
    return rows.values(key).annotate(**aggregates).order_by()


def _medians(rows: QuerySet[Incident], key: str) -> dict[int, timedelta]:
    """Median of answered_at − received_at per recipient: the middle row (or the two middle
    rows) of each partition, picked by row number in the database."""
    duration = ExpressionWrapper(F("answered_at") - F("received_at"), output_field=DurationField())
    ranked = (
        rows.annotate(duration=duration)
        .annotate(
            position=Window(RowNumber(), partition_by=[F(key)], order_by=[F("duration").asc()]),
            size=Window(Count("pk"), partition_by=[F(key)]),
        )
        # Conjunctive bounds: Django filters on window functions only without OR.
        .filter(position__gte=(F("size") + 1) / 2, position__lte=(F("size") + 2) / 2)
        .values_list(key, "duration")
    )
    middles: dict[int, list[timedelta]] = {}
    for recipient_id, value in ranked:
        middles.setdefault(recipient_id, []).append(value)
    return {rid: sum(values, timedelta()) / len(values) for rid, values in middles.items()}


def _names(municipality: Municipality, kind: str) -> dict[int, str]:
    if kind == "org_unit":
        return dict(OrgUnit.objects.filter(municipality=municipality).values_list("pk", "name"))
    return {
        pk: _("Блок «%(name)s»") % {"name": name}
        for pk, name in Sector.objects.filter(municipality=municipality).values_list("pk", "name")
    }
