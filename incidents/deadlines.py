"""Due times of incidents and appeals: pure functions, no Django, no clock.

Everything here takes the start instant, a rule, the municipality's time zone and the Russian
production calendar, and returns an aware UTC instant. Callers (services, the deadline sweep)
pass `timezone.now()` in themselves, so this module is deterministic and testable without a DB.

Conventions
- Hour terms run on the clock: elapsed time, independent of dates and days off.
- Day terms follow ГК РФ: the term begins on the day after the local calendar date of the start
  (ст. 191) and may be met until 24:00 local of its last day (ст. 194 п. 1). "24:00 of the last
  day" is represented by the EXCLUSIVE instant: local midnight that starts the following day,
  so an answer is on time iff `answered_at < due`.
- A policy may move a last day that is a day off to the next working day (ГК РФ ст. 193).
- Working days come from the production calendar: weekends, public holidays, the days off the
  Government transfers every year, and the Saturdays it turns into working days.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

import holidays
from holidays.countries.russia import RussiaStaticHolidays

__all__ = [
    "DEFAULT_RULES",
    "MAX_EXTENSION_DAYS",
    "DeadlineRule",
    "ProductionCalendar",
    "Unit",
    "due_at",
    "extend",
    "is_working_day",
    "last_day",
    "warn_at",
]


class Unit(StrEnum):
    HOURS = "hours"
    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"


@dataclass(frozen=True)
class DeadlineRule:
    """How long a term is. Mirrors the amount/unit columns of `SlaPolicy`."""

    amount: int
    unit: Unit
    # ГК РФ ст. 193: a last day that falls on a day off moves to the next working day. Off by
    # default: 59-ФЗ and the ПОС rules count calendar days; a municipality opts in per policy.
    move_off_day_to_next_working: bool = False

    def __post_init__(self) -> None:
        # Accept the plain string stored in SlaPolicy.unit, reject anything else early.
        object.__setattr__(self, "unit", Unit(self.unit))
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount <= 0:
            raise ValueError(f"A deadline amount must be a positive integer, got {self.amount!r}.")
        if self.move_off_day_to_next_working and self.unit is not Unit.CALENDAR_DAYS:
            # An hour term has no "last day", and a working-day term always ends on a working
            # day: the flag would silently do nothing, which hides a misconfigured policy.
            raise ValueError(
                "move_off_day_to_next_working (ГК РФ ст. 193) applies only to calendar-day terms."
            )


# Regulation defaults, used to seed SlaPolicy rows; a municipality may override them per policy.
DEFAULT_RULES: Final[Mapping[str, DeadlineRule]] = MappingProxyType(
    {
        # Регламент Октябрьского района §2.5: the agreed answer reaches the ИМ operator within
        # 3 hours of the message being passed on (DESIGN.md §4–5).
        "im": DeadlineRule(3, Unit.HOURS),
        # DESIGN.md §5: official pages of authorities (госпаблики) are handled like ИМ — 3 hours.
        "gospublic": DeadlineRule(3, Unit.HOURS),
        # Регламент Октябрьского района §2.4–2.5 (ПОС flow): the answer is published on the
        # platform within 25 calendar days.
        "pos": DeadlineRule(25, Unit.CALENDAR_DAYS),
        # Same clause, fast-track (фаст-трек) messages: 10 calendar days.
        "pos_fast_track": DeadlineRule(10, Unit.CALENDAR_DAYS),
        # 59-ФЗ ст. 12 ч. 1: a written appeal is considered within 30 days of its registration
        # (start = registration time, not receipt).
        "appeal_59fz_answer": DeadlineRule(30, Unit.CALENDAR_DAYS),
        # 59-ФЗ ст. 8 ч. 2: registration within 3 days of receipt.
        "appeal_59fz_registration": DeadlineRule(3, Unit.CALENDAR_DAYS),
        # 59-ФЗ ст. 8 ч. 3: an appeal outside our competence is forwarded within 7 days of
        # registration.
        "appeal_59fz_forwarding": DeadlineRule(7, Unit.CALENDAR_DAYS),
        # 59-ФЗ ст. 12 ч. 2: one extension of at most 30 days, with a reason (see `extend`).
        "appeal_59fz_max_extension": DeadlineRule(30, Unit.CALENDAR_DAYS),
    }
)

MAX_EXTENSION_DAYS: Final[int] = DEFAULT_RULES["appeal_59fz_max_extension"].amount


class ProductionCalendar:
    """The Russian production calendar (производственный календарь) from `holidays` RU.

    Working day = not a weekend and not a day off, or a weekend the Government turned into a
    working day (ТК РФ ст. 112 ч. 5 and the yearly transfer decree, e.g. Saturday 1 Nov 2025).
    `holidays` keeps public holidays, the transferred days off (e.g. 31 Dec 2025) and the
    weekend days off for holidays on a weekend (e.g. 9 Mar 2026) as entries, and the working
    weekends in `HolidayBase.weekend_workdays`; it has no WORKDAY category for RU. We delegate
    the decision to its own `is_working_day` so its rules and ours cannot drift apart.

    Data gap: `holidays` 0.109 has transfer decrees up to 2027 only. For later years it knows
    the fixed holidays but neither the transfers nor the weekend-holiday days off, so days off
    like Monday 6 Nov 2028 (Unity Day falls on a Saturday) are missing until the package is
    upgraded. `has_transfer_data` lets a caller (a system check, the admin) notice.

    One frozen set of non-working days per year, built once under a lock: the object is shared
    by threads of a web process and of a Celery worker, and `HolidayBase` fills itself lazily.
    """

    def __init__(self) -> None:
        self._days_off_by_year: dict[int, frozenset[date]] = {}
        self._lock = threading.Lock()

    def is_working_day(self, day: date) -> bool:
        return day not in self._days_off(day.year)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day` (ГК РФ ст. 193: "ближайший следующий")."""
        candidate = day + timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += timedelta(days=1)
        return candidate

    @staticmethod
    def has_transfer_data(year: int) -> bool:
        """Whether `holidays` knows the Government's transfers of days off for `year`."""
        return (
            year in RussiaStaticHolidays.special_public_holidays
            or year in RussiaStaticHolidays.special_public_holidays_observed
        )

    def _days_off(self, year: int) -> frozenset[date]:
        cached = self._days_off_by_year.get(year)
        if cached is not None:
            return cached
        with self._lock:
            if year not in self._days_off_by_year:
                self._days_off_by_year[year] = _build_days_off(year)
            return self._days_off_by_year[year]


