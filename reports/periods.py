"""Report periods in a municipality's own time: ISO weeks, calendar months, any range of days.

A week is Monday 00:00 to Sunday 24:00 *local* time (issue 6): an incident received in Yakutsk
on Sunday at 23:30 belongs to that week, although it is still Sunday 14:30 in UTC. A period is
kept as local dates (end exclusive) plus the zone; the database is always asked in UTC
instants (``start``, ``end``), which is what the indexes on ``received_at`` hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from django.utils.dates import MONTHS
from django.utils.translation import gettext as _


class PeriodInvalid(ValueError):
    """A period a user typed cannot be understood; the message says what is expected."""


class PeriodKind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    RANGE = "range"


_WEEK_RE = re.compile(r"^\s*(\d{4})-?[Ww](\d{1,2})\s*$")
_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
# A report over more than this is a mistake in a form, not a question anyone asks weekly.
MAX_RANGE_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    first_day: date  # local, inclusive
    end_day: date  # local, exclusive
    tz: tzinfo

    @property
    def start(self) -> datetime:
        """Local midnight of the first day, as an aware instant."""
        return _local_midnight(self.first_day, self.tz)

    @property
    def end(self) -> datetime:
        """Local 24:00 of the last day (the next midnight), exclusive."""
        return _local_midnight(self.end_day, self.tz)

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end_day - self.first_day).days

    @property
    def code(self) -> str:
        """``2026-W47``, ``2026-11`` or ``2026-11-02..2026-11-15``: file names, archive, URLs."""
        if self.kind == PeriodKind.WEEK:
            iso = self.first_day.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        if self.kind == PeriodKind.MONTH:
            return f"{self.first_day.year}-{self.first_day.month:02d}"
        return f"{self.first_day.isoformat()}..{self.last_day.isoformat()}"

    @property
    def label(self) -> str:
        dates = f"{self.first_day:%d.%m.%Y}–{self.last_day:%d.%m.%Y}"
        if self.kind == PeriodKind.WEEK:
            iso = self.first_day.isocalendar()
            return _("неделя %(week)s %(year)s года (%(dates)s)") % {
                "week": iso.week,
                "year": iso.year,
                "dates": dates,
            }
        if self.kind == PeriodKind.MONTH:
            return _("%(month)s %(year)s года") % {
                "month": str(MONTHS[self.first_day.month]).lower(),
                "year": self.first_day.year,
            }
        return dates

    def previous(self) -> Period:
        """The period just before, of the same kind (a week, a month, as many days)."""
        if self.kind == PeriodKind.WEEK:
            return self.shifted_weeks(-1)
        if self.kind == PeriodKind.MONTH:
            previous_last = self.first_day - timedelta(days=1)
            return month_period(previous_last.year, previous_last.month, self.tz)
        return Period(
            PeriodKind.RANGE, self.first_day - timedelta(days=self.days), self.first_day, self.tz
        )

    def shifted_weeks(self, weeks: int) -> Period:
        step = timedelta(weeks=weeks)
        return Period(self.kind, self.first_day + step, self.end_day + step, self.tz)

    def year_to_date(self) -> Period:
        """From 1 January of the period's year to the period's end (KPI targets are yearly)."""
        return Period(PeriodKind.RANGE, date(self.last_day.year, 1, 1), self.end_day, self.tz)


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    # zoneinfo resolves the wall time itself (Russia keeps no DST now, but history did).
    return datetime.combine(day, time.min, tzinfo=tz)


def week_period(year: int, week: int, tz: tzinfo) -> Period:
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise PeriodInvalid(
            _("В %(year)s году нет недели %(week)s.") % {"year": year, "week": week}
        ) from None
    return Period(PeriodKind.WEEK, monday, monday + timedelta(days=7), tz)


def week_containing(day: date, tz: tzinfo) -> Period:
    iso = day.isocalendar()
    return week_period(iso.year, iso.week, tz)


def last_complete_week(now: datetime, tz: tzinfo) -> Period:
    """The week that ended most recently in local time (on Monday: the one just ended)."""
    return week_containing(now.astimezone(tz).date(), tz).shifted_weeks(-1)


def month_period(year: int, month: int, tz: tzinfo) -> Period:
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise PeriodInvalid(_("Месяц указывается как ГГГГ-ММ, например 2026-11."))
    first = date(year, month, 1)
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(PeriodKind.MONTH, first, end, tz)


def last_complete_month(now: datetime, tz: tzinfo) -> Period:
    today = now.astimezone(tz).date()
    previous_last = today.replace(day=1) - timedelta(days=1)
    return month_period(previous_last.year, previous_last.month, tz)


def parse_week(value: str, tz: tzinfo) -> Period:
    """``2026-W47`` (also ``2026W47``, ``2026-w7``) → that ISO week in local time."""
    match = _WEEK_RE.match(value or "")
    if match is None:
        raise PeriodInvalid(_("Неделя указывается как ГГГГ-Wнн, например 2026-W47."))
    year, week = int(match.group(1)), int(match.group(2))
    if not 2000 <= year <= 2100:
        raise PeriodInvalid(_("Год должен быть между 2000 и 2100."))
    return week_period(year, week, tz)


def parse_month(value: str, tz: tzinfo) -> Period:
    match = _MONTH_RE.match(value or "")
    if match is None:
        raise PeriodInvalid(_("Месяц указывается как ГГГГ-ММ, например 2026-11."))
    return month_period(int(match.group(1)), int(match.group(2)), tz)


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise PeriodInvalid(
            _("Дата указывается как ГГГГ-ММ-ДД, например 2026-11-16; получено «%(value)s».")
            % {"value": (value or "")[:40]}
        ) from None


def range_period(first_day: date, last_day: date, tz: tzinfo) -> Period:
    """Any range of whole local days, both ends inclusive (the API's ``from``/``to``)."""
    if last_day < first_day:
        raise PeriodInvalid(_("Конец периода раньше его начала."))
    if (last_day - first_day).days >= MAX_RANGE_DAYS:
        raise PeriodInvalid(_("Период не может быть длиннее трёх лет."))
    if not (2000 <= first_day.year <= 2100 and 2000 <= last_day.year <= 2100):
        raise PeriodInvalid(_("Год должен быть между 2000 и 2100."))
    return Period(PeriodKind.RANGE, first_day, last_day + timedelta(days=1), tz)
