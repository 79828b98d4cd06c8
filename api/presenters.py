"""Rows of ``.values()`` → the API's JSON objects, by hand: the full sync turns a million rows
into JSON, and a DRF serializer per row costs 4× (FACTS.md). The documented shape of these
dicts is ``api.schemas``; schemathesis checks every response against it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from api import privacy
from api.db import Computed
from api.filters import is_overdue
from incidents.models import Answer, IncidentEvent

_COMMON_FIELDS: tuple[str, ...] = (
    "id",
    "municipality_id",
    "channel",
    "external_id",
    "kind",
    "scope",
    "status",
    "topic__code",
    "topic__name",
    "sector__code",
    "sector__name",
    "fast_track",
    "settlement__name",
    "received_at",
    "due_at",
    "answered_at",
    "closed_at",
    "repeat_of_id",
    "satisfaction",
    "updated_at",
    "citizen_name",
    "citizen_email",
    "citizen_phone",
    "citizen_profile_url",
    "citizen_postal_address",
)
# One incident (``.values()``): the text and address in both forms.
INCIDENT_FIELDS = (
    *_COMMON_FIELDS,
    "latitude",
    "longitude",
    "text",
    "address",
    "masked_text",
    "masked_address",
)
# A page's coordinates come as floats, which they become anyway: loading a thousand Decimals
# first cost ~1 ms a page (bench/api.py). Both are correctly rounded conversions of the same
# decimal, so the float is the one ``float(Decimal)`` gives.
_PAGE_COORDINATES = (
    Computed("latitude", "CAST({latitude} AS DOUBLE PRECISION)"),
    Computed("longitude", "CAST({longitude} AS DOUBLE PRECISION)"),
)
# A page for a token with the personal-data grant.
EXACT_PAGE_FIELDS: tuple[str | Computed, ...] = (
    *_COMMON_FIELDS,
    *_PAGE_COORDINATES,
    "text",
    "address",
)
# A page for a token without it: the stored masked forms, and the originals only for rows whose
# forms are not stored (``incidents.masking``) or where the masked text is the text itself —
# a text is most of a row, and a page of 1 000 must not carry it twice.
MASKED_PAGE_FIELDS: tuple[str | Computed, ...] = (
    *_COMMON_FIELDS,
    *_PAGE_COORDINATES,
    "masked_text",
    "masked_address",
    Computed("text", "CASE WHEN {masked_text} IS NULL OR {masked_text} = '' THEN {text} END"),
    Computed("address", "CASE WHEN {masked_address} IS NULL THEN {address} END"),
)


def page_fields(*, exact: bool) -> tuple[str | Computed, ...]:
    return EXACT_PAGE_FIELDS if exact else MASKED_PAGE_FIELDS


def _pair(code: str | None, name: str | None) -> dict[str, str] | None:
    return None if code is None else {"code": code, "name": name or ""}


def incident_json(
    row: dict[str, Any], *, slugs: dict[int, str], exact: bool, now: datetime
) -> dict[str, Any]:
    """One incident. Without ``exact`` (the personal-data grant) it is masked (``privacy``); the
    row has the fields of ``page_fields(exact=exact)`` or ``INCIDENT_FIELDS``."""
    latitude, longitude = row["latitude"], row["longitude"]
    coordinates = (
        None
        if latitude is None or longitude is None
        else {
            "lat": privacy.round_coordinate(latitude, exact=exact),
            "lon": privacy.round_coordinate(longitude, exact=exact),
        }
    )
    if exact:
        text, address = row["text"], row["address"]
    else:
        text, address = privacy.public_text(row), privacy.public_address(row)
    return {
        "id": row["id"],
        "municipality": slugs[row["municipality_id"]],
        "channel": row["channel"],
        "external_id": row["external_id"],
        "kind": row["kind"],
        "scope": row["scope"],
        "status": row["status"],
        "topic": _pair(row["topic__code"], row["topic__name"]),
        "sector": _pair(row["sector__code"], row["sector__name"]),
        "fast_track": row["fast_track"],
        "text": text,
        "address": address,
        "settlement": row["settlement__name"],
        "coordinates": coordinates,
        "received_at": row["received_at"],
        "due_at": row["due_at"],
        "answered_at": row["answered_at"],
        "closed_at": row["closed_at"],
        "overdue": is_overdue(row, now),
        "repeat_of": row["repeat_of_id"],
        "satisfaction": row["satisfaction"],
        "citizen": privacy.citizen(row, exact=exact),
        "updated_at": row["updated_at"],
    }


def event_json(event: IncidentEvent, *, exact: bool) -> dict[str, Any]:
    # The actor is an official (their name is on the public roster); citizens never act here.
    # A note is staff's free text and may quote the applicant's contacts: scrubbed like `text`.
    return {
        "at": event.at,
        "kind": event.kind,
        "from_status": event.from_status or None,
        "to_status": event.to_status or None,
        "note": event.note if exact else privacy.scrub_text(event.note),
        "actor": event.actor.display_name if event.actor else None,
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "id": answer.pk,
        "text": answer.text,
        "interim": answer.is_interim,
        "published_at": answer.published_at,
    }


def events_json(events: Iterable[IncidentEvent], *, exact: bool) -> list[dict[str, Any]]:
    return [event_json(event, exact=exact) for event in events]
