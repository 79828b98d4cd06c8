"""``incident_json`` unpacks its rows by position: each field must land under its own key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from api.presenters import detail_fields, incident_json

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def _row(names: tuple[str, ...], values: dict[str, Any]) -> tuple[Any, ...]:
    assert set(values) == set(names), set(values) ^ set(names)
    return tuple(values[name] for name in names)


def _values() -> dict[str, Any]:
    """A distinct value for every column, so a value under a wrong key shows."""
    values: dict[str, Any] = {
        "id": 101,
        "municipality_id": 7,
        "channel": "pos",
        "external_id": "ext-1",
        "kind": "message",
        "scope": "municipal",
        "status": "answered",
        "topic__code": "roads.potholes",
        "topic__name": "Ямы",
        "sector__code": "roads",
        "sector__name": "Дороги",
        "fast_track": True,
        "settlement__name": "пгт. Октябрьское",
        "received_at": NOW - timedelta(days=9),
        "due_at": NOW - timedelta(days=2),
        "answered_at": NOW - timedelta(days=1),  # after the term: late
        "closed_at": NOW - timedelta(hours=5),
        "repeat_of_id": 55,
        "satisfaction": 4,
        "updated_at": NOW - timedelta(hours=1),
        "citizen_name": "Петров Пётр",
        "citizen_email": "p@example.ru",
        "citizen_phone": "",
        "citizen_profile_url": "https://vk.com/id1",
        "citizen_postal_address": "",
        "latitude": 62.455123,
        "longitude": 66.051987,
        "text": "Петров Пётр: яма",
        "address": "ул. Ленина, д. 5",
        "masked_text": "[скрыто]: яма",
        "masked_address": "ул. Ленина",
    }
    return values


EXPECTED_COMMON = {
    "id": 101,
    "municipality": "oktyabrsky",
    "channel": "pos",
    "external_id": "ext-1",
    "kind": "message",
    "scope": "municipal",
    "status": "answered",
    "topic": {"code": "roads.potholes", "name": "Ямы"},
    "sector": {"code": "roads", "name": "Дороги"},
    "fast_track": True,
    "settlement": "пгт. Октябрьское",
    "received_at": NOW - timedelta(days=9),
    "due_at": NOW - timedelta(days=2),
    "answered_at": NOW - timedelta(days=1),
    "closed_at": NOW - timedelta(hours=5),
    "overdue": True,
    "repeat_of": 55,
    "satisfaction": 4,
    "updated_at": NOW - timedelta(hours=1),
}


def test_every_field_lands_under_its_own_key() -> None:
    """By the names of ``detail_fields``: a page's columns under their row names."""
    names = detail_fields(exact=True)
    exact = _values()
    del exact["masked_text"], exact["masked_address"]
    body = incident_json(_row(names, exact), slugs={7: "oktyabrsky"}, exact=True, now=NOW)
    assert body == EXPECTED_COMMON | {
        "text": "Петров Пётр: яма",
        "address": "ул. Ленина, д. 5",
        "coordinates": {"lat": 62.455123, "lon": 66.051987},
        "citizen": {
            "name": "Петров Пётр",
            "email": "p@example.ru",
            "phone": "",
            "profile_url": "https://vk.com/id1",
            "postal_address": "",
            "masked": False,
        },
    }
    names = detail_fields(exact=False)
    body = incident_json(_row(names, _values()), slugs={7: "oktyabrsky"}, exact=False, now=NOW)
    assert body == EXPECTED_COMMON | {
        "text": "[скрыто]: яма",
        "address": "ул. Ленина",
        "coordinates": {"lat": 62.455, "lon": 66.052},
        "citizen": {
            "name": "***",
            "email": "***",
            "phone": "",
            "profile_url": "***",
            "postal_address": "",
            "masked": True,
        },
    }
