"""The filters of the incident list (django-filter), shared by the page and its Excel export,
so the workbook holds exactly the rows the page lists."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters  # type: ignore[import-untyped]  # django-filter ships no type hints
from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.listing.forms import ListChoices, QuickSelect, YesNoSelect
from incidents.listing.selectors import DEFAULT_SORT, SORTS, overdue_q
from incidents.models import OPEN_STATUSES, Incident, Status, Topic
from mcu.models import Municipality
from roles.models import Channel

OPEN = "open"  # pseudo-status: every status the deadline clock runs in

MAX_SEARCH_CHARS = 200


def _municipality(request: HttpRequest | None) -> Municipality:
    municipality: Municipality | None = getattr(request, "municipality", None)
    if municipality is None:  # the list lives under /m/<slug>/ only
        raise RuntimeError("the incident list needs request.municipality")
    return municipality


# Dates a message can have; beyond them date arithmetic and time-zone conversion overflow.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)


class ListFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("received_from", "received_to"):
            day = data.get(name)
            if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
                self.add_error(name, _("Укажите дату между 2000 и 2100 годом."))
                data.pop(name, None)
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("Конец периода раньше его начала."))
        return data


class IncidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Поиск в тексте и адресе"),
        method="filter_search",
        max_length=MAX_SEARCH_CHARS,
    )
    channel = django_filters.ChoiceFilter(
        label=_("Канал"), choices=Channel.choices, empty_label="—", widget=QuickSelect
    )
    status = django_filters.ChoiceFilter(
        label=_("Статус"),
        choices=[(OPEN, _("Все открытые")), *Status.choices],
        method="filter_status",
        empty_label="—",
        widget=QuickSelect,
    )
    # Blocks, topics and people: choices set per request from ListChoices (see __init__); a
    # value not among them — another municipality's block, say — is a form error.
    sector = django_filters.ChoiceFilter(
        label=_("Отраслевой блок"), null_label=_("Без блока"), empty_label="—", widget=QuickSelect
    )
    topic = django_filters.ChoiceFilter(
        label=_("Тема (с подтемами)"), method="filter_topic", empty_label="—", widget=QuickSelect
    )
    responsible = django_filters.ChoiceFilter(
        label=_("Ответственный"), null_label=_("Не назначен"), empty_label="—", widget=QuickSelect
    )
    overdue = django_filters.BooleanFilter(
        label=_("Просрочено"), method="filter_overdue", widget=YesNoSelect
    )
    repeat = django_filters.BooleanFilter(
        label=_("Повторное"), field_name="is_repeat", widget=YesNoSelect
    )
    fast_track = django_filters.BooleanFilter(label=_("Фаст-трек"), widget=YesNoSelect)
    received_from = django_filters.DateFilter(
        label=_("Поступило с"),
        method="filter_received_from",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    received_to = django_filters.DateFilter(
        label=_("Поступило по"),
        method="filter_received_to",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    # Not a filter: the order of the list, kept in the same form so one query string carries
    # the whole view (links from the dashboard, the export link, the bulk form's way back).
    sort = django_filters.ChoiceFilter(
        label=_("Сортировка"),
        choices=[(key, sort.label) for key, sort in SORTS.items()],
        method="keep_order",
        empty_label=None,
        widget=QuickSelect,
    )

    class Meta:
        model = Incident
        fields: list[str] = []
        form = ListFilterForm

    def __init__(self, data: Any = None, *args: Any, choices: ListChoices, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.municipality = _municipality(self.request)
        self.now = timezone.now()
        # The form is built lazily from self.filters (copies of the declared ones).
        self.filters["sector"].extra["choices"] = choices.sectors
        self.filters["topic"].extra["choices"] = choices.topics
        self.filters["responsible"].extra["choices"] = choices.people

    @property
    def sort_key(self) -> str:
        """The valid sort of a bound, valid form; the default otherwise."""
        if self.is_bound and self.form.is_valid():
            return self.form.cleaned_data.get("sort") or DEFAULT_SORT
        return DEFAULT_SORT

    def filter_search(
        self, queryset: QuerySet[Incident], name: str, value: str
    ) -> QuerySet[Incident]:
        # icontains (ILIKE '%…%') scans every row of the municipality that the other filters
        # leave: fine for the few hundred thousand rows of one municipality, not beyond. At
        # scale: PostgreSQL full-text search (a GIN index on to_tsvector('russian', text ||
        # address), which also matches word forms) or a pg_trgm GIN index for substrings.
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(text__icontains=value) | Q(address__icontains=value))

    def filter_status(
        self, queryset: QuerySet[Incident], name: str, value: str
    ) -> QuerySet[Incident]:
        if value == OPEN:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def filter_topic(
        self, queryset: QuerySet[Incident], name: str, value: str
    ) -> QuerySet[Incident]:
        # A topic covers its subtopics: «ЖКХ» finds «ЖКХ → отопление» too.
        pk = int(value)  # one of the choices, so a number
        return queryset.filter(
            topic_id__in=Topic.objects.filter(Q(pk=pk) | Q(parent_id=pk)).values("pk")
        )

    def filter_overdue(
        self, queryset: QuerySet[Incident], name: str, value: bool
    ) -> QuerySet[Incident]:
        overdue = overdue_q(now=self.now)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def _local_midnight(self, day: date) -> datetime:
        """Start of a local day of the municipality, as an aware instant (stored times are UTC)."""
        return datetime.combine(day, time.min, self.municipality.tz)

    def filter_received_from(
        self, queryset: QuerySet[Incident], name: str, value: date
    ) -> QuerySet[Incident]:
        return queryset.filter(received_at__gte=self._local_midnight(value))

    def filter_received_to(
        self, queryset: QuerySet[Incident], name: str, value: date
    ) -> QuerySet[Incident]:
        # The whole last day, to 24:00 local (exclusive next midnight).
        return queryset.filter(received_at__lt=self._local_midnight(value + timedelta(days=1)))

    def keep_order(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        return queryset
