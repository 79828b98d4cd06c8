"""Reads of the incident list: the base query, the sort orders and keyset pagination.

Keyset, never OFFSET (FACTS.md: OFFSET 500 000 costs 814 ms, a keyset page at the same depth
1 ms): a page is "the next 50 rows after (value, id) in this order", answered by the composite
indexes ``(municipality, received_at, id)``, ``(municipality, due_at, id)`` and
``(municipality, updated_at, id)``, so a page deep in the list costs what the first one does.
The id breaks ties, so the order is total and no row is skipped or shown twice between pages.

Who sees what: the list shows every incident of the municipality to every holder of
``incident.view``, as the incident card does (``incidents.selectors.incident_get_for_actor``
checks ``can``, not ``can_on``): a sector owner sees the whole municipality's list, and the
qualification by sector / channel applies to what they may *do* (bulk actions, personal data).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from incidents.models import OPEN_STATUSES, Incident
from mcu.models import Municipality

PAGE_SIZE = 50
EXCERPT_CHARS = 300  # what the list shows of a text; the card shows it whole


@dataclass(frozen=True)
class Sort:
    """One order of the list: a datetime field, its direction, then the id the same way."""

    key: str  # the value of ``?sort=``
    field: str
    descending: bool
    nullable: bool
    label: str | Promise

    def order_by(self, *, forward: bool = True) -> list[str]:
        descending = self.descending == forward
        prefix = "-" if descending else ""
        return [f"{prefix}{self.field}", f"{prefix}id"]


SORTS: dict[str, Sort] = {
    sort.key: sort
    for sort in (
        Sort("-received", "received_at", True, False, _("Поступило: сначала новые")),
        Sort("received", "received_at", False, False, _("Поступило: сначала старые")),
        # due_at is empty for an incident no SLA policy covered: those come last either way.
        Sort("due", "due_at", False, True, _("Срок: сначала ближайшие")),
        Sort("-due", "due_at", True, True, _("Срок: сначала дальние")),
        Sort("-updated", "updated_at", True, False, _("Изменено: сначала недавние")),
        Sort("updated", "updated_at", False, False, _("Изменено: сначала давние")),
    )
}
DEFAULT_SORT = "-received"


def incident_list_base(*, municipality: Municipality) -> QuerySet[Incident]:
    """The municipality's incidents with what a list row shows, in one query.

    ``text`` is not loaded whole: a message may be pages long, and the row shows an excerpt.
    """
    return (
        Incident.objects.filter(municipality=municipality)
        .select_related("topic__parent", "sector", "responsible")
        .defer(
            "text",
            "citizen_name",
            "citizen_email",
            "citizen_phone",
            "citizen_profile_url",
            "citizen_postal_address",
        )
        .annotate(excerpt=Substr("text", 1, EXCERPT_CHARS))
    )


def overdue_q(*, now: datetime) -> Q:
    """Open and past its term. Judged from ``due_at`` itself, not from the sweep's flags: the
    list must be right between two sweeps, and the flags' home is moving (issue 5 notes)."""
    return Q(status__in=OPEN_STATUSES, due_at__lt=now)


# --- the cursor ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A position between two rows: after (or, ``backward``, before) the row ``(value, pk)``."""

    sort: str
    backward: bool
    value: datetime | None
    pk: int

    def encode(self) -> str:
        raw = json.dumps(
            [
                self.sort,
                "p" if self.backward else "n",
                self.value.isoformat() if self.value else None,
                self.pk,
            ],
            separators=(",", ":"),
        )
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str | None, *, sort: Sort) -> Cursor | None:
        """The cursor, or None for anything malformed or made for another order: a bad link
        opens the first page instead of an error (the cursor only ever points into the
        municipality's own list, so a forged one reveals nothing)."""
        if not token or len(token) > 200:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            sort_key, direction, value, pk = json.loads(raw)
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
            return None
        if sort_key != sort.key or direction not in ("n", "p"):
            return None
        if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk < 2**63:
            return None
        if value is None:
            if not sort.nullable:
                return None
            parsed = None
        else:
            if not isinstance(value, str):
                return None
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                return None
            if parsed.tzinfo is None:
                return None
        return cls(sort_key, direction == "p", parsed, pk)


@dataclass(frozen=True)
class Page:
    rows: list[Incident]
    next_cursor: Cursor | None
    previous_cursor: Cursor | None

    @property
    def is_first(self) -> bool:
        return self.previous_cursor is None


def _segments(qs: QuerySet[Incident], sort: Sort) -> list[QuerySet[Incident]]:
    """The list in its order as consecutive parts: the rows with a value, then (for a nullable
    field) the rows without one, ordered by id. Each part is a plain index range; one ORDER BY
    with NULLS LAST would need an index of its own for the descending order."""
    if not sort.nullable:
        return [qs]
    return [
        qs.filter(**{f"{sort.field}__isnull": False}),
        qs.filter(**{f"{sort.field}__isnull": True}),
    ]


