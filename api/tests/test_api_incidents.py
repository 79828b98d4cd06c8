"""``/api/v1/incidents/``: fields, every filter, ordering, the detail with timeline and answers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from incidents.models import Incident, Status
from incidents.tests.factories import incident_at, make_incident, oktyabrsky_staff
from mcu.models import Municipality
from mcu.tenancy import municipality_scope

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def set_fields(incident: Incident, **fields) -> None:
    """Test setup: put a row in a state (times, flags) the flow would take days to reach."""
    with municipality_scope(incident.municipality_id):
        Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now(), **fields)


def test_fields_of_a_list_row(api, yugra) -> None:
    incident = make_incident(
        yugra,
        channel="pos",
        external_id="pos-2026-118734",
        fast_track=True,
        topic_code="roads.potholes",
        address="пгт. Октябрьское, ул. Ленина, 5",
        latitude=Decimal("62.455"),
        longitude=Decimal("66.051"),
        citizen_profile_url="",
    )
    (row,) = api(region_codes=["86"]).get("/api/v1/incidents/").json()["results"]
    with municipality_scope(yugra.pk):
        stored = Incident.objects.select_related("sector").get(pk=incident.pk)
    assert stored.sector is not None
    assert stored.due_at is not None
    assert row == {
        "id": incident.pk,
        "municipality": "oktyabrsky",
        "channel": "pos",
        "external_id": "pos-2026-118734",
        "kind": "message",
        "scope": "municipal",
        "status": "assigned",
        "topic": {"code": "roads.potholes", "name": "Ямы и разрушение покрытия"},
        "sector": {"code": "roads", "name": stored.sector.name},
        "fast_track": True,
        "text": stored.text,
        "address": "пгт. Октябрьское, ул. Ленина",
        "settlement": None,
        "coordinates": {"lat": 62.455, "lon": 66.051},
        "received_at": stored.received_at.isoformat(),
        "due_at": stored.due_at.isoformat(),
        "answered_at": None,
        "closed_at": None,
        "overdue": False,
        "repeat_of": None,
        "satisfaction": None,
        "citizen": {
            "name": "***",
            "email": "",
            "phone": "",
            "profile_url": "",
            "postal_address": "",
            "masked": True,
        },
        "updated_at": stored.updated_at.isoformat(),
    }
    assert row["received_at"].endswith("+00:00")  # ISO 8601 with an offset


def test_filters(api, yugra, lensky) -> None:
    now = timezone.now()
    pos = make_incident(yugra, channel="pos", fast_track=True, topic_code="roads.potholes")
    im = make_incident(yugra, channel="im", topic_code="zhkh.heating")
    late_open = make_incident(yugra, channel="edds", topic_code="roads")
    set_fields(late_open, due_at=now - timedelta(hours=1))
    late_answer = make_incident(yugra, channel="im", topic_code="roads.potholes")
    set_fields(
        late_answer,
        status=Status.ANSWERED,
        due_at=now - timedelta(days=2),
        answered_at=now - timedelta(days=1),
        received_at=now - timedelta(days=3),
    )
    other = make_incident(lensky, channel="pos")
    client = api(region_codes=["86", "14"])

    def find(**params) -> list[int]:
        return sorted(ids(client.get("/api/v1/incidents/", params)))

    assert find(municipality="lensky") == [other.pk]
    assert find(municipality=["oktyabrsky", "lensky"]) == sorted(
        [pos.pk, im.pk, late_open.pk, late_answer.pk, other.pk]
    )
    assert find(channel="pos", municipality="oktyabrsky") == [pos.pk]
    assert find(channel=["pos", "edds"], municipality="oktyabrsky") == sorted(
        [pos.pk, late_open.pk]
    )
    assert find(status="answered") == [late_answer.pk]
    assert find(sector="roads", municipality="oktyabrsky") == sorted(
        [pos.pk, late_open.pk, late_answer.pk]
    )
    assert find(topic="roads") == sorted([pos.pk, late_open.pk, late_answer.pk])  # + subtopics
    assert find(topic="zhkh.heating") == [im.pk]
    assert find(overdue="true") == sorted([late_open.pk, late_answer.pk])
    assert find(overdue="false", municipality="oktyabrsky") == sorted([pos.pk, im.pk])
    assert find(fast_track="true") == [pos.pk]
    assert find(received_before=(now - timedelta(days=1)).isoformat()) == [late_answer.pk]
    assert late_answer.pk not in find(received_after=(now - timedelta(days=1)).isoformat())
    with municipality_scope(yugra.pk):
        stamp = Incident.objects.get(pk=late_answer.pk).updated_at
    assert late_answer.pk not in find(updated_after=stamp.isoformat())
    # `other` (Ленский) was written after the stamp too.
    assert find(updated_after=(stamp - timedelta(microseconds=1)).isoformat()) == [
        late_answer.pk,
        other.pk,
    ]


def test_overdue_is_computed_not_read_from_the_sweep(api, yugra) -> None:
    incident = make_incident(yugra)
    set_fields(incident, due_at=timezone.now() - timedelta(minutes=1))  # the sweep never ran
    (row,) = api(region_codes=["86"]).get("/api/v1/incidents/").json()["results"]
    assert row["overdue"] is True


def test_ordered_by_updated_at_then_id_with_cursor_links(api, yugra) -> None:
    made = [make_incident(yugra) for _ in range(5)]
    set_fields(made[1])  # touched last: moves to the end
    client = api(region_codes=["86"])
    first = client.get("/api/v1/incidents/", {"page_size": 2}).json()
    assert [r["id"] for r in first["results"]] == [made[0].pk, made[2].pk]
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [made[3].pk, made[4].pk]
    third = client.get(second["next"]).json()
    assert [r["id"] for r in third["results"]] == [made[1].pk]
    assert third["next"] is None
    back = client.get(third["previous"]).json()
    assert [r["id"] for r in back["results"]] == [made[3].pk, made[4].pk]
    assert [r["id"] for r in client.get(back["previous"]).json()["results"]] == [
        made[0].pk,
        made[2].pk,
    ]
    # Nothing changed since: resuming from the last page brings nothing, and a change shows up.
    assert client.get(third["resume"]).json()["results"] == []
    set_fields(made[0])
    assert ids(client.get(third["resume"])) == [made[0].pk]


def test_detail_has_the_timeline_and_published_answers(api, municipality, make_user) -> None:
    staff = oktyabrsky_staff(municipality, make_user)
    incident = incident_at(Status.ANSWERED, staff)
    body = api(region_codes=["86"]).get(f"/api/v1/incidents/{incident.pk}/").json()
    assert body["status"] == "answered"
    assert body["answered_at"] is not None
    (answer,) = body["answers"]
    assert answer["text"] == "Яму засыплют щебнем до конца недели."
    assert answer["interim"] is False
    assert answer["published_at"] is not None
    kinds = [event["kind"] for event in body["events"]]
    assert kinds[0] == "created"
    transitions = [
        (e["from_status"], e["to_status"]) for e in body["events"] if e["kind"] == "transition"
    ]
    assert ("approved", "answered") in transitions
    assert all(event["at"].endswith("+00:00") for event in body["events"])


def test_list_query_count_does_not_grow_with_the_page(
    api, yugra, lensky, django_assert_max_num_queries
) -> None:
    for _ in range(30):
        make_incident(yugra)
        make_incident(lensky)
    client = api(region_codes=["86", "14"])
    # token, scope, throttle window (each a query where the cache is the database), the page
    # (both municipalities' key ranges and the rows in one statement), the log (+ savepoints)
    with django_assert_max_num_queries(10):
        assert len(ids(client.get("/api/v1/incidents/", {"page_size": 50}))) == 50


def test_overdue_filter_agrees_with_the_flag_on_every_kind_of_row(api, yugra) -> None:
    """The filter is SQL and the flag Python (``is_overdue``): on rows with and without a term,
    open and answered, early and late, ``overdue=true`` and ``overdue=false`` split the rows
    exactly as the flag does."""
    now = timezone.now()
    shapes: list[dict[str, Any]] = [
        {"due_at": None},  # no term: never late, whatever the status
        {"due_at": None, "status": Status.ANSWERED, "answered_at": now},
        {"due_at": now + timedelta(hours=1)},
        {"due_at": now - timedelta(hours=1)},
        {"due_at": now - timedelta(hours=1), "status": Status.CLOSED, "answered_at": None},
        {"due_at": now - timedelta(days=1), "status": Status.ANSWERED, "answered_at": now},
        {"due_at": now, "status": Status.ANSWERED, "answered_at": now - timedelta(days=1)},
    ]
    for fields in shapes:
        set_fields(make_incident(yugra), **fields)
    client = api(region_codes=["86"])
    flags = {r["id"]: r["overdue"] for r in client.get("/api/v1/incidents/").json()["results"]}
    assert len(flags) == len(shapes)
    late = {pk for pk, flag in flags.items() if flag}
    assert set(ids(client.get("/api/v1/incidents/", {"overdue": "true"}))) == late
    assert set(ids(client.get("/api/v1/incidents/", {"overdue": "false"}))) == set(flags) - late
    assert len(late) == 2  # the open one past its term, the one answered after it


def test_sector_codes_are_looked_up_in_the_tokens_municipalities_only(api, yugra) -> None:
    """«production» is a block of Ленский only: a token of Октябрьский must not learn of it,
    and a token of both finds Ленский's incidents by it."""
    lensky = Municipality.objects.get(slug="lensky")
    own = make_incident(lensky, sector_code="production")
    refused = api(region_codes=["86"]).get("/api/v1/incidents/", {"sector": "production"})
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"sector"}
    found = api(region_codes=["86", "14"]).get("/api/v1/incidents/", {"sector": "production"})
    assert ids(found) == [own.pk]
