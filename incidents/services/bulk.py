"""Inserting many new rows at once: COPY on PostgreSQL, ``bulk_create`` elsewhere.

FACTS.md: on this machine ``bulk_create`` writes ~4–6 k incident rows/s, COPY ~41 k. The batch
intake writes an incident, one to three events and its notifications per message, so COPY is
what lets a worker keep up with the webhook. COPY returns no ids: they are drawn from the
table's own sequence first (one query), so the caller knows every primary key before the rows
exist — foreign keys between rows of one batch (event → incident) need nothing more. The
rows travel in COPY's binary format where every column's type allows it (``_copy_plan``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from django.db import connections, models
from django.utils import timezone
from psycopg.types.json import Jsonb

from mcu.models import TenantModel
from mcu.tenancy import WrongMunicipality, require_scope

M = TypeVar("M", bound=models.Model)

# Below this many rows one INSERT … RETURNING is one round trip where COPY takes two (the ids
# first): a webhook's single message is the common case of the latency target.
COPY_FROM = 20

# Fields whose Python value psycopg adapts exactly as Django's get_db_prep_save would: reading
# the attribute directly saves ~40 % of the COPY's Python time on a 50-column incident row.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.AutoField,
    models.BigAutoField,
    models.ForeignKey,
    # Aware datetimes pass through Django's preparation unchanged on PostgreSQL.
    models.DateTimeField,
    models.DateField,
)


def insert_many(model: type[M], objs: Sequence[M], *, using: str = "default") -> None:
    """Insert new, unsaved instances; sets their primary keys (and ``auto_now`` times).

    A unique violation raises ``IntegrityError`` as any insert would: wrap the call in a
    savepoint when a conflict is possible. Tenant rows are checked against the active scope,
    exactly as ``TenantModel.save`` and the scoped ``bulk_create`` do.
    """
    if not objs:
        return
    if issubclass(model, TenantModel):
        scope = require_scope(model.__name__)
        for obj in objs:
            if not scope.allows(obj.municipality_id):  # type: ignore[attr-defined]
                raise WrongMunicipality(
                    f"{model.__name__} of municipality {obj.municipality_id} "  # type: ignore[attr-defined]
                    "is outside the current scope"
                )
    connection = connections[using]
    if connection.vendor != "postgresql" or len(objs) < COPY_FROM:
        model._default_manager.db_manager(using).bulk_create(objs, batch_size=500)
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    now = timezone.now()
    for field in fields:
        # One instant for the whole batch, as one transaction: what pre_save would set per row.
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                setattr(obj, field.attname, now)
    pk = meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        for obj, new_id in zip(objs, _draw_ids(cursor, meta, len(objs)), strict=True):
            setattr(obj, pk.attname, new_id)
        with _copy_in(
            cursor,
            meta.db_table,
            [field.column for field in fields],
            [_getter(field, connection) for field in fields],
        ) as (copy, getters):
            for obj in objs:
                copy.write_row([get(obj) for get in getters])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using


def unsaved(model: type[M], **values: Any) -> M:
    """``model(**values)`` for a batch: the same unsaved instance, built through Django's
    positional constructor (the path rows read from the database take). The keyword path walks
    every field of the model for each instance: 26 µs for a 48-column incident against 7, which
    in a 100 000-message import was 2 s of the worker's time (bench/import.py). A related
    object passed by name is cached on the instance as the keyword path caches it. The fields'
    defaults are worked out once per model (``_Plan``): only a default made per instance is
    made per instance."""
    plan = _plan(model)
    unknown = values.keys() - plan.names
    if unknown:
        raise TypeError(f"{model.__name__}() got unexpected keyword arguments: {sorted(unknown)}")
    args = list(plan.defaults)
    related = []
    for name, value in values.items():
        relation = plan.relations.get(name)
        if relation is None:
            args[plan.position[name]] = value
        else:
            related.append((relation, value))
            if relation.attname not in values:  # an explicit ``x_id`` wins
                args[plan.position[relation.attname]] = None if value is None else value.pk
    for index, field in plan.made:
        if args[index] is _MADE:
            args[index] = field.get_default()
    obj = model(*args)
    for relation, rel_obj in related:
        relation.set_cached_value(obj, rel_obj)
    return obj


_MADE = object()  # stands for a default made per instance


@dataclass(frozen=True)
class _Plan:
    fields: list[models.Field[Any, Any]]
    relations: dict[str, models.ForeignKey[Any, Any]]  # by name; each points at a primary key
    names: frozenset[str]
    position: dict[str, int]  # attname → its place among the constructor's arguments
    # Each field's default where every instance gets the same value (``get_default`` hands out
    # that one object each time too), else ``_MADE``: a callable default or a database default.
    defaults: tuple[Any, ...]
    made: tuple[tuple[int, models.Field[Any, Any]], ...]  # where ``defaults`` says ``_MADE``


@functools.cache
def _plan(model: type[models.Model]) -> _Plan:
    fields = list(model._meta.concrete_fields)
    relations = {
        f.name: f for f in fields if isinstance(f, models.ForeignKey) and f.target_field.primary_key
    }
    names = frozenset({f.attname for f in fields} | set(relations))
    made = tuple(
        (index, f)
        for index, f in enumerate(fields)
        if (f.has_default() and callable(f.default)) or f.db_default is not models.NOT_PROVIDED
    )
    per_instance = {index for index, _ in made}
    defaults = tuple(
        _MADE if index in per_instance else f.get_default() for index, f in enumerate(fields)
    )
    position = {f.attname: index for index, f in enumerate(fields)}
    return _Plan(fields, relations, names, position, defaults, made)


def insert_rows(
    model: type[M], rows: Sequence[dict[str, Any]], *, using: str = "default"
) -> list[int]:
    """Insert plain rows (attribute name → value; a missing field takes its default; every
    row names the same fields, as the first row does) and return their ids in order. For the
    rows a batch writes by the thousand (inbox rows, events, notifications, clocks): building
    a model instance per row costs more than its COPY.

    Rows that name their primary key keep it and no ids are drawn: a 1:1 row keyed by its
    parent (``IncidentClock.incident``) has no sequence of its own."""
    if not rows:
        return []
    meta = model._meta
    if issubclass(model, TenantModel):
        scope = require_scope(model.__name__)
        for row in rows:
            if not scope.allows(row["municipality_id"]):
                raise WrongMunicipality(
                    f"{model.__name__} of municipality {row['municipality_id']} "
                    "is outside the current scope"
                )
    connection = connections[using]
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM:
        created = model._default_manager.db_manager(using).bulk_create(
            [model(**row) for row in rows], batch_size=500
        )
        return [obj.pk for obj in created]
    pk = meta.pk
    assert pk is not None
    keyed = pk.attname in rows[0]
    now = timezone.now()
    fields = [field for field in meta.concrete_fields if field is not pk]
    constants: dict[str, Any] = {}
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            constants[field.attname] = now
        elif field.attname not in rows[0]:
            constants[field.attname] = field.get_default()
    with connection.cursor() as cursor:
        ids = [row[pk.attname] for row in rows] if keyed else _draw_ids(cursor, meta, len(rows))
        with _copy_in(
            cursor,
            meta.db_table,
            [field.column for field in [pk, *fields]],
            [_preparer(field, connection) for field in [pk, *fields]],
        ) as (copy, prepared):
            prepare = prepared[1:]  # the id goes as it is: an integer
            for new_id, row in zip(ids, rows, strict=True):
                copy.write_row(
                    [
                        new_id,
                        *(
                            prep(
                                row[field.attname]
                                if field.attname in row
                                else constants[field.attname]
                            )
                            for field, prep in zip(fields, prepare, strict=True)
                        ),
                    ]
                )
    return ids


@contextmanager
def _copy_in(
    cursor: Any, table: str, columns: list[str], prepare: list[Callable[[Any], Any]]
) -> Iterator[tuple[Any, list[Callable[[Any], Any]]]]:
    """A COPY into ``columns`` of ``table``, open for ``write_row``, and each column's
    preparation (``prepare``, one per column) as the COPY's format wants it: binary where
    ``_copy_plan`` allows, text otherwise."""
    plan = _copy_plan(cursor, table, columns)
    if plan.binary:
        prepare = [_as_binary(prep, kind) for prep, kind in zip(prepare, plan.kinds, strict=True)]
    quote = cursor.db.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    # Django's wrapper turns psycopg's UniqueViolation into IntegrityError, as for execute();
    # ``cursor.cursor`` is the psycopg 3 cursor under it.
    with (
        cursor.db.wrap_database_errors,
        cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN{plan.options}") as copy,
    ):
        if plan.binary:
            copy.set_types(plan.oids)
        yield copy, prepare


def _draw_ids(cursor: Any, meta: Any, count: int) -> list[int]:
    """``count`` new primary keys from the table's own sequence, in one query."""
    sequence = _sequence(cursor, meta.db_table, meta.pk.column)
    # The name arrives as a literal regclass, a constant resolved once at parse time: with
    # ``nextval(pg_get_serial_sequence(...))`` the lookup ran for every row (stable functions
    # are not folded), 2.3 ms of the server's time for 1 000 ids against 0.4 (bench/sweep.py).
    cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
    return [new_id for (new_id,) in cursor.fetchall()]


