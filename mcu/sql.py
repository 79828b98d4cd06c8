"""Names for plain SQL built from the models' own tables and columns.

The API's statements (``api/``) and the inbox's duplicate probe (``integrations/``) are written
as SQL where the ORM's compiling or its plans cost too much; the names in their text come from
the models, quoted for the connection, never from input.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Field, Model


def table(model: type[Model]) -> str:
    """The quoted table of ``model``, for SQL built from the model's own names."""
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], name: str) -> str:
    """The quoted column of ``model``'s field ``name`` (or attname: ``sector_id``), for SQL
    built from the model's own names."""
    field = model._meta.get_field(name)
    assert isinstance(field, Field), name  # a concrete column, not a reverse relation
    return connection.ops.quote_name(field.column)
