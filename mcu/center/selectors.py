"""Reads of the center's work: meetings, assignments («Мои задачи»), roadmap effects, KPI 5."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import Incident, Topic
from mcu.center.hearings import IndicatorActual
from mcu.models import (
    Assignment,
    AssignmentStatus,
    KpiIndicator,
    MeasureIncident,
    MeasureStatus,
    Meeting,
    Municipality,
    Roadmap,
)
from roles.models import User

# The windows of a roadmap's «before / after»: up to 90 days after its approval against as many
# days just before it — equal lengths, so the two counts compare directly.
ROADMAP_WINDOW_DAYS = 90
MY_ASSIGNMENTS_LIMIT = 100


def meetings_for_municipality(*, municipality: Municipality) -> QuerySet[Meeting]:
    return (
        Meeting.objects.filter(municipality=municipality)
        .select_related("chair", "protocol_signed_by")
        .annotate(
            decisions_count=Count("decisions", distinct=True),
            open_assignments=Count(
                "decisions__assignments",
                filter=Q(decisions__assignments__status=AssignmentStatus.OPEN),
                distinct=True,
            ),
        )
        .order_by("-held_on", "-pk")
    )


def assignments_for_municipality(
    *, municipality: Municipality, status: str | None = None, executor: User | None = None
) -> QuerySet[Assignment]:
    rows = Assignment.objects.filter(municipality=municipality)
    if status:
        rows = rows.filter(status=status)
    if executor is not None:
        rows = rows.filter(executor=executor)
    return rows.select_related("executor", "decision__meeting").order_by("due_at", "pk")


@dataclass(frozen=True)
class AssignmentTask:
    """A row of «Мои задачи»: an open assignment of the user, with the time left."""

    assignment: Assignment
    overdue: bool
    seconds_left: int


def my_assignments(
    *,
    municipality: Municipality,
    user: User,
    now: datetime | None = None,
    limit: int = MY_ASSIGNMENTS_LIMIT,
) -> list[AssignmentTask]:
    """The user's open assignments in this municipality: overdue first, then by time left."""
    now = now or timezone.now()
    rows = assignments_for_municipality(
        municipality=municipality, status=AssignmentStatus.OPEN, executor=user
    )[:limit]
    tasks = []
    for row in rows:
        left = int((row.due_at - now).total_seconds())
        tasks.append(AssignmentTask(row, left <= 0, left))
    return tasks


# --- roadmaps ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    first_day: date  # local, inclusive
    end_day: date  # local, exclusive
    count: int

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end_day - self.first_day).days


@dataclass(frozen=True)
class RoadmapEffect:
    """Incidents on the roadmap's topics (with their subtopics) received before and after."""

    before: Window
    after: Window | None  # None until the roadmap is approved

    @property
    def change(self) -> int | None:
        return None if self.after is None else self.after.count - self.before.count


def roadmap_topic_ids(roadmap: Roadmap) -> list[int]:
    """The roadmap's topics and their subtopics (a topic finds its subtopics, as the list)."""
    chosen = list(roadmap.topics.values_list("pk", flat=True))
    children = Topic.objects.filter(parent_id__in=chosen).values_list("pk", flat=True)
    return sorted(set(chosen) | set(children))


def _midnight(day: date, municipality: Municipality) -> datetime:
    return datetime.combine(day, time.min, tzinfo=municipality.tz)


def roadmap_effect(*, roadmap: Roadmap, today: date | None = None) -> RoadmapEffect:
    """Counts in the municipality's local days; one aggregate query.

    Approved: «after» runs from the approval day for up to ``ROADMAP_WINDOW_DAYS`` days (to
    today, if fewer have passed), «before» is as many days just before the approval day. Not
    approved yet: «before» is the last ``ROADMAP_WINDOW_DAYS`` days up to today, no «after».
    """
    municipality = roadmap.municipality
    today = today or municipality.local_time().date()
    if roadmap.approved_on is not None:
        start = roadmap.approved_on
        after_end = min(start + timedelta(days=ROADMAP_WINDOW_DAYS), today + timedelta(days=1))
        after_end = max(after_end, start + timedelta(days=1))
        length = after_end - start
        before_first, before_end = start - length, start
        after: tuple[date, date] | None = (start, after_end)
    else:
        before_end = today + timedelta(days=1)
        before_first = before_end - timedelta(days=ROADMAP_WINDOW_DAYS)
        after = None

    def within(first: date, end: date) -> Q:
        return Q(
            received_at__gte=_midnight(first, municipality),
            received_at__lt=_midnight(end, municipality),
        )

    aggregates = {"before": Count("pk", filter=within(before_first, before_end))}
    if after is not None:
        aggregates["after"] = Count("pk", filter=within(*after))
    counts = Incident.objects.filter(
        municipality=municipality, topic_id__in=roadmap_topic_ids(roadmap)
    ).aggregate(**aggregates)
    return RoadmapEffect(
        before=Window(before_first, before_end, counts["before"]),
        after=None if after is None else Window(after[0], after[1], counts["after"]),
    )


def roadmaps_kpi_actual(*, municipality: Municipality, year: int) -> dict[str, IndicatorActual]:
    """Indicator 5 of Октябрьский Приложение № 2: of the incidents received in the (local) year
    that reached a responsible recipient (``auto_routed`` set — the reports' denominator), the
    share linked to a roadmap measure that has been carried out («выполнено»)."""
    start = datetime(year, 1, 1, tzinfo=municipality.tz)
    end = datetime(year + 1, 1, 1, tzinfo=municipality.tz)
    done_links = MeasureIncident.objects.filter(
        municipality=municipality, measure__status=MeasureStatus.DONE
    ).values("incident_id")
    counts = Incident.objects.filter(
        municipality=municipality,
        auto_routed__isnull=False,
        received_at__gte=start,
        received_at__lt=end,
    ).aggregate(
        delivered=Count("pk"),
        addressed=Count("pk", filter=Q(pk__in=done_links)),
    )
    delivered, addressed = counts["delivered"], counts["addressed"]
    return {
        KpiIndicator.ROADMAPS.value: IndicatorActual(
            None if not delivered else round(100.0 * addressed / delivered, 1),
            addressed if delivered else None,
            delivered if delivered else None,
            _("доля связанных с выполненным мероприятием дорожной карты")
            if delivered
            else _("нет доставленных сообщений"),
        )
    }