def _build_days_off(year: int) -> frozenset[date]:
    # Neighbouring years are loaded too: a transfer listed under one year may name a weekend of
    # another, and `weekend_workdays` only learns of it when that year is populated.
    # observed=True keeps the days off given for holidays that fall on a weekend (ТК РФ ст. 112).
    russian = holidays.country_holidays("RU", years=(year - 1, year, year + 1), observed=True)
    first = date(year, 1, 1)
    days_in_year = (date(year + 1, 1, 1) - first).days
    return frozenset(
        day
        for day in (first + timedelta(days=offset) for offset in range(days_in_year))
        if not russian.is_working_day(day)
    )


_DEFAULT_CALENDAR: Final[ProductionCalendar] = ProductionCalendar()


def is_working_day(day: date, calendar: ProductionCalendar | None = None) -> bool:
    return (calendar or _DEFAULT_CALENDAR).is_working_day(day)


def due_at(
    *,
    start: datetime,
    rule: DeadlineRule,
    tz: ZoneInfo,
    calendar: ProductionCalendar | None = None,
) -> datetime:
    """The instant a term expires (exclusive), in UTC.

    `start` is when the clock starts: receipt for messages, registration for 59-ФЗ appeals
    (ст. 12 ч. 1). `tz` is the municipality's zone: day terms count local dates, and a message
    received at 05:00 in Yakutsk on 1 Dec was received on 1 Dec even though UTC says 30 Nov.
    """
    _require_aware(start, "start")
    if rule.unit is Unit.HOURS:
        # Elapsed time: 3 hours are 3 real hours even across midnight or a (former) DST change.
        return start.astimezone(UTC) + timedelta(hours=rule.amount)

    # ГК РФ ст. 191: the term begins on the day after the local date of the start.
    start_day = start.astimezone(tz).date()
    if calendar is None:
        return _day_term_end(start_day, rule, tz)
    return _day_term_end_uncached(start_day, rule, tz, calendar)


