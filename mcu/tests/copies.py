"""Many rows at once for the planner tests: copies of one stored row, made by one statement
(through the services, tens of thousands of rows would take minutes)."""

from __future__ import annotations

from django.db import connection
from django.db.models import Model


def copy_row(model: type[Model], pk: int, count: int, **changed: str) -> None:
    """``count`` copies of ``model``'s row ``pk``, every column as stored except ``changed``:
    SQL expressions over ``n``, the copy's number from 1, e.g. ``external_id="'x-' || n"``."""
    meta = model._meta
    assert meta.pk is not None
    quote = connection.ops.quote_name
    columns = [f.column for f in meta.concrete_fields if f.column != meta.pk.column]
    unknown = changed.keys() - set(columns)
    assert not unknown, unknown
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(map(quote, columns))})"  # noqa: S608 — our own names
            f" SELECT {', '.join(changed.get(c, quote(c)) for c in columns)}"
            f" FROM {quote(meta.db_table)}, generate_series(1, %s) AS n"
            f" WHERE {quote(meta.pk.column)} = %s",
            [count, pk],
        )