_SEQUENCES: dict[tuple[str, str, str], str] = {}


def _sequence(cursor: Any, table: str, column: str) -> str:
    """The sequence behind ``table.column``, asked once per process and database."""
    key = (cursor.db.settings_dict["NAME"], table, column)
    name = _SEQUENCES.get(key)
    if name is None:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        (name,) = cursor.fetchone()
        _SEQUENCES[key] = name
    return name


def _preparer(field: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any]:
    if isinstance(field, _PLAIN):
        return lambda value: value
    if isinstance(field, models.JSONField) and field.encoder is None:
        return functools.partial(_json_text, field=field, connection=connection)
    return lambda value: field.get_db_prep_save(value, connection)


def _json_text(value: Any, *, field: models.JSONField, connection: Any) -> Any:
    """A JSON column's value as COPY reads it: the JSON text, written by orjson (an inbox row
    carries three such columns; the standard module was a fifth of its insert). What orjson
    refuses goes the way Django prepares it, which raises or writes it as before."""
    if value is None:
        return None  # SQL NULL, as Django stores a Python None
    try:
        return orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, TypeError):
        return field.get_db_prep_save(value, connection)


def _getter(field: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any]:
    attname = field.attname
    if isinstance(field, _PLAIN):
        return lambda obj: getattr(obj, attname)
    return lambda obj: field.get_db_prep_save(getattr(obj, attname), connection)


