"""Figures of the weekly summary, aggregated in the database (issue 6 item 5, DESIGN §7).

The workbooks, the reports page and the ЦУР API (`/api/v1/stats/summary/`) all read these
functions, so a figure is the same wherever it is shown. Every query filters by the
municipality explicitly (the scoped manager is the safety net, not the only guard).

Definitions (README «Reports»), judged on the times the incident card carries:

- *received* — ``received_at`` in the period; *repeat* — of those, flagged repeat (same topic
  at the same place within 30 days, or reopened after a rating ≤ 2); *new* — the others;
- *answered* — ``answered_at`` in the period (whenever received); *on time* — answered before
  ``due_at`` (``due_at`` is the exclusive end of the term, 24:00 local of the last day, so an
  answer at that instant is late — the same rule as ``Incident.answered_late``);
- *open at T* — received before T, not merged into another incident, not answered and not
  closed (rejected, forwarded, closed) before T;
- *overdue* — answered late in the period, plus open at the end of the period T and past its
  term (``due_at < T``, as ``Incident.is_overdue`` judges «now»). T is capped at «now» for a
  period still running;
- *postponed* — moved to «отложено» during the period (the timeline's transitions);
- *rejected*, *forwarded* — closed so during the period (``closed_at`` is set by both).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce, ExtractIsoWeekDay
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident, IncidentEvent, Status, Topic
from mcu.models import Municipality
from reports.periods import Period, PeriodKind
from roles.models import Channel, Sector

SUMMARY_FIELDS: tuple[str, ...] = (
    "received",
    "new",
    "repeat",
    "answered",
    "answered_on_time",
    "overdue",
    "postponed",
    "rejected",
    "forwarded",
)
SUMMARY_LABELS = {
    "received": _("Поступило"),
    "new": _("Новые"),
    "repeat": _("Повторные"),
    "answered": _("Дан ответ"),
    "answered_on_time": _("Ответ в срок"),
    "overdue": _("Просрочено (ответ с нарушением срока и не отвечено после срока)"),
    "postponed": _("Отложено"),
    "rejected": _("Отклонено (не инцидент)"),
    "forwarded": _("Перенаправлено"),
}
CHANNELS: tuple[str, ...] = tuple(Channel.values)

# Spike rule (issue 6, «Темы»): a topic spikes when this week's count is at least twice the
# average of the previous four weeks and at least 5 — the floor keeps «1 instead of 0» from
# being reported as a jump. A topic absent in the previous four weeks spikes at 5.
SPIKE_FACTOR = 2
SPIKE_MIN_COUNT = 5
SPIKE_WEEKS = 4


def as_of(period: Period) -> datetime:
    """The moment «at the end of the period» is judged: its end, or now if it is still running."""
    return min(period.end, timezone.now())


def received_in(period: Period) -> Q:
    return Q(received_at__gte=period.start, received_at__lt=period.end)


def answered_in(period: Period) -> Q:
    return Q(answered_at__gte=period.start, answered_at__lt=period.end)


ANSWERED_ON_TIME = Q(due_at__isnull=True) | Q(answered_at__lt=F("due_at"))
ANSWERED_LATE = Q(due_at__isnull=False, answered_at__gte=F("due_at"))


def open_at(moment: datetime) -> Q:
    return (
        Q(received_at__lt=moment)
        & ~Q(status=Status.MERGED)
        & (Q(answered_at__isnull=True) | Q(answered_at__gte=moment))
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=moment))
    )


def overdue_at(moment: datetime) -> Q:
    """Open at ``moment`` and past its term: the rule ``Incident.is_overdue`` applies to «now»."""
    return open_at(moment) & Q(due_at__lt=moment)


def _incidents(municipality: Municipality) -> QuerySet[Incident]:
    return Incident.objects.filter(municipality=municipality)


# --- «Сводка» -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryFigures:
    """One period's counts: ``by_channel[channel][field]`` and ``total[field]``."""

    period: Period
    by_channel: dict[str, dict[str, int]]

    @property
    def total(self) -> dict[str, int]:
        return {name: sum(row[name] for row in self.by_channel.values()) for name in SUMMARY_FIELDS}


