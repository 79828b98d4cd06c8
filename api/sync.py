"""Incremental sync: keyset pages on ``(updated_at, id)`` that never miss or repeat a row.

The contract (README «REST API для ЦУР»): the client upserts rows by ``id``. Pages are ordered
by ``(updated_at, id)`` and a cursor is a position in that order, so a page follows its
predecessor exactly whatever changes in between. A row updated while a client pages through
moves to its new ``updated_at``: if the client has already passed it, it is served again there
(the new version, once); if not, it is served only there. Nothing is missed:

- **The safety lag.** ``updated_at`` is stamped when a transaction writes the row, but the row
  becomes visible only when that transaction commits — possibly after a client has already
  paged past the stamp. So a page never holds rows stamped later than the *horizon*: now minus
  ``API_SYNC_LAG_SECONDS`` (default 5 s, which must exceed the clock skew between the app
  servers and the database) and, on PostgreSQL, also minus the lag before the start of the
  oldest transaction still open that has written anything (``pg_stat_activity.backend_xid``):
  a long import holds the horizon back until it commits instead of slipping rows in behind a
  client's cursor. Every row stamped before the horizon is committed, so a cursor that passes a
  position never has to come back.
- **Several municipalities.** The table's index is ``(municipality, updated_at, id)``; one
  ``ORDER BY`` over an ``IN`` list of municipalities would sort every matching row (PostgreSQL
  15 cannot merge index ranges). Each municipality is read on its own index range instead —
  keys only — and the first keys of the merged ranges select the page's rows, in one
  statement.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.utils.translation import gettext as _

from api.db import Computed, fetch_rows
from api.errors import bad_param
from api.filters import IncidentFilters, incident_column
from incidents.models import Incident
from mcu.sql import column, table
from mcu.tenancy import WrongMunicipality, require_scope

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Key = tuple[datetime, int]


@dataclass(frozen=True)
class Cursor:
    """A position in ``(updated_at, id)`` order, and the direction to read from it."""

    updated_at: datetime
    id: int
    backwards: bool = False

    def encode(self) -> str:
        micros = (self.updated_at - _EPOCH) // timedelta(microseconds=1)
        raw = f"{'p' if self.backwards else 'n'}.{micros}.{self.id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor:
        invalid = bad_param("cursor", _("Неверный курсор: используйте ссылку next или previous."))
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("ascii")
            direction, micros, row_id = raw.split(".")
            moment = _EPOCH + timedelta(microseconds=int(micros))
            pk = int(row_id)
        except (binascii.Error, UnicodeError, ValueError, OverflowError):
            raise invalid from None
        if direction not in ("n", "p") or not 0 <= pk < 2**63 or not 2000 <= moment.year <= 2100:
            raise invalid
        return cls(moment, pk, backwards=direction == "p")

    @classmethod
    def at(cls, key: Key, *, backwards: bool = False) -> Cursor:
        return cls(key[0], key[1], backwards=backwards)

    @property
    def key(self) -> Key:
        return (self.updated_at, self.id)


# pg_stat_activity's own function, not the view: the view's joins (database, role names)
# doubled the planning of a page's statement (0.29 → 0.60 ms for one municipality; bench/api.py)
# and are not needed to compare a database's oid. Client backends only: an autovacuum worker's
# ANALYZE holds a transaction id too (it writes statistics), but never an incident, and counting
# it held every row written during the ANALYZE back from the sync. (The likely cause of a test
# that once saw none of the incidents it had just written: a test module runs in one
# transaction, which reads one snapshot of the activity, so an autoanalyze in flight at its
# first page would hide everything the module writes afterwards.)
_OLDEST_WRITER = (
    "(SELECT min(s.xact_start) FROM pg_stat_get_activity(NULL) s "
    "WHERE s.backend_xid IS NOT NULL AND s.pid <> pg_backend_pid() "
    "AND s.backend_type = 'client backend' "
    "AND s.datid = (SELECT oid FROM pg_database WHERE datname = current_database()))"
)


def sync_horizon(now: datetime) -> tuple[str, list[Any]]:
    """The SQL condition on ``i.updated_at`` that holds back rows not safe to serve yet (see
    the module docstring): stamped before now minus the lag and, on PostgreSQL, before the
    oldest open writer's start minus the lag.

    The writer is read by the page's own query (an InitPlan, run once per query), in the same
    snapshot as the rows and without a round trip of its own. The constant bound stays beside
    it: the planner estimates a range between constants from the column's statistics, while a
    bound it cannot see before running the query gets a default selectivity."""
    lag = timedelta(seconds=settings.API_SYNC_LAG_SECONDS)
    column = incident_column("updated_at")
    bound = connection.ops.adapt_datetimefield_value(now - lag)
    if connection.vendor != "postgresql":
        return f"{column} < %s", [bound]
    # NULL when no writer is open: the comparison must then hold (COALESCE to the lag).
    return (
        f"{column} < %s AND {column} < COALESCE({_OLDEST_WRITER} - %s::interval, %s)",
        [bound, lag, bound],
    )


@dataclass(frozen=True)
class KeysetPage:
    rows: list[tuple[Any, ...]]  # the fields asked for, in ascending (updated_at, id) order
    keys: list[Key]  # every position the page covers
    has_more: bool  # in the direction read


def keyset_page(
    *,
    filters: IncidentFilters,
    cursor: Cursor | None,
    size: int,
    now: datetime,
    fields: Sequence[str | Computed],
) -> KeysetPage:
    """One page of ``fields`` (names as in ``.values()``, or expressions; ``id`` and
    ``updated_at`` among them), as tuples in their order, of the incidents ``filters`` select.

    Plain SQL, built here: the ORM's compiling of this statement was a fifth of a list
    request (bench/api.py). The tenant manager does not see raw SQL, so the municipality
    condition is explicit in every sub-select, and the municipalities must lie in the current
    scope (the token's): ``WrongMunicipality`` otherwise, before any query."""
    municipality_ids = filters.municipality_ids
    scope = require_scope("API incident page")
    if not all(scope.allows(mid) for mid in municipality_ids):
        raise WrongMunicipality(f"municipalities {municipality_ids} outside the scope")
    if not municipality_ids:
        return KeysetPage(rows=[], keys=[], has_more=False)
    backwards = cursor is not None and cursor.backwards
    direction = "DESC" if backwards else "ASC"
    updated_at, pk = incident_column("updated_at"), incident_column("id")
    order = f"{updated_at} {direction}, {pk} {direction}"
    conditions, params = filters.where(now)
    horizon, horizon_params = sync_horizon(now)
    conditions.append(horizon)
    params += horizon_params
    if cursor is not None:
        # The plain range condition is redundant with the OR, but it is what lets PostgreSQL
        # start the index scan at the cursor instead of filtering from the range's beginning.
        at = connection.ops.adapt_datetimefield_value(cursor.updated_at)
        beyond, edge = ("<", "<=") if backwards else (">", ">=")
        conditions.append(
            f"{updated_at} {edge} %s AND ({updated_at} {beyond} %s "
            f"OR ({updated_at} = %s AND {pk} {beyond} %s))"
        )
        params += [at, at, at, cursor.id]
    where = " AND ".join(conditions)
    select, names = _select(tuple(fields))
    municipality = incident_column("municipality_id")
    if len(municipality_ids) == 1:
        sql = f"{select} WHERE {municipality} = %s AND {where} ORDER BY {order} LIMIT %s"
        rows = fetch_rows(sql, [municipality_ids[0], *params, size + 1])
    else:
        # Each municipality's own index range, keys only, then the first size + 1 of them
        # and their rows, in one statement and so in one snapshot: no row can move between
        # reading its key and its columns, and no key travels to Python.
        ranges = " UNION ALL ".join(
            f"SELECT * FROM (SELECT {updated_at} AS u, {pk} AS id FROM {table(Incident)} i "  # noqa: S608
            f"WHERE {municipality} = %s AND {where} ORDER BY {order} LIMIT %s) r{n}"
            for n in range(len(municipality_ids))
        )
        # Only model names and this function's keywords go into the text; values are parameters.
        sql = (
            f"{select} WHERE {municipality} IN ("  # noqa: S608
            f"{', '.join(['%s'] * len(municipality_ids))}) "
            f"AND {pk} IN (SELECT k.id FROM ({ranges}) k "
            f"ORDER BY k.u {direction}, k.id {direction} LIMIT %s) ORDER BY {order}"
        )
        range_params = [p for mid in municipality_ids for p in (mid, *params, size + 1)]
        rows = fetch_rows(sql, [*municipality_ids, *range_params, size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    stamp, key = names.index("updated_at"), names.index("id")
    return KeysetPage(rows=rows, keys=[(row[stamp], row[key]) for row in rows], has_more=has_more)


@functools.cache
def _select(fields: tuple[str | Computed, ...]) -> tuple[str, tuple[str, ...]]:
    """``SELECT <columns> FROM incident i LEFT JOIN …`` for ``.values()``-style names
    (``topic__code``: one hop over a foreign key) and expressions over the incident's columns,
    built from the models' own table and column names once per process."""
    quote = connection.ops.quote_name
    columns: list[str] = []
    joins: dict[str, str] = {}
    names: list[str] = []
    for name in fields:
        if isinstance(name, Computed):
            columns.append(name.render(Incident, "i"))
            names.append(name.name)
            continue
        names.append(name)
        head, _, tail = name.partition("__")
        if not tail:
            columns.append(incident_column(head))
            continue
        related = Incident._meta.get_field(head).related_model
        assert isinstance(related, type) and issubclass(related, Model), name  # noqa: PT018
        meta = related._meta
        alias = f"j_{head}"
        joins.setdefault(
            alias,
            f"LEFT JOIN {quote(meta.db_table)} {alias} "
            f"ON {alias}.{quote(meta.pk.column)} = {incident_column(head)}",
        )
        columns.append(f"{alias}.{column(related, tail)}")
    sql = f"SELECT {', '.join(columns)} FROM {table(Incident)} i {' '.join(joins.values())}"  # noqa: S608
    return sql, tuple(names)
