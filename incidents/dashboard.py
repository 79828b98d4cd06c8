"""Reads of the municipality dashboard (issue 5 item 1): right now, by channel and block, and
the last 8 weeks — each a single aggregate query over an index, whatever the table's size.

- «Right now» reads only open incidents (GROUP BY status × channel × block over the partial
  index of open incidents by due time), so its cost follows the backlog, not the archive.
- «Answered today» reads the partial index of answered incidents from local midnight, so it
  follows today's activity.
- The 8-week chart reads the rows received in those weeks (index by received time).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from incidents.models import OPEN_STATUSES, Incident, Status
from mcu.models import Municipality
from roles.models import Channel, Sector

WEEKS = 8


@dataclass
class Bucket:
    """Counts of one slice (a channel, a block, or everything)."""

    open: int = 0
    new: int = 0
    overdue: int = 0
    due_1h: int = 0
    due_24h: int = 0

    def add(self, other: Bucket) -> None:
        self.open += other.open
        self.new += other.new
        self.overdue += other.overdue
        self.due_1h += other.due_1h
        self.due_24h += other.due_24h


@dataclass(frozen=True)
class Week:
    monday: date
    received: int

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


@dataclass
class Dashboard:
    now: datetime
    total: Bucket
    answered_today: int
    by_channel: list[tuple[str, str, Bucket]]  # (code, label, counts)
    by_sector: list[tuple[Sector | None, Bucket]]
    weeks: list[Week] = field(default_factory=list)

    @property
    def in_work(self) -> int:
        return self.total.open - self.total.new

    @property
    def week_max(self) -> int:
        return max((w.received for w in self.weeks), default=0)

    def bars(self, *, height: int = 170, step: int = 100, base: int = 190) -> list[Bar]:
        """Geometry of the 8-week bar chart (server-drawn SVG: no script, no CDN)."""
        top = self.week_max or 1
        bars = []
        for index, week in enumerate(self.weeks):
            h = round(height * week.received / top)
            bars.append(Bar(week, x=index * step + 15, y=base - h, height=h))
        return bars


@dataclass(frozen=True)
class Bar:
    week: Week
    x: int
    y: int
    height: int


def dashboard(*, municipality: Municipality, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    tz = municipality.tz
    local_today = now.astimezone(tz).date()
    midnight = datetime.combine(local_today, datetime.min.time(), tzinfo=tz)

    rows = (
        Incident.objects.filter(municipality=municipality, status__in=OPEN_STATUSES)
        .values("channel", "sector_id")
        .annotate(
            open=Count("pk"),
            new=Count("pk", filter=Q(status=Status.NEW)),
            overdue=Count("pk", filter=Q(due_at__lte=now)),
            due_1h=Count("pk", filter=Q(due_at__gt=now, due_at__lte=now + timedelta(hours=1))),
            due_24h=Count("pk", filter=Q(due_at__gt=now, due_at__lte=now + timedelta(hours=24))),
        )
        .order_by()
    )
    total = Bucket()
    channels: dict[str, Bucket] = defaultdict(Bucket)
    sectors: dict[int | None, Bucket] = defaultdict(Bucket)
    for row in rows:
        bucket = Bucket(row["open"], row["new"], row["overdue"], row["due_1h"], row["due_24h"])
        total.add(bucket)
        channels[row["channel"]].add(bucket)
        sectors[row["sector_id"]].add(bucket)

    sector_rows = {
        s.pk: s
        for s in Sector.objects.filter(municipality=municipality, pk__in=[k for k in sectors if k])
    }
    by_sector = sorted(
        ((sector_rows.get(pk) if pk else None, bucket) for pk, bucket in sectors.items()),
        key=lambda item: (item[0] is None, -item[1].overdue, -item[1].open),
    )
    by_channel = [
        (code, str(label), channels[code]) for code, label in Channel.choices if code in channels
    ]
    answered_today = Incident.objects.filter(
        municipality=municipality, answered_at__gte=midnight
    ).count()
    return Dashboard(
        now=now,
        total=total,
        answered_today=answered_today,
        by_channel=by_channel,
        by_sector=by_sector,
        weeks=received_by_week(municipality=municipality, today=local_today),
    )


def received_by_week(*, municipality: Municipality, today: date, weeks: int = WEEKS) -> list[Week]:
    """Messages received per ISO week (Monday–Sunday, local time), the current week last."""
    tz = municipality.tz
    this_monday = today - timedelta(days=today.weekday())
    first_monday = this_monday - timedelta(weeks=weeks - 1)
    # One pass over the index by received time, a conditional count per week: no per-row
    # time-zone conversion (the week bounds are local midnights, computed here).
    bounds = [
        datetime.combine(first_monday + timedelta(weeks=i), datetime.min.time(), tzinfo=tz)
        for i in range(weeks + 1)
    ]
    counts = Incident.objects.filter(
        municipality=municipality, received_at__gte=bounds[0], received_at__lt=bounds[-1]
    ).aggregate(
        **{
            f"w{i}": Count(
                "pk", filter=Q(received_at__gte=bounds[i], received_at__lt=bounds[i + 1])
            )
            for i in range(weeks)
        }
    )
    return [Week(first_monday + timedelta(weeks=i), counts[f"w{i}"]) for i in range(weeks)]