def summary_figures(*, municipality: Municipality, period: Period) -> SummaryFigures:
    """The «Сводка» counts by channel for any period: three grouped queries, no row loops."""
    by_channel = {channel: dict.fromkeys(SUMMARY_FIELDS, 0) for channel in CHANNELS}
    moment = as_of(period)

    received = (
        _incidents(municipality)
        .filter(received_in(period))
        .values("channel")
        .annotate(received=Count("pk"), repeat=Count("pk", filter=Q(is_repeat=True)))
        .order_by()
    )
    for row in received:
        target = by_channel.setdefault(row["channel"], dict.fromkeys(SUMMARY_FIELDS, 0))
        target["received"] = row["received"]
        target["repeat"] = row["repeat"]
        target["new"] = row["received"] - row["repeat"]

    closed_in = Q(closed_at__gte=period.start, closed_at__lt=period.end)
    handled = (
        _incidents(municipality)
        .filter(received_at__lt=period.end)
        .filter(answered_in(period) | closed_in | overdue_at(moment))
        .values("channel")
        .annotate(
            answered=Count("pk", filter=answered_in(period)),
            on_time=Count("pk", filter=answered_in(period) & ANSWERED_ON_TIME),
            late=Count("pk", filter=answered_in(period) & ANSWERED_LATE),
            overdue_open=Count("pk", filter=overdue_at(moment)),
            rejected=Count("pk", filter=closed_in & Q(status=Status.REJECTED)),
            forwarded=Count("pk", filter=closed_in & Q(status=Status.FORWARDED)),
        )
        .order_by()
    )
    for row in handled:
        target = by_channel.setdefault(row["channel"], dict.fromkeys(SUMMARY_FIELDS, 0))
        target["answered"] = row["answered"]
        target["answered_on_time"] = row["on_time"]
        target["overdue"] = row["late"] + row["overdue_open"]
        target["rejected"] = row["rejected"]
        target["forwarded"] = row["forwarded"]

    postponed = (
        IncidentEvent.objects.filter(
            municipality=municipality,
            kind=IncidentEvent.Kind.TRANSITION,
            to_status=Status.POSTPONED,
            at__gte=period.start,
            at__lt=period.end,
        )
        .values("incident__channel")
        .annotate(n=Count("incident_id", distinct=True))
        .order_by()
    )
    for row in postponed:
        channel = row["incident__channel"]
        by_channel.setdefault(channel, dict.fromkeys(SUMMARY_FIELDS, 0))["postponed"] = row["n"]
    return SummaryFigures(period=period, by_channel=by_channel)


# --- «По отраслям» --------------------------------------------------------------------------


@dataclass
class SectorRow:
    sector_id: int | None
    name: str
    received: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Status.values, 0))
    answered: int = 0
    answered_on_time: int = 0

    @property
    def on_time_percent(self) -> float | None:
        return percent(self.answered_on_time, self.answered)


def percent(part: int, whole: int) -> float | None:
    """A share in percent with one decimal; None when there is nothing to share."""
    return None if whole == 0 else round(100 * part / whole, 1)