# COPY in PostgreSQL's binary format: the server reads each value as it stores it instead of
# parsing its text (a timestamp's text is the costliest to read), and psycopg writes lengths
# instead of escaping. ``bench/copy_format.py`` on 30 000 incidents of an import: psycopg's
# formatting 19.1 → 7.0 µs a row, the server's CPU 1.2–1.5 → 1.0–1.05 s (every index kept).
# Binary carries no casts, so a column's value must already be of its type: a table is
# copied so only when every column is of a type below, whose Python values Django and this
# module hand over as psycopg's binary dumpers take them; any other table stays on text.
_BINARY_TYPES = {
    "bool",
    "int2",
    "int4",
    "int8",
    "text",
    "varchar",
    "numeric",
    "timestamptz",
    "date",
    "uuid",
    "interval",
    "jsonb",
}
_JSONB = "jsonb"
_BYTEA_OID = 17


@dataclass(frozen=True)
class _CopyPlan:
    binary: bool
    oids: tuple[int, ...] = ()  # what psycopg dumps each column as (jsonb as its wire bytes)
    kinds: tuple[str, ...] = ()  # each column's type name

    @property
    def options(self) -> str:
        return " (FORMAT BINARY)" if self.binary else ""


_COPY_PLANS: dict[tuple[str, str, tuple[str, ...]], _CopyPlan] = {}


def _copy_plan(cursor: Any, table: str, columns: list[str]) -> _CopyPlan:
    """How to COPY these columns of ``table``: asked once per process, database and columns
    (a migration that changes a column's type restarts the workers anyway)."""
    key = (cursor.db.settings_dict["NAME"], table, tuple(columns))
    plan = _COPY_PLANS.get(key)
    if plan is None:
        cursor.execute(
            """
            SELECT a.attname, t.typname, t.oid
              FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
             WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
            """,
            [table],
        )
        types = {name: (kind, oid) for name, kind, oid in cursor.fetchall()}
        typed = [types[column] for column in columns]
        kinds = tuple(kind for kind, _oid in typed)
        if all(kind in _BINARY_TYPES for kind in kinds):
            oids = tuple(_BYTEA_OID if kind == _JSONB else oid for kind, oid in typed)
            plan = _CopyPlan(binary=True, oids=oids, kinds=kinds)
        else:
            plan = _CopyPlan(binary=False)
        _COPY_PLANS[key] = plan
    return plan


def _as_binary(prepare: Callable[[Any], Any], kind: str) -> Callable[[Any], Any]:
    """A column's preparation for binary COPY: as for text, and a jsonb value as jsonb's wire
    form — a version byte (1), then the JSON text — passed through as bytes."""
    if kind != _JSONB:
        return prepare
    return lambda value: _jsonb_bytes(prepare(value))


def _jsonb_bytes(prepared: Any) -> bytes | None:
    if prepared is None:
        return None
    if isinstance(prepared, str):  # ``_json_text``: orjson's text
        return b"\x01" + prepared.encode()
    if isinstance(prepared, Jsonb):  # Django's own preparation (a field with an encoder)
        dumps = prepared.dumps or json.dumps
        text = dumps(prepared.obj)
        return b"\x01" + (text.encode() if isinstance(text, str) else bytes(text))
    raise TypeError(f"not a JSON value for COPY: {type(prepared).__name__}")
