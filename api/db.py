"""Plain SQL for the API's hottest statements, and what the ORM would have done to their rows.

The ORM's compiling costs more than some statements themselves (a token lookup: 0.33 ms of CPU
against 0.07 ms as plain SQL; bench/api.py), and on PostgreSQL these statements are prepared
once per connection (``fetch_rows``). Rows of plain SQL skip the ORM's converters; the
one that matters here is SQLite's: its datetimes come back naive (UTC, as Django stores them)
and are made aware, as the ORM does.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from django.db import DatabaseError, connection
from django.db.models import Model

from mcu.sql import column


@dataclass(frozen=True)
class Computed:
    """A column of a plain-SQL select that is an expression over the model's own columns:
    ``sql`` names them as ``{field}`` (``column`` quotes each); ``name`` is the row's key."""

    name: str
    sql: str

    def render(self, model: type[Model], alias: str) -> str:
        return self.sql.format_map(_Columns(model, alias))


class _Columns(dict[str, str]):
    def __init__(self, model: type[Model], alias: str) -> None:
        super().__init__()
        self.model, self.alias = model, alias

    def __missing__(self, name: str) -> str:
        return f"{self.alias}.{column(self.model, name)}"


def fetch_rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` (``%s`` placeholders) as tuples.

    On PostgreSQL the statement is prepared on the connection and runs on a generic plan
    (``_fetch_prepared``): the API's few statement shapes run thousands of times an hour, and
    parsing and planning each one again was most of PostgreSQL's work for a list page."""
    if connection.vendor == "postgresql":
        return _fetch_prepared(sql, params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [tuple(_aware(value) for value in row) for row in rows]


def _fetch_prepared(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Server-side binding and a prepared statement, on a generic plan.

    Django's cursors bind parameters in Python and send each statement as new text, which
    PostgreSQL parses and plans every time: 1–3 ms of planning for a list page that then runs
    in 1–2 ms (bench/api.py). Prepared, a statement is parsed once per connection. In its
    default mode PostgreSQL may still plan it afresh for every execution while a custom plan
    looks cheaper, so the connection's ``plan_cache_mode`` is ``force_generic_plan``
    (mcu/settings.py): the API's statements walk an index in its own order under a LIMIT, and
    their generic plans are the custom ones (compared on bench/api.py's million incidents).
    Only these statements are prepared on a connection (Django's own cursors bind on the
    client), so no other query is planned that way. Where preparing is off
    (``DB_PREPARED_STATEMENTS=false``, for PgBouncer), the same statement runs unprepared.

    The statement bypasses Django's cursor wrapper (Django cannot ask psycopg to prepare), so
    it is not in ``connection.queries``; database errors are still Django's.

    It also stands in for Django's health check (``CONN_HEALTH_CHECKS``), which only Django's
    own cursors run: the first statement of a request on a kept connection is tried as it is,
    and if it fails because the connection died since the last request (the database
    restarted, a failover, an idle timeout), the connection is opened again and the statement
    retried once — what the check's ``SELECT 1`` would have found, without its round trip on
    every request. A statement that ran is a passed check for the rest of the request."""
    connection.ensure_connection()
    checks: Any = connection  # django-stubs do not declare the health-check attributes
    first_use = (
        checks.health_check_enabled and not checks.health_check_done and not checks.in_atomic_block
    )
    try:
        rows = _execute_prepared(sql, params)
    except DatabaseError:
        if not first_use or connection.is_usable():
            raise  # the statement itself failed, not the connection
        connection.close()
        connection.ensure_connection()
        rows = _execute_prepared(sql, params)
    checks.health_check_done = True
    return rows


def _execute_prepared(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        if connection.timezone_name == "UTC":
            # psycopg's own C loader of timestamptz, for this cursor only: a Python loader is
            # called once per value, and a 1 000-row sync page has 7 000 of them (~2 ms;
            # bench/api.py). Django's loader (and ``mcu.pg_loaders``) must stay on the
            # connection, where Django reads the zone it loads in. In a UTC session the C
            # loader returns the same instants, in ``datetime.UTC``.
            cursor.adapters.register_loader("timestamptz", _psycopg_timestamptz_loader())
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall()


@functools.cache
def _psycopg_timestamptz_loader() -> type[Any]:
    """psycopg's default text loader of ``timestamptz`` (its C one where psycopg's C
    extension is installed, as in every setup here)."""
    import psycopg
    from psycopg.pq import Format

    loader = psycopg.adapters.get_loader(psycopg.postgres.types["timestamptz"].oid, Format.TEXT)
    assert loader is not None  # psycopg registers one for every built-in type
    return loader


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
