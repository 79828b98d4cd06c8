"""Deadlines: exact instants for the regulation's cases, then properties over random starts.

Expected values are written out by hand (local wall time and its UTC equivalent) so a reader can
check them against a paper calendar. Days off come from the real `holidays` RU data.
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.deadlines import (
    DEFAULT_RULES,
    DeadlineRule,
    ProductionCalendar,
    Unit,
    due_at,
    extend,
    is_working_day,
    last_day,
    warn_at,
)

MOSCOW = ZoneInfo("Europe/Moscow")  # UTC+3, Ловозеро
YEKATERINBURG = ZoneInfo("Asia/Yekaterinburg")  # UTC+5, Октябрьский
KRASNOYARSK = ZoneInfo("Asia/Krasnoyarsk")  # UTC+7, Аскиз, Сосновоборск
YAKUTSK = ZoneInfo("Asia/Yakutsk")  # UTC+9, Ленский район
ZONES = [MOSCOW, YEKATERINBURG, KRASNOYARSK, YAKUTSK]

IM = DEFAULT_RULES["im"]
POS = DEFAULT_RULES["pos"]
POS_FAST_TRACK = DEFAULT_RULES["pos_fast_track"]
APPEAL = DEFAULT_RULES["appeal_59fz_answer"]


def local(
    tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def moved(rule: DeadlineRule) -> DeadlineRule:
    return DeadlineRule(rule.amount, rule.unit, move_off_day_to_next_working=True)


# --- hour terms ---------------------------------------------------------------------------


def test_im_three_hours_run_on_the_clock_in_moscow() -> None:
    due = due_at(start=local(MOSCOW, 2026, 11, 23, 10, 15), rule=IM, tz=MOSCOW)

    assert due == utc(2026, 11, 23, 10, 15)
    assert due.astimezone(MOSCOW) == local(MOSCOW, 2026, 11, 23, 13, 15)
    assert due.tzinfo is UTC


def test_im_three_hours_cross_local_midnight_in_yakutsk() -> None:
    # 22:30 Yakutsk is 13:30 UTC; the answer is due at 01:30 local on the next day.
    due = due_at(start=local(YAKUTSK, 2026, 11, 22, 22, 30), rule=IM, tz=YAKUTSK)

    assert due == utc(2026, 11, 22, 16, 30)
    assert due.astimezone(YAKUTSK) == local(YAKUTSK, 2026, 11, 23, 1, 30)


def test_hour_terms_ignore_days_off() -> None:
    # Received on 31 Dec 2026 (a transferred day off) at 23:00: still 3 clock hours.
    due = due_at(
        start=local(KRASNOYARSK, 2026, 12, 31, 23, 0),
        rule=DEFAULT_RULES["gospublic"],
        tz=KRASNOYARSK,
    )

    assert due.astimezone(KRASNOYARSK) == local(KRASNOYARSK, 2027, 1, 1, 2, 0)


# --- calendar-day terms (ГК РФ ст. 191, 194) ----------------------------------------------


def test_pos_25_days_end_at_local_midnight_after_the_last_day() -> None:
    # Regulation example: received 22 Nov 2026 10:15 Yekaterinburg → due by 24:00 on 17 Dec.
    due = due_at(start=local(YEKATERINBURG, 2026, 11, 22, 10, 15), rule=POS, tz=YEKATERINBURG)

    assert due == local(YEKATERINBURG, 2026, 12, 18, 0, 0)
    assert due == utc(2026, 12, 17, 19, 0)
    assert last_day(due=due, tz=YEKATERINBURG) == date(2026, 12, 17)


def test_pos_fast_track_10_days_in_krasnoyarsk() -> None:
    due = due_at(
        start=local(KRASNOYARSK, 2026, 11, 22, 10, 15), rule=POS_FAST_TRACK, tz=KRASNOYARSK
    )

    assert due == utc(2026, 12, 2, 17, 0)  # 3 Dec 00:00 local
    assert last_day(due=due, tz=KRASNOYARSK) == date(2026, 12, 2)


def test_appeal_30_days_from_registration_in_moscow() -> None:
    registered = local(MOSCOW, 2026, 11, 2, 11, 0)

    due = due_at(start=registered, rule=APPEAL, tz=MOSCOW)

    assert due == utc(2026, 12, 2, 21, 0)  # 3 Dec 00:00 Moscow
    assert last_day(due=due, tz=MOSCOW) == date(2026, 12, 2)


def test_appeal_registration_and_forwarding_terms() -> None:
    received = local(MOSCOW, 2026, 11, 20, 17, 45)  # a Friday

    registration_due = due_at(
        start=received, rule=DEFAULT_RULES["appeal_59fz_registration"], tz=MOSCOW
    )
    forwarding_due = due_at(start=received, rule=DEFAULT_RULES["appeal_59fz_forwarding"], tz=MOSCOW)

    # Calendar days, no ст. 193 move by default: the 3rd day is Monday 23 Nov anyway.
    assert last_day(due=registration_due, tz=MOSCOW) == date(2026, 11, 23)
    assert last_day(due=forwarding_due, tz=MOSCOW) == date(2026, 11, 27)


@pytest.mark.parametrize(
    ("start", "expected_last_day", "expected_due"),
    [
        # 20 Feb + 10 days crosses the end of February in a common year ...
        (local(KRASNOYARSK, 2027, 2, 20, 9, 0), date(2027, 3, 2), utc(2027, 3, 2, 17, 0)),
        # ... and in a leap year, where 29 Feb is one of the days.
        (local(KRASNOYARSK, 2028, 2, 20, 9, 0), date(2028, 3, 1), utc(2028, 3, 1, 17, 0)),
        # 31 Dec + 10 days crosses the year end.
        (local(KRASNOYARSK, 2026, 12, 25, 9, 0), date(2027, 1, 4), utc(2027, 1, 4, 17, 0)),
    ],
)
def test_calendar_days_cross_month_and_year_ends(
    start: datetime, expected_last_day: date, expected_due: datetime
) -> None:
    due = due_at(start=start, rule=POS_FAST_TRACK, tz=KRASNOYARSK)

    assert due == expected_due
    assert last_day(due=due, tz=KRASNOYARSK) == expected_last_day


def test_term_counts_from_the_local_date_not_the_utc_date() -> None:
    # 30 Nov 20:00 UTC is 1 Dec 05:00 in Yakutsk but still 30 Nov 23:00 in Moscow.
    received = utc(2026, 11, 30, 20, 0)

    yakutsk_due = due_at(start=received, rule=POS, tz=YAKUTSK)
    moscow_due = due_at(start=received, rule=POS, tz=MOSCOW)

    assert yakutsk_due == local(YAKUTSK, 2026, 12, 27, 0, 0) == utc(2026, 12, 26, 15, 0)
    assert last_day(due=yakutsk_due, tz=YAKUTSK) == date(2026, 12, 26)
    assert moscow_due == local(MOSCOW, 2026, 12, 26, 0, 0) == utc(2026, 12, 25, 21, 0)
    assert last_day(due=moscow_due, tz=MOSCOW) == date(2026, 12, 25)


def test_a_start_at_local_midnight_belongs_to_that_day() -> None:
    due = due_at(start=local(YAKUTSK, 2026, 12, 1, 0, 0), rule=POS_FAST_TRACK, tz=YAKUTSK)

    assert last_day(due=due, tz=YAKUTSK) == date(2026, 12, 11)


def test_the_start_instants_own_zone_does_not_matter() -> None:
    in_utc = utc(2026, 11, 22, 5, 15)

    assert due_at(start=in_utc, rule=POS, tz=YEKATERINBURG) == due_at(
        start=in_utc.astimezone(YAKUTSK), rule=POS, tz=YEKATERINBURG
    )


# --- ГК РФ ст. 193: last day off → next working day ---------------------------------------


def test_term_ending_in_new_year_holidays_without_the_move() -> None:
    # 5 Dec 2026 + 30 days = Mon 4 Jan 2027, inside the holidays of 1–8 Jan.
    due = due_at(start=local(MOSCOW, 2026, 12, 5, 12, 0), rule=APPEAL, tz=MOSCOW)

    assert last_day(due=due, tz=MOSCOW) == date(2027, 1, 4)
    assert due == utc(2027, 1, 4, 21, 0)


def test_term_ending_in_new_year_holidays_moves_past_them() -> None:
    # 1–8 Jan 2027 are holidays, 9–10 Jan a weekend: the first working day is Mon 11 Jan.
    due = due_at(start=local(MOSCOW, 2026, 12, 5, 12, 0), rule=moved(APPEAL), tz=MOSCOW)

    assert last_day(due=due, tz=MOSCOW) == date(2027, 1, 11)
    assert due == utc(2027, 1, 11, 21, 0)


def test_move_skips_a_transferred_day_off_after_the_new_year_holidays() -> None:
    # 2026: 9 Jan (Fri) is a day off transferred from Sat 3 Jan (Постановление Правительства
    # on transfers for 2026, in `holidays`); with the weekend the first working day is 12 Jan.
    due = due_at(
        start=local(KRASNOYARSK, 2025, 12, 25, 16, 0), rule=moved(POS_FAST_TRACK), tz=KRASNOYARSK
    )

    assert last_day(due=due, tz=KRASNOYARSK) == date(2026, 1, 12)
    assert due == utc(2026, 1, 12, 17, 0)


def test_move_from_an_ordinary_saturday_to_monday() -> None:
    due = due_at(start=local(YAKUTSK, 2024, 4, 10, 9, 0), rule=moved(POS_FAST_TRACK), tz=YAKUTSK)

    assert last_day(due=due, tz=YAKUTSK) == date(2024, 4, 22)


def test_no_move_from_a_transferred_working_saturday() -> None:
    # Sat 27 Apr 2024 was a working day (its day off moved to Mon 29 Apr).
    due = due_at(start=local(MOSCOW, 2024, 4, 17, 9, 0), rule=moved(POS_FAST_TRACK), tz=MOSCOW)

    assert last_day(due=due, tz=MOSCOW) == date(2024, 4, 27)
    assert due == utc(2024, 4, 27, 21, 0)


def test_move_across_a_chain_of_days_off() -> None:
    # Mon 29 Apr and Tue 30 Apr 2024 were transferred days off, 1 May a holiday: → Thu 2 May.
    due = due_at(start=local(MOSCOW, 2024, 4, 19, 9, 0), rule=moved(POS_FAST_TRACK), tz=MOSCOW)

    assert last_day(due=due, tz=MOSCOW) == date(2024, 5, 2)


# --- working-day terms ----------------------------------------------------------------------


def test_working_days_span_the_new_year_holidays() -> None:
    # Mon 29 Dec 2025: Tue 30 Dec is day 1; 31 Dec 2025 (transferred from Sun 5 Jan 2025) and
    # 1–9 Jan 2026 are days off, 10–11 Jan a weekend; 12, 13, 14, 15 Jan are days 2–5.
    rule = DeadlineRule(5, Unit.WORKING_DAYS)

    due = due_at(start=local(MOSCOW, 2025, 12, 29, 10, 0), rule=rule, tz=MOSCOW)

    assert last_day(due=due, tz=MOSCOW) == date(2026, 1, 15)
    assert due == utc(2026, 1, 15, 21, 0)


def test_working_days_count_a_transferred_working_saturday() -> None:
    # Sat 1 Nov 2025 was a working day; its day off went to Mon 3 Nov, and 4 Nov is Unity Day
    # (Постановление Правительства РФ о переносе выходных дней в 2025 году, in `holidays`).
    assert date(2025, 11, 1) in holidays.country_holidays("RU", years=2025).weekend_workdays
    start = local(YAKUTSK, 2025, 10, 31, 10, 0)  # a Friday

    one_day = due_at(start=start, rule=DeadlineRule(1, Unit.WORKING_DAYS), tz=YAKUTSK)
    two_days = due_at(start=start, rule=DeadlineRule(2, Unit.WORKING_DAYS), tz=YAKUTSK)

    assert last_day(due=one_day, tz=YAKUTSK) == date(2025, 11, 1)
    assert one_day == utc(2025, 11, 1, 15, 0)
    assert last_day(due=two_days, tz=YAKUTSK) == date(2025, 11, 5)
    assert two_days == utc(2025, 11, 5, 15, 0)


def test_working_days_from_a_weekend_start() -> None:
    due = due_at(
        start=local(YEKATERINBURG, 2026, 11, 21, 15, 0),  # a Saturday
        rule=DeadlineRule(1, Unit.WORKING_DAYS),
        tz=YEKATERINBURG,
    )

    assert last_day(due=due, tz=YEKATERINBURG) == date(2026, 11, 23)


# --- extension (59-ФЗ ст. 12 ч. 2) ----------------------------------------------------------


def test_extension_by_30_days_counts_from_the_old_last_day() -> None:
    due = due_at(start=local(MOSCOW, 2026, 11, 2, 11, 0), rule=APPEAL, tz=MOSCOW)

    extended = extend(due=due, days=30, tz=MOSCOW)

    # Old last day 2 Dec 2026 + 30 days = 1 Jan 2027.
    assert last_day(due=extended, tz=MOSCOW) == date(2027, 1, 1)
    assert extended == utc(2027, 1, 1, 21, 0)


def test_extension_with_the_move_lands_on_a_working_day() -> None:
    due = due_at(start=local(MOSCOW, 2026, 11, 2, 11, 0), rule=APPEAL, tz=MOSCOW)

    extended = extend(due=due, days=30, tz=MOSCOW, move_off_day_to_next_working=True)

    assert last_day(due=extended, tz=MOSCOW) == date(2027, 1, 11)


@pytest.mark.parametrize("days", [0, -1, 31])
def test_extension_is_limited_to_30_days(days: int) -> None:
    due = local(MOSCOW, 2026, 12, 3, 0, 0)

    with pytest.raises(ValueError, match=re.escape("ст. 12 ч. 2")):
        extend(due=due, days=days, tz=MOSCOW)


def test_extension_refuses_a_due_that_is_not_a_local_midnight() -> None:
    yakutsk_day_term = due_at(start=local(YAKUTSK, 2026, 11, 2, 11, 0), rule=APPEAL, tz=YAKUTSK)
    hour_term = due_at(start=local(MOSCOW, 2026, 11, 2, 11, 0), rule=IM, tz=MOSCOW)

    with pytest.raises(ValueError, match="day term"):
        extend(due=yakutsk_day_term, days=10, tz=MOSCOW)
    with pytest.raises(ValueError, match="day term"):
        extend(due=hour_term, days=10, tz=MOSCOW)


# --- warnings, display, validation ----------------------------------------------------------


def test_warn_at_is_warn_before_the_due() -> None:
    start = utc(2026, 11, 22, 5, 15)
    due = utc(2026, 12, 17, 19, 0)

    assert warn_at(due=due, start=start, warn_before=timedelta(days=3)) == utc(2026, 12, 14, 19, 0)


def test_warn_at_is_never_before_the_start() -> None:
    start = utc(2026, 11, 22, 13, 30)
    due = start + timedelta(hours=3)

    assert warn_at(due=due, start=start, warn_before=timedelta(hours=4)) == start


def test_warn_at_refuses_a_negative_lead() -> None:
    with pytest.raises(ValueError, match="negative"):
        warn_at(due=utc(2026, 1, 2), start=utc(2026, 1, 1), warn_before=timedelta(hours=-1))


def test_last_day_of_an_hour_term_is_the_day_of_its_last_minute() -> None:
    # Received 21:00 Moscow + 3 hours = 00:00: the answer is due by 24:00 of the same day.
    due = due_at(start=local(MOSCOW, 2026, 11, 22, 21, 0), rule=IM, tz=MOSCOW)

    assert last_day(due=due, tz=MOSCOW) == date(2026, 11, 22)


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        due_at(start=datetime(2026, 11, 22, 10, 15), rule=POS, tz=MOSCOW)


@pytest.mark.parametrize("amount", [0, -3])
def test_rule_amount_must_be_positive(amount: int) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        DeadlineRule(amount, Unit.HOURS)


@pytest.mark.parametrize("unit", [Unit.HOURS, Unit.WORKING_DAYS])
def test_move_flag_only_for_calendar_days(unit: Unit) -> None:
    with pytest.raises(ValueError, match=re.escape("ст. 193")):
        DeadlineRule(3, unit, move_off_day_to_next_working=True)


def test_rule_accepts_the_unit_string_stored_in_the_database() -> None:
    rule = DeadlineRule(25, "calendar_days")  # type: ignore[arg-type]  # as read from SlaPolicy

    assert rule.unit is Unit.CALENDAR_DAYS
    assert rule == POS


def test_default_rules() -> None:
    assert dict(DEFAULT_RULES) == {
        "im": DeadlineRule(3, Unit.HOURS),
        "gospublic": DeadlineRule(3, Unit.HOURS),
        "pos": DeadlineRule(25, Unit.CALENDAR_DAYS),
        "pos_fast_track": DeadlineRule(10, Unit.CALENDAR_DAYS),
        "appeal_59fz_answer": DeadlineRule(30, Unit.CALENDAR_DAYS),
        "appeal_59fz_registration": DeadlineRule(3, Unit.CALENDAR_DAYS),
        "appeal_59fz_forwarding": DeadlineRule(7, Unit.CALENDAR_DAYS),
        "appeal_59fz_max_extension": DeadlineRule(30, Unit.CALENDAR_DAYS),
    }
    with pytest.raises(TypeError):
        DEFAULT_RULES["im"] = DeadlineRule(1, Unit.HOURS)  # type: ignore[index]  # read-only


# --- production calendar --------------------------------------------------------------------


def test_package_data_has_the_transferred_working_saturdays() -> None:
    # If this fails after upgrading `holidays`, the data source changed shape: re-check the module.
    calendar_2024 = holidays.country_holidays("RU", years=2024)

    assert calendar_2024.weekend_workdays == {
        date(2024, 4, 27),
        date(2024, 11, 2),
        date(2024, 12, 28),
    }


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 23), True),  # an ordinary Monday
        (date(2026, 11, 21), False),  # an ordinary Saturday
        (date(2026, 11, 4), False),  # Unity Day
        (date(2026, 1, 9), False),  # transferred from Sat 3 Jan 2026
        (date(2026, 12, 31), False),  # transferred from Sun 4 Jan 2026
        (date(2025, 12, 31), False),  # transferred from Sun 5 Jan 2025
        (date(2026, 3, 9), False),  # Women's Day fell on a Sunday (ТК РФ ст. 112 ч. 2)
        (date(2026, 5, 11), False),  # Victory Day fell on a Saturday
        (date(2024, 4, 27), True),  # working Saturday
        (date(2024, 4, 29), False),  # its day off
        (date(2024, 12, 28), True),  # working Saturday
        (date(2025, 11, 1), True),  # working Saturday
        (date(2027, 2, 20), True),  # working Saturday, from the 2027 decree
        (date(2027, 2, 22), False),  # its day off
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working
    assert is_working_day(day, ProductionCalendar()) is working


def test_next_working_day_is_strictly_after() -> None:
    calendar = ProductionCalendar()

    assert calendar.next_working_day(date(2026, 11, 23)) == date(2026, 11, 24)
    assert calendar.next_working_day(date(2026, 12, 30)) == date(2027, 1, 11)


def test_transfer_data_coverage() -> None:
    assert ProductionCalendar.has_transfer_data(2025)
    assert ProductionCalendar.has_transfer_data(2027)
    assert not ProductionCalendar.has_transfer_data(2090)


# --- properties -----------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2035, 12, 31),
    timezones=st.sampled_from([UTC, *ZONES]),
)
zones = st.sampled_from(ZONES)
day_units = st.sampled_from([Unit.CALENDAR_DAYS, Unit.WORKING_DAYS])
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)


def _local_midnight(moment: datetime, tz: ZoneInfo) -> bool:
    return moment.astimezone(tz).time() == time(0)


@PROPERTY_SETTINGS
@given(start=starts, tz=zones, amount=st.integers(1, 72))
def test_hour_terms_last_exactly_amount_hours(start: datetime, tz: ZoneInfo, amount: int) -> None:
    due = due_at(start=start, rule=DeadlineRule(amount, Unit.HOURS), tz=tz)

    assert due - start == timedelta(hours=amount)
    assert due.tzinfo is UTC


@PROPERTY_SETTINGS
@given(
    start=starts,
    tz=zones,
    amount=st.integers(1, 60),
    unit=st.sampled_from(list(Unit)),
    move=st.booleans(),
)
def test_due_is_after_the_start(
    start: datetime, tz: ZoneInfo, amount: int, unit: Unit, move: bool
) -> None:
    rule = DeadlineRule(
        amount, unit, move_off_day_to_next_working=move and unit is Unit.CALENDAR_DAYS
    )

    due = due_at(start=start, rule=rule, tz=tz)

    assert due > start
    assert start <= warn_at(due=due, start=start, warn_before=timedelta(days=3)) <= due


@PROPERTY_SETTINGS
@given(start=starts, tz=zones, amount=st.integers(1, 60), unit=day_units)
def test_day_terms_end_at_a_local_midnight(
    start: datetime, tz: ZoneInfo, amount: int, unit: Unit
) -> None:
    due = due_at(start=start, rule=DeadlineRule(amount, unit), tz=tz)

    assert _local_midnight(due, tz)
    assert last_day(due=due, tz=tz) > start.astimezone(tz).date()


@PROPERTY_SETTINGS
@given(start=starts, tz=zones, amount=st.integers(1, 60))
def test_unmoved_calendar_terms_are_exactly_amount_days(
    start: datetime, tz: ZoneInfo, amount: int
) -> None:
    due = due_at(start=start, rule=DeadlineRule(amount, Unit.CALENDAR_DAYS), tz=tz)

    assert last_day(due=due, tz=tz) - start.astimezone(tz).date() == timedelta(days=amount)


@PROPERTY_SETTINGS
@given(start=starts, tz=zones, amount=st.integers(1, 60))
def test_moved_calendar_terms_end_on_a_working_day(
    start: datetime, tz: ZoneInfo, amount: int
) -> None:
    plain = due_at(start=start, rule=DeadlineRule(amount, Unit.CALENDAR_DAYS), tz=tz)
    moved_due = due_at(start=start, rule=moved(DeadlineRule(amount, Unit.CALENDAR_DAYS)), tz=tz)

    assert _local_midnight(moved_due, tz)
    assert is_working_day(last_day(due=moved_due, tz=tz))
    assert moved_due >= plain
    # Only days off lie between the plain and the moved last day.
    day = last_day(due=plain, tz=tz)
    while day < last_day(due=moved_due, tz=tz):
        assert not is_working_day(day)
        day += timedelta(days=1)


@PROPERTY_SETTINGS
@given(start=starts, tz=zones, amount=st.integers(1, 40))
def test_working_day_terms_count_exactly_amount_working_days(
    start: datetime, tz: ZoneInfo, amount: int
) -> None:
    due = due_at(start=start, rule=DeadlineRule(amount, Unit.WORKING_DAYS), tz=tz)

    end = last_day(due=due, tz=tz)
    assert is_working_day(end)
    first = start.astimezone(tz).date() + timedelta(days=1)
    counted = sum(
        is_working_day(first + timedelta(days=offset)) for offset in range((end - first).days + 1)
    )
    assert counted == amount


@PROPERTY_SETTINGS
@given(start=starts, tz=zones, amount=st.integers(1, 60), days=st.integers(1, 30))
def test_extension_adds_exactly_days_to_the_last_day(
    start: datetime, tz: ZoneInfo, amount: int, days: int
) -> None:
    due = due_at(start=start, rule=DeadlineRule(amount, Unit.CALENDAR_DAYS), tz=tz)

    extended = extend(due=due, days=days, tz=tz)

    assert extended - due == timedelta(days=days)  # no DST in Russia since 2014
