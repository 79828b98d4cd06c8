"""Filters of ``GET /api/v1/incidents/`` (django-filter, strict fields from ``api.params``).

``municipality`` is validated against the token's own municipalities: a slug outside the scope
gets the same 400 as one that does not exist. ``topic`` matches the topic and its subtopics
(``roads`` finds ``roads.potholes``). ``received_after`` is inclusive, ``received_before`` and
``updated_after`` exclusive — ``updated_after`` is «changed since», the start of a sync.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import django_filters  # type: ignore[import-untyped]  # ships no type hints
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.params import BoolParamField, DateTimeParamField
from incidents.models import OPEN_STATUSES, Incident, Status, Topic
from roles.models import Channel, Sector


class DateTimeParamFilter(django_filters.Filter):
    field_class = DateTimeParamField


class BoolParamFilter(django_filters.Filter):
    field_class = BoolParamField


def overdue_q(now: datetime) -> Q:
    """Late: open and past the term now, or answered after the term (answered late).

    Computed on every read (README), never from the sweep's flags: the same rule as
    ``Incident.is_overdue`` plus the late answers a report counts as overdue too.
    """
    return Q(status__in=OPEN_STATUSES, due_at__lt=now) | Q(
        answered_at__isnull=False, due_at__isnull=False, answered_at__gt=F("due_at")
    )


def not_overdue_q(now: datetime) -> Q:
    open_late = Q(status__in=OPEN_STATUSES, due_at__lt=now)
    answered_late = Q(answered_at__isnull=False, due_at__isnull=False, answered_at__gt=F("due_at"))
    # Spelled out rather than ~overdue_q(): negating a comparison with a nullable column
    # must keep the rows where it is NULL, and the explicit form says so.
    return ~open_late & ~answered_late


def is_overdue(row: dict[str, Any], now: datetime) -> bool:
    due_at = row["due_at"]
    if due_at is None:
        return False
    if row["status"] in OPEN_STATUSES and due_at < now:
        return True
    answered_at = row["answered_at"]
    return answered_at is not None and answered_at > due_at


def _sectors(request: Any) -> QuerySet[Sector]:
    return Sector.objects.all()  # scoped: only the token's municipalities' blocks


class IncidentFilter(django_filters.FilterSet):
    municipality = django_filters.MultipleChoiceFilter(
        choices=[], method="filter_nothing", label=_("муниципальное образование"), distinct=False
    )
    # distinct=False: one incident is one row here, and DISTINCT would defeat the keyset index.
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, distinct=False)
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False)
    sector = django_filters.ModelMultipleChoiceFilter(
        to_field_name="code", queryset=_sectors, method="filter_sector", distinct=False
    )
    topic = django_filters.ModelMultipleChoiceFilter(
        to_field_name="code",
        queryset=Topic.objects.all(),
        method="filter_topic",
        distinct=False,
    )
    received_after = DateTimeParamFilter(field_name="received_at", lookup_expr="gte")
    received_before = DateTimeParamFilter(field_name="received_at", lookup_expr="lt")
    updated_after = DateTimeParamFilter(field_name="updated_at", lookup_expr="gt")
    overdue = BoolParamFilter(method="filter_overdue")
    fast_track = BoolParamFilter(field_name="fast_track")

    class Meta:
        model = Incident
        fields: list[str] = []

    def __init__(self, *args: Any, municipality_slugs: dict[int, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipality_slugs = municipality_slugs
        self.filters["municipality"].extra["choices"] = [
            (slug, slug) for slug in sorted(municipality_slugs.values())
        ]
        self.now = timezone.now()

    def filter_nothing(self, queryset: QuerySet[Incident], name: str, value: Any) -> Any:
        return queryset  # applied by the view: it reads each municipality's index range alone

    def filter_sector(
        self, queryset: QuerySet[Incident], name: str, value: list[Sector]
    ) -> QuerySet[Incident]:
        # Codes repeat across municipalities («roads»): every block with the code, in scope.
        return queryset.filter(sector__in=value) if value else queryset

    def filter_topic(
        self, queryset: QuerySet[Incident], name: str, value: list[Topic]
    ) -> QuerySet[Incident]:
        if not value:
            return queryset
        return queryset.filter(Q(topic__in=value) | Q(topic__parent__in=value))

    def filter_overdue(
        self, queryset: QuerySet[Incident], name: str, value: bool | None
    ) -> QuerySet[Incident]:
        if value is None:
            return queryset
        return queryset.filter(overdue_q(self.now) if value else not_overdue_q(self.now))

    def selected_municipality_ids(self) -> list[int]:
        """The municipalities to read: those asked for, else the token's whole scope."""
        chosen = set(self.form.cleaned_data.get("municipality") or [])
        return sorted(
            pk for pk, slug in self.municipality_slugs.items() if not chosen or slug in chosen
        )
