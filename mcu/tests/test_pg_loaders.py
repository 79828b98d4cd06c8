"""The project's timestamptz loader (mcu/pg_loaders.py) reads every value as Django's did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from psycopg.types.datetime import TimestamptzLoader

from mcu.pg_loaders import IsoTimestamptzLoader

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a psycopg loader; CI runs on PostgreSQL"
    ),
]

VALUES = [
    "2026-11-22 10:15:00+00",
    "2026-11-22 10:15:00.000001+00",
    "2026-03-01 00:00:00.5+00",
    "1999-12-31 23:59:59.999999+00",
    "0044-03-15 12:00:00+00",
]


def fetch(sql: str, *params: Any) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchone())


def test_every_connection_uses_it() -> None:
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(1184, 0)  # timestamptz, text
    assert loader is IsoTimestamptzLoader


@pytest.mark.parametrize("text", VALUES)
def test_the_same_instant_in_utc_as_psycopgs_parser(text: str) -> None:
    loaded = fetch("SELECT %s::timestamptz", text)[0]
    assert isinstance(loaded, datetime)
    assert loaded.tzinfo is UTC
    with connection.cursor() as cursor:
        # psycopg's own parser, on this cursor only (its C twin: it reads in the session zone)
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute("SELECT %s::timestamptz", [text])
        expected = cursor.fetchone()[0]
    assert loaded == expected
    assert loaded.utcoffset() == timedelta(0)


def test_a_round_trip_keeps_microseconds() -> None:
    moment = datetime(2026, 11, 22, 1, 2, 3, 456789, tzinfo=UTC)
    assert fetch("SELECT %s::timestamptz", moment) == [moment]


def test_another_session_zone_gives_the_same_instant_in_utc() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'Asia/Yakutsk'")
        cursor.execute("SELECT '2026-11-22 10:15:00+00'::timestamptz")
        loaded = cursor.fetchone()[0]
    assert loaded == datetime(2026, 11, 22, 10, 15, tzinfo=UTC)
    assert loaded.tzinfo is UTC


def test_a_value_python_cannot_hold_fails_as_before() -> None:
    from django.db import DataError

    with pytest.raises(DataError):
        fetch("SELECT 'infinity'::timestamptz")
