"""Plain SQL for the API's hottest statements, and what the ORM would have done to their rows.

The ORM's compiling costs more than some statements themselves (a token lookup: 0.33 ms of CPU
against 0.07 ms as plain SQL; bench/api.py). Rows of plain SQL skip the ORM's converters; the
one that matters here is SQLite's: its datetimes come back naive (UTC, as Django stores them)
and are made aware, as the ORM does.
"""

from __future__ import annotations

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


def fetch_rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        return [tuple(_aware(value) for value in row) for row in rows]
    return rows


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
