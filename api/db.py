"""Plain SQL for the API's hottest statements, and what the ORM would have done to their rows.

The ORM's compiling costs more than some statements themselves (a token lookup: 0.33 ms of CPU
against 0.07 ms as plain SQL; bench/api.py). Rows of plain SQL skip the ORM's converters; the
one that matters here is SQLite's: its datetimes come back naive (UTC, as Django stores them)
and are made aware, as the ORM does.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import Field, Model


def column(model: type[Model], name: str) -> str:
    """The quoted column of ``model``'s field ``name`` (or attname: ``sector_id``), for SQL
    built from the model's own names."""
    field = model._meta.get_field(name)
    assert isinstance(field, Field), name  # a concrete column, not a reverse relation
    return connection.ops.quote_name(field.column)


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
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.timezone_name == "UTC":
            # psycopg's own C loader of timestamptz, for this cursor only: a Python loader is
            # called once per value, and a 1 000-row sync page has 7 000 of them (~2 ms;
            # bench/api.py). Django's loader (and ``mcu.pg_loaders``) must stay on the
            # connection, where Django reads the zone it loads in. In a UTC session the C
            # loader returns the same instants, in ``datetime.UTC``.
            cursor.cursor.adapters.register_loader("timestamptz", _psycopg_timestamptz_loader())
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        return [tuple(_aware(value) for value in row) for row in rows]
    return rows


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