# A day term's end depends on the local start date alone, and the default calendar is fixed
# data: an import's 100 000 messages start on a handful of dates (5–20 µs a term otherwise).
@functools.lru_cache(maxsize=4096)
def _day_term_end(start_day: date, rule: DeadlineRule, tz: ZoneInfo) -> datetime:
    return _day_term_end_uncached(start_day, rule, tz, _DEFAULT_CALENDAR)


def _day_term_end_uncached(
    start_day: date, rule: DeadlineRule, tz: ZoneInfo, calendar: ProductionCalendar
) -> datetime:
    if rule.unit is Unit.CALENDAR_DAYS:
        end_day = start_day + timedelta(days=rule.amount)
        if rule.move_off_day_to_next_working and not calendar.is_working_day(end_day):
            end_day = calendar.next_working_day(end_day)  # ГК РФ ст. 193
    else:
        end_day = start_day
        for _ in range(rule.amount):
            end_day = calendar.next_working_day(end_day)
    return _end_of_local_day(end_day, tz)


def warn_at(*, due: datetime, start: datetime, warn_before: timedelta) -> datetime:
    """When to warn the responsible; for a term shorter than `warn_before`, right at the start."""
    _require_aware(due, "due")
    _require_aware(start, "start")
    if warn_before < timedelta(0):
        raise ValueError(f"warn_before must not be negative, got {warn_before!r}.")
    return max(due - warn_before, start).astimezone(UTC)


def last_day(*, due: datetime, tz: ZoneInfo) -> date:
    """The last local day on which the term can still be met, for display ("до 24:00 17.12").

    `due` is exclusive, so this is the local date of the last on-time instant: for a day term
    ending at local midnight it is the day before `due`'s local date.
    """
    _require_aware(due, "due")
    return (due.astimezone(tz) - timedelta(microseconds=1)).date()


def extend(
    *,
    due: datetime,
    days: int,
    tz: ZoneInfo,
    move_off_day_to_next_working: bool = False,
    calendar: ProductionCalendar | None = None,
) -> datetime:
    """Extend a day term by `days` calendar days counted from its old last day.

    59-ФЗ ст. 12 ч. 2: the head may extend the 30-day term once, by no more than 30 days, with
    a reason; "once" and "with a reason" are the service's business, the limit is checked here.
    The optional ст. 193 move mirrors the policy of the original term.
    """
    _require_aware(due, "due")
    if not 0 < days <= MAX_EXTENSION_DAYS:
        raise ValueError(
            f"59-ФЗ ст. 12 ч. 2 allows an extension of 1 to {MAX_EXTENSION_DAYS} days, got {days}."
        )
    if due.astimezone(tz).time() != time(0):
        # A day term always ends at local midnight; anything else is an hour term or a due
        # computed in another time zone — both bugs that would shift the new last day.
        raise ValueError(f"extend() needs the due of a day term in {tz.key}, got {due}.")
    end_day = last_day(due=due, tz=tz) + timedelta(days=days)
    calendar = calendar or _DEFAULT_CALENDAR
    if move_off_day_to_next_working and not calendar.is_working_day(end_day):
        end_day = calendar.next_working_day(end_day)  # ГК РФ ст. 193
    return _end_of_local_day(end_day, tz)


def _end_of_local_day(day: date, tz: ZoneInfo) -> datetime:
    # ГК РФ ст. 194 п. 1: an act may be done until 24:00 of the last day; 24:00 is stored as the
    # local midnight that starts the next day, converted to UTC like every stored instant.
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def _require_aware(moment: datetime, name: str) -> None:
    # A naive datetime has no place on the timeline: guessing its zone would shift deadlines by
    # up to 9 hours between our municipalities (Europe/Moscow … Asia/Yakutsk).
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}.")