def sector_table(*, municipality: Municipality, period: Period) -> list[SectorRow]:
    """Each active block (the act's order), then «без блока»: received in the period by their
    status now; answered in the period and on time."""
    rows: dict[int | None, SectorRow] = {
        sector.pk: SectorRow(sector.pk, sector.name)
        for sector in Sector.objects.filter(municipality=municipality, is_active=True).order_by(
            "order", "name"
        )
    }
    rows[None] = SectorRow(None, str(_("Без отраслевого блока")))

    def row_for(sector_id: int | None) -> SectorRow:
        if sector_id is not None and sector_id not in rows:  # a block switched off since
            name = Sector.objects.filter(municipality=municipality, pk=sector_id).values_list(
                "name", flat=True
            )
            rows[sector_id] = SectorRow(sector_id, str(name.first() or sector_id))
        return rows[sector_id]

    for item in (
        _incidents(municipality)
        .filter(received_in(period))
        .values("sector_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        row = row_for(item["sector_id"])
        row.by_status[item["status"]] = item["n"]
        row.received += item["n"]
    for item in (
        _incidents(municipality)
        .filter(answered_in(period))
        .values("sector_id")
        .annotate(answered=Count("pk"), on_time=Count("pk", filter=ANSWERED_ON_TIME))
        .order_by()
    ):
        row = row_for(item["sector_id"])
        row.answered = item["answered"]
        row.answered_on_time = item["on_time"]
    ordered = [row for key, row in rows.items() if key is not None]
    return [*ordered, rows[None]]


# --- «Просрочено» ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueRow:
    incident_id: int
    channel: str
    sector: str
    responsible: str
    topic: str
    received_at: datetime
    due_at: datetime
    hours_late: float
    status: str
    address: str
    text: str


OVERDUE_TEXT_CHARS = 300


def overdue_list(*, municipality: Municipality, period: Period) -> Iterator[OverdueRow]:
    """Every incident overdue at the end of the period, longest overdue first; streamed."""
    moment = as_of(period)
    rows = (
        _incidents(municipality)
        .filter(overdue_at(moment))
        .order_by("due_at", "pk")
        .values(
            "pk",
            "channel",
            "status",
            "received_at",
            "due_at",
            "address",
            "text",
            "sector__name",
            "org_unit__name",
            "responsible__full_name",
            "responsible__username",
            "topic__name",
            "topic__parent__name",
        )
    )
    for row in rows.iterator(chunk_size=2000):
        due_at: datetime | None = row["due_at"]
        if due_at is None:  # overdue_at() needs a term; keeps the type checker honest too
            continue
        person = row["responsible__full_name"] or row["responsible__username"] or ""
        unit = row["org_unit__name"] or ""
        responsible = f"{person} ({unit})" if person and unit else person or unit
        topic = row["topic__name"] or ""
        if row["topic__parent__name"]:
            topic = f"{row['topic__parent__name']} → {topic}"
        yield OverdueRow(
            incident_id=row["pk"],
            channel=row["channel"],
            sector=row["sector__name"] or "",
            responsible=responsible,
            topic=topic,
            received_at=row["received_at"],
            due_at=due_at,
            hours_late=round((moment - due_at).total_seconds() / 3600, 1),
            status=row["status"],
            address=row["address"],
            text=row["text"][:OVERDUE_TEXT_CHARS],
        )


# --- charts ---------------------------------------------------------------------------------


def received_by_weekday(*, municipality: Municipality, period: Period) -> list[int]:
    """Received per local weekday, Monday first (the line chart of the weekly summary)."""
    counts = [0] * 7
    for row in (
        _incidents(municipality)
        .filter(received_in(period))
        .annotate(weekday=ExtractIsoWeekDay("received_at", tzinfo=period.tz))
        .values("weekday")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[row["weekday"] - 1] = row["n"]
    return counts


# --- «Темы» ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicRow:
    topic_id: int | None
    name: str
    count: int
    previous_average: float

    @property
    def change_percent(self) -> float | None:
        if self.previous_average == 0:
            return None
        return round(100 * (self.count - self.previous_average) / self.previous_average, 1)

    @property
    def is_spike(self) -> bool:
        return self.count >= SPIKE_MIN_COUNT and self.count >= SPIKE_FACTOR * self.previous_average


def previous_weeks(period: Period, weeks: int = SPIKE_WEEKS) -> Period:
    """The ``weeks`` periods of the same length just before ``period``, as one range."""
    span = period.end_day - period.first_day
    return Period(PeriodKind.RANGE, period.first_day - weeks * span, period.first_day, period.tz)


def topic_rows(
    *, municipality: Municipality, period: Period, subtopics: bool = False
) -> list[TopicRow]:
    """Topics (or subtopics) received in the period, most frequent first, against the average of
    the four periods before; topics seen only before are left out (nothing to report now)."""
    key = F("topic_id") if subtopics else Coalesce(F("topic__parent_id"), F("topic_id"))
    base = _incidents(municipality)
    if subtopics:
        base = base.filter(topic__parent__isnull=False)

    def counts(window: Period) -> dict[int | None, int]:
        return {
            row["key"]: row["n"]
            for row in base.filter(received_in(window))
            .annotate(key=key)
            .values("key")
            .annotate(n=Count("pk"))
            .order_by()
        }

    now = counts(period)
    before = counts(previous_weeks(period))
    names = dict(Topic.objects.filter(pk__in=[k for k in now if k]).values_list("pk", "name"))
    if subtopics:
        parents = dict(
            Topic.objects.filter(pk__in=[k for k in now if k]).values_list("pk", "parent__name")
        )
        names = {pk: f"{parents[pk]} → {name}" for pk, name in names.items()}
    rows = [
        TopicRow(
            topic_id=topic_id,
            name=names.get(topic_id, "") if topic_id else str(_("Тема не определена")),
            count=count,
            previous_average=before.get(topic_id, 0) / SPIKE_WEEKS,
        )
        for topic_id, count in now.items()
    ]
    return sorted(rows, key=lambda row: (-row.count, row.name))