def _after(
    segment: QuerySet[Incident], field: str | None, cursor: Cursor, *, ascending: bool
) -> QuerySet[Incident]:
    """Rows strictly after the cursor's row, scanning ``ascending`` or not.

    ``field >= v AND (field > v OR id > i)``: the redundant first term lets PostgreSQL start the
    index range at ``v`` (a bare OR would make it scan from the start of the municipality).
    """
    gt, ge = ("gt", "gte") if ascending else ("lt", "lte")
    if field is None:
        return segment.filter(**{f"id__{gt}": cursor.pk})
    return segment.filter(**{f"{field}__{ge}": cursor.value}).filter(
        Q(**{f"{field}__{gt}": cursor.value}) | Q(**{f"id__{gt}": cursor.pk})
    )


def _scan(
    qs: QuerySet[Incident], sort: Sort, cursor: Cursor | None, *, forward: bool, limit: int
) -> list[Incident]:
    """Up to ``limit`` rows from the cursor on, in scan order (reversed when going back)."""
    segments = _segments(qs, sort)
    fields: list[str | None] = [sort.field, None][: len(segments)]
    if not forward:
        segments.reverse()
        fields.reverse()
    # Which segment the cursor sits in: the null part when its value is None.
    start = 0
    if cursor is not None and sort.nullable:
        in_null_part = cursor.value is None
        start = fields.index(None) if in_null_part else fields.index(sort.field)
    ascending_field = sort.descending != forward
    rows: list[Incident] = []
    for index in range(start, len(segments)):
        field = fields[index]
        segment = segments[index]
        if cursor is not None and index == start:
            segment = _after(segment, field, cursor, ascending=ascending_field)
        order = (
            sort.order_by(forward=forward)
            if field is not None
            else ["id" if ascending_field else "-id"]
        )
        rows += list(segment.order_by(*order)[: limit - len(rows)])
        if len(rows) >= limit:
            break
    return rows


def keyset_page(
    qs: QuerySet[Incident], *, sort: Sort, cursor: Cursor | None, size: int = PAGE_SIZE
) -> Page:
    """One page of ``qs`` in ``sort`` order at ``cursor`` (None: the first page).

    One query per page (two on the page where a nullable order passes into its empty values).
    """
    forward = cursor is None or not cursor.backward
    fetched = _scan(qs, sort, cursor, forward=forward, limit=size + 1)
    more = len(fetched) > size
    rows = fetched[:size]
    if not forward:
        rows.reverse()
        if not rows:  # before the very first row: show the first page rather than nothing
            return keyset_page(qs, sort=sort, cursor=None, size=size)
    if not rows:
        return Page([], None, None)

    def at(row: Incident, *, backward: bool) -> Cursor:
        return Cursor(sort.key, backward, getattr(row, sort.field), row.pk)

    if forward:
        next_cursor = at(rows[-1], backward=False) if more else None
        previous_cursor = at(rows[0], backward=True) if cursor is not None else None
    else:
        next_cursor = at(rows[-1], backward=False)
        previous_cursor = at(rows[0], backward=True) if more else None
    return Page(rows, next_cursor, previous_cursor)


def ordered_for_export(qs: QuerySet[Incident], *, sort: Sort) -> QuerySet[Incident]:
    """The whole list in the page order (empty values of a nullable field last, as on screen)."""
    expression = F(sort.field)
    ordered = (
        expression.desc(nulls_last=True) if sort.descending else expression.asc(nulls_last=True)
    )
    return qs.order_by(ordered, "-id" if sort.descending else "id")


# --- time left -----------------------------------------------------------------------------------


def _duration(delta: timedelta) -> str:
    # Abbreviations, not ngettext: Russian has three plural forms and the msgids are Russian
    # with no Russian catalog, so ngettext would say «21 минут».
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return str(_("%(n)d мин")) % {"n": minutes}
    hours = minutes // 60
    if hours < 48:
        return str(_("%(n)d ч")) % {"n": hours}
    return str(_("%(n)d дн.")) % {"n": hours // 24}


@dataclass(frozen=True)
class DeadlineHint:
    overdue: bool
    text: str


def deadline_hint(*, status: str, due_at: datetime | None, now: datetime) -> DeadlineHint | None:
    """«просрочено на 3 часа» / «осталось 45 минут» for an open incident with a term."""
    if due_at is None or status not in OPEN_STATUSES:
        return None
    if due_at < now:
        return DeadlineHint(True, str(_("просрочено на %(d)s")) % {"d": _duration(now - due_at)})
    return DeadlineHint(False, str(_("осталось %(d)s")) % {"d": _duration(due_at - now)})
