"""Rows of ``.values()`` → the API's JSON objects, by hand: the full sync turns a million rows
into JSON, and a DRF serializer per row costs 4× (FACTS.md). The documented shape of these
dicts is ``api.schemas``; schemathesis checks every response against it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    """The columns of ``incident_json``'s rows, in its order, for plain SQL (``api.sync``)."""
    return EXACT_PAGE_FIELDS if exact else MASKED_PAGE_FIELDS


def detail_fields(*, exact: bool) -> tuple[str, ...]:
    """The same columns as ``values_list`` names: one incident needs no shortcuts."""
    return tuple(f.name if isinstance(f, Computed) else f for f in page_fields(exact=exact))


def _pair(code: str | None, name: str | None) -> dict[str, str] | None:
    return None if code is None else {"code": code, "name": name or ""}


def incident_json(
    row: Sequence[Any], *, slugs: dict[int, str], exact: bool, now: datetime
) -> dict[str, Any]:
    """One incident from a row of ``page_fields(exact=exact)`` (or ``detail_fields``), masked
    without ``exact`` (the personal-data grant; ``privacy``).

    Rows are tuples, unpacked in the fields' order (a test holds the two together): making a
    dict of each of a sync page's thousand rows, and looking its values up by name, were
    ~4 ms of the page (bench/api.py)."""
    (
        pk,
        municipality_id,
        channel,
        external_id,
        kind,
        scope,
        status,
        topic_code,
        topic_name,
        sector_code,
        sector_name,
        fast_track,
        settlement,
        received_at,
        due_at,
        answered_at,
        closed_at,
        repeat_of,
        satisfaction,
        updated_at,
        citizen_name,
        citizen_email,
        citizen_phone,
        citizen_profile_url,
        citizen_postal_address,
        latitude,
        longitude,
        *texts,
    ) = row
    if exact:
        text, address = texts
    else:
        masked_text, masked_address, text, address = texts
        text = privacy.public_text(text=text, masked_text=masked_text, citizen_name=citizen_name)
        address = privacy.public_address(address=address, masked_address=masked_address)
    coordinates = (
        None
        if latitude is None or longitude is None
        else {
            "lat": privacy.round_coordinate(latitude, exact=exact),
            "lon": privacy.round_coordinate(longitude, exact=exact),
        }
    )
    return {
        "id": pk,
        "municipality": slugs[municipality_id],
        "channel": channel,
        "external_id": external_id,
        "kind": kind,
        "scope": scope,
        "status": status,
        "topic": _pair(topic_code, topic_name),
        "sector": _pair(sector_code, sector_name),
        "fast_track": fast_track,
        "text": text,
        "address": address,
        "settlement": settlement,
        "coordinates": coordinates,
        "received_at": received_at,
        "due_at": due_at,
        "answered_at": answered_at,
        "closed_at": closed_at,
        "overdue": is_overdue(status, due_at, answered_at, now),
        "repeat_of": repeat_of,
        "satisfaction": satisfaction,
        "citizen": privacy.citizen(
            citizen_name,
            citizen_email,
            citizen_phone,
            citizen_profile_url,
            citizen_postal_address,
            exact=exact,
        ),
        "updated_at": updated_at,
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
