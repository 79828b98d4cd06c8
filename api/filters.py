"""Filters of ``GET /api/v1/incidents/``: the query string → ``IncidentFilters`` → SQL conditions.

``municipality`` is validated against the token's own municipalities: a slug outside the scope
gets the same 400 as one that does not exist. ``topic`` matches the topic and its subtopics
(``roads`` finds ``roads.potholes``). ``received_after`` is inclusive, ``received_before`` and
``updated_after`` exclusive — ``updated_after`` is «changed since», the start of a sync.

Parsed here by hand rather than by a django-filter ``FilterSet``: the set's per-request deep
copies of its filters and form fields, its form, and the ORM's compiling of the page query
(five sub-selects for a region) were ~4 ms of a ~10 ms list request (bench/api.py), the
endpoint a ЦУР polls most. The messages are Django's own form messages, as they were. The staff
list (``incidents.listing``) keeps django-filter: a person's page is not that hot.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import QueryDict

from api.db import fetch_rows
from api.errors import BadRequest
from api.params import parse_bool, parse_datetime
from incidents.models import OPEN_STATUSES, Incident, Status, Topic
from mcu.sql import column, table
from roles.models import Channel, Sector

T = TypeVar("T")
# Django's own wording (and translations) of a value outside a choice list.
_INVALID_CHOICE = forms.MultipleChoiceField.default_error_messages["invalid_choice"]
_CHANNELS = frozenset(Channel.values)
_STATUSES = frozenset(Status.values)


def is_overdue(
    status: str, due_at: datetime | None, answered_at: datetime | None, now: datetime
) -> bool:
    """Late: open and past the term now, or answered after the term (answered late).

    Computed on every read (README), never from the sweep's flags: the same rule as
    ``Incident.is_overdue`` plus the late answers a report counts as overdue too. The SQL twin
    is ``IncidentFilters.where`` (``overdue``)."""
    if due_at is None:
        return False
    if status in OPEN_STATUSES and due_at < now:
        return True
    return answered_at is not None and answered_at > due_at


@dataclass(frozen=True)
class IncidentFilters:
    """What a list request asks for. ``None`` and ``()`` mean «no condition»."""

    municipality_ids: tuple[int, ...]  # those asked for, else the token's whole scope
    channels: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    sector_ids: tuple[int, ...] = ()
    topic_ids: tuple[int, ...] = ()
    received_after: datetime | None = None
    received_before: datetime | None = None
    updated_after: datetime | None = None
    overdue: bool | None = None
    fast_track: bool | None = None

    @classmethod
    def parse(cls, params: QueryDict, *, municipality_slugs: dict[int, str]) -> IncidentFilters:
        """The filters of ``params``, or a 400 naming every wrong one (the first wrong value
        of each, as a Django form field would)."""
        errors: dict[str, list[str]] = {}

        def check(name: str, parse: Callable[[], T], default: T) -> T:
            try:
                return parse()
            except ValidationError as error:
                errors[name] = [str(message) for message in error.messages]
                return default

        slugs = params.getlist("municipality")
        chosen: tuple[str, ...] = check(
            "municipality", lambda: _choices(slugs, municipality_slugs.values()), ()
        )
        filters = cls(
            municipality_ids=tuple(
                sorted(
                    pk for pk, slug in municipality_slugs.items() if not chosen or slug in chosen
                )
            ),
            channels=check("channel", lambda: _choices(params.getlist("channel"), _CHANNELS), ()),
            statuses=check("status", lambda: _choices(params.getlist("status"), _STATUSES), ()),
            sector_ids=check(
                "sector", lambda: _sector_ids(params.getlist("sector"), municipality_slugs), ()
            ),
            topic_ids=check("topic", lambda: _topic_ids(params.getlist("topic")), ()),
            received_after=check("received_after", lambda: _moment(params, "received_after"), None),
            received_before=check(
                "received_before", lambda: _moment(params, "received_before"), None
            ),
            updated_after=check("updated_after", lambda: _moment(params, "updated_after"), None),
            overdue=check("overdue", lambda: _flag(params, "overdue"), None),
            fast_track=check("fast_track", lambda: _flag(params, "fast_track"), None),
        )
        if errors:
            raise BadRequest(errors)
        return filters

    def where(self, now: datetime) -> tuple[list[str], list[Any]]:
        """SQL conditions on the incident table (alias ``i``), all but the municipality's, and
        their parameters. Only column names of the model go into the text."""
        c = incident_column
        adapt = connection.ops.adapt_datetimefield_value
        sql: list[str] = []
        params: list[Any] = []

        def add(condition: str, *values: Any) -> None:
            sql.append(condition)
            params.extend(values)

        for name, values in (
            ("channel", self.channels),
            ("status", self.statuses),
            ("sector_id", self.sector_ids),
            ("topic_id", self.topic_ids),
        ):
            if values:
                add(f"{c(name)} IN ({_placeholders(values)})", *values)
        if self.received_after is not None:
            add(f"{c('received_at')} >= %s", adapt(self.received_after))
        if self.received_before is not None:
            add(f"{c('received_at')} < %s", adapt(self.received_before))
        if self.updated_after is not None:
            add(f"{c('updated_at')} > %s", adapt(self.updated_after))
        if self.fast_track is not None:
            add(f"{c('fast_track')} = %s", self.fast_track)
        if self.overdue is not None:
            # Both halves are never NULL (each tests its NULLs first), so NOT negates exactly.
            open_late = (
                f"({c('status')} IN ({_placeholders(OPEN_STATUSES)}) "
                f"AND {c('due_at')} IS NOT NULL AND {c('due_at')} < %s)"
            )
            answered_late = (
                f"({c('answered_at')} IS NOT NULL AND {c('due_at')} IS NOT NULL "
                f"AND {c('answered_at')} > {c('due_at')})"
            )
            condition = f"({open_late} OR {answered_late})"
            add(condition if self.overdue else f"NOT {condition}", *OPEN_STATUSES, adapt(now))
        return sql, params


def incident_column(name: str) -> str:
    """``i."<column>"`` of an ``Incident`` field or attname (``sector_id``)."""
    return f"i.{column(Incident, name)}"


def _placeholders(values: Collection[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _choices(values: list[str], allowed: Collection[str]) -> tuple[str, ...]:
    _all_known(values, allowed)
    return tuple(dict.fromkeys(values))


def _sector_ids(codes: list[str], municipality_ids: Collection[int]) -> tuple[int, ...]:
    """Every block with the codes in the token's scope: codes repeat across municipalities
    («roads»). Plain SQL (``api.db``), so the scope is spelled out."""
    if not codes:
        return ()
    c = functools.partial(column, Sector)
    sql = (
        f"SELECT {c('id')}, {c('code')} FROM {table(Sector)} "  # noqa: S608 — model names only
        f"WHERE {c('code')} IN ({_placeholders(codes)}) "
        f"AND {c('municipality_id')} IN ({_placeholders(municipality_ids)})"
    )
    found = fetch_rows(sql, [*codes, *municipality_ids]) if municipality_ids else []
    _all_known(codes, {code for _pk, code in found})
    return tuple(sorted(pk for pk, _code in found))


def _topic_ids(codes: list[str]) -> tuple[int, ...]:
    """The topics with the codes and their subtopics. Plain SQL (``api.db``): compiling the
    ORM's join was most of a topic-filtered list request's own work (bench/api.py)."""
    if not codes:
        return ()
    c = functools.partial(column, Topic)
    listed = _placeholders(codes)
    sql = (
        f"SELECT t.{c('id')}, t.{c('code')} FROM {table(Topic)} t "  # noqa: S608 — model names
        f"LEFT JOIN {table(Topic)} p ON p.{c('id')} = t.{c('parent_id')} "
        f"WHERE t.{c('code')} IN ({listed}) OR p.{c('code')} IN ({listed})"
    )
    found = fetch_rows(sql, [*codes, *codes])
    _all_known(codes, {code for _pk, code in found})
    return tuple(sorted(pk for pk, _code in found))


def _all_known(values: list[str], known: Collection[str]) -> None:
    """The first value not in ``known`` is a 400, as a Django form's choice field says it."""
    for value in values:
        if value not in known:
            raise ValidationError(_INVALID_CHOICE, params={"value": value})


def _moment(params: QueryDict, name: str) -> datetime | None:
    value = params.get(name)
    return None if value is None else parse_datetime(value)


def _flag(params: QueryDict, name: str) -> bool | None:
    value = params.get(name)
    return None if value is None else parse_bool(value)
