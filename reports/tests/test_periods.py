"""Weeks and months in the municipality's own time; bad input is a clear error."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from reports.periods import (
    PeriodInvalid,
    last_complete_month,
    last_complete_week,
    parse_day,
    parse_month,
    parse_week,
    range_period,
)

YAKUTSK = ZoneInfo("Asia/Yakutsk")
MOSCOW = ZoneInfo("Europe/Moscow")


def test_week_is_monday_to_sunday_midnight_local():
    week = parse_week("2026-W46", YAKUTSK)
    assert (week.first_day, week.last_day) == (date(2026, 11, 9), date(2026, 11, 15))
    assert week.start == datetime(2026, 11, 8, 15, 0, tzinfo=UTC)  # Monday 00:00 +09
    assert week.end == datetime(2026, 11, 15, 15, 0, tzinfo=UTC)  # Sunday 24:00 +09
    sunday_night = datetime(2026, 11, 15, 23, 30, tzinfo=YAKUTSK)
    assert week.start <= sunday_night < week.end
    assert week.code == "2026-W46"
    assert week.previous().code == "2026-W45"


@pytest.mark.parametrize("typed", ["2026-W46", "2026W46", "2026-w46", " 2026-W46 "])
def test_week_spellings(typed):
    assert parse_week(typed, MOSCOW).code == "2026-W46"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "ГГГГ-Wнн"),
        ("2026-46", "ГГГГ-Wнн"),
        ("2026-W54", "нет недели 54"),
        ("2025-W53", "нет недели 53"),  # 2025 has 52 ISO weeks
        ("1900-W01", "между 2000 и 2100"),
        ("2026-W46\x00", "ГГГГ-Wнн"),
        ("9" * 40, "ГГГГ-Wнн"),
    ],
)
def test_bad_weeks_say_what_is_expected(typed, message):
    with pytest.raises(PeriodInvalid, match=message):
        parse_week(typed, MOSCOW)


def test_53rd_week_exists_where_the_calendar_has_it():
    assert parse_week("2026-W53", MOSCOW).first_day == date(2026, 12, 28)


def test_months_and_their_bad_input():
    month = parse_month("2026-02", MOSCOW)
    assert (month.first_day, month.end_day) == (date(2026, 2, 1), date(2026, 3, 1))
    assert month.previous().code == "2026-01"
    assert parse_month("2026-01", MOSCOW).previous().code == "2025-12"
    for typed in ("2026-13", "2026", "февраль", "2026-00"):
        with pytest.raises(PeriodInvalid):
            parse_month(typed, MOSCOW)


def test_last_complete_week_and_month_follow_local_time():
    # Monday 00:30 in Yakutsk is still Sunday in Moscow.
    instant = datetime(2026, 11, 15, 15, 30, tzinfo=UTC)
    assert last_complete_week(instant, YAKUTSK).code == "2026-W46"
    assert last_complete_week(instant, MOSCOW).code == "2026-W45"
    first_of_month = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)  # 1 Dec 00:30 in Yakutsk
    assert last_complete_month(first_of_month, YAKUTSK).code == "2026-11"
    assert last_complete_month(first_of_month, MOSCOW).code == "2026-10"


def test_ranges():
    period = range_period(date(2026, 11, 2), date(2026, 11, 15), MOSCOW)
    assert period.days == 14
    assert period.previous().first_day == date(2026, 10, 19)
    with pytest.raises(PeriodInvalid, match="раньше"):
        range_period(date(2026, 11, 15), date(2026, 11, 2), MOSCOW)
    with pytest.raises(PeriodInvalid, match="трёх лет"):
        range_period(date(2020, 1, 1), date(2026, 1, 1), MOSCOW)
    for typed in ("2026-02-30", "15.11.2026", "", "2026-11-15T00:00"):
        with pytest.raises(PeriodInvalid, match="ГГГГ-ММ-ДД"):
            parse_day(typed)
