"""Each filter of the incident list, through the page, with concrete expected rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from incidents.listing.tests.helpers import list_url, raw_incidents, topic
from incidents.models import Incident, Status
from incidents.tests.factories import incident_at, make_incident
from mcu.tenancy import municipality_scope
from roles.models import Sector


def listed(client, municipality, query: str) -> list[int]:
    response = client.get(f"{list_url(municipality)}?{query}")
    assert response.status_code == 200
    assert response.context["page"] is not None, response.context["filter"].errors
    return sorted(row.incident.pk for row in response.context["rows"])


def ids(*incidents: Incident) -> list[int]:
    return sorted(incident.pk for incident in incidents)


@pytest.fixture
def client_(staff, login):
    return login(staff.head)


def test_channel(municipality, client_):
    pos = make_incident(municipality, channel="pos")
    im = make_incident(municipality, channel="im")
    assert listed(client_, municipality, "channel=pos") == ids(pos)
    assert listed(client_, municipality, "channel=im") == ids(im)
    assert listed(client_, municipality, "") == ids(pos, im)


def test_status_and_all_open(municipality, staff, client_):
    new = incident_at(Status.NEW, staff)
    assigned = incident_at(Status.ASSIGNED, staff)
    rejected = incident_at(Status.REJECTED, staff)
    assert listed(client_, municipality, "status=new") == ids(new)
    assert listed(client_, municipality, "status=rejected") == ids(rejected)
    assert listed(client_, municipality, "status=open") == ids(new, assigned)


def test_sector_and_no_sector(municipality, staff, client_):
    roads = incident_at(Status.ASSIGNED, staff)  # a pothole: routed to «Дороги»
    transport = make_incident(municipality, topic_code="transport.stops")
    unrouted = incident_at(Status.NEW, staff)
    assert listed(client_, municipality, f"sector={staff.roads.pk}") == ids(roads)
    assert listed(client_, municipality, f"sector={staff.transport.pk}") == ids(transport)
    assert listed(client_, municipality, "sector=null") == ids(unrouted)


def test_a_sector_of_another_municipality_is_not_a_choice(
    municipality, other_municipality, client_
):
    make_incident(municipality)
    with municipality_scope(other_municipality.pk):
        foreign = Sector.objects.filter(municipality=other_municipality).first()
    assert foreign is not None
    response = client_.get(f"{list_url(municipality)}?sector={foreign.pk}")
    assert response.context["page"] is None
    assert "sector" in response.context["filter"].errors


def test_topic_includes_its_subtopics(municipality, client_):
    pothole = make_incident(municipality, topic_code="roads.potholes")
    sidewalk = make_incident(municipality, topic_code="roads.sidewalks")
    roads = make_incident(municipality, topic_code="roads")
    stops = make_incident(municipality, topic_code="transport.stops")
    assert listed(client_, municipality, f"topic={topic('roads').pk}") == ids(
        pothole, sidewalk, roads
    )
    assert listed(client_, municipality, f"topic={topic('roads.potholes').pk}") == ids(pothole)
    assert listed(client_, municipality, f"topic={topic('transport').pk}") == ids(stops)


def test_responsible_and_nobody(municipality, staff, client_):
    taken = incident_at(Status.IN_PROGRESS, staff)  # the roads owner took it
    waiting = incident_at(Status.ASSIGNED, staff)
    assert listed(client_, municipality, f"responsible={staff.sector_owner.pk}") == ids(taken)
    assert listed(client_, municipality, "responsible=null") == ids(waiting)


def test_a_responsible_from_another_municipality_is_not_a_choice(
    municipality, other_municipality, make_user, client_
):
    outsider = make_user("head", other_municipality)
    response = client_.get(f"{list_url(municipality)}?responsible={outsider.pk}")
    assert response.context["page"] is None


def test_overdue_is_open_and_past_due_now(municipality, staff, client_):
    now = timezone.now()
    # ИМ: 3 hours on the clock; received 5 hours ago, so due 2 hours ago.
    late = make_incident(municipality, channel="im", received_at=now - timedelta(hours=5))
    on_time = make_incident(municipality, channel="im", received_at=now - timedelta(hours=1))
    answered_late = incident_at(
        Status.ANSWERED, staff, channel="im", received_at=now - timedelta(hours=5)
    )
    assert listed(client_, municipality, "overdue=true") == ids(late)
    assert listed(client_, municipality, "overdue=false") == ids(on_time, answered_late)


def test_repeat(municipality, client_):
    first = make_incident(municipality, topic_code="roads.potholes", address="ул. Ленина, 5")
    again = make_incident(municipality, topic_code="roads.potholes", address="УЛ ЛЕНИНА 5")
    assert again.is_repeat
    assert listed(client_, municipality, "repeat=true") == ids(again)
    assert listed(client_, municipality, "repeat=false") == ids(first)


def test_fast_track(municipality, client_):
    fast = make_incident(municipality, channel="pos", fast_track=True)
    usual = make_incident(municipality, channel="pos")
    assert listed(client_, municipality, "fast_track=true") == ids(fast)
    assert listed(client_, municipality, "fast_track=false") == ids(usual)


def test_period_is_in_local_dates(municipality, client_):
    # Октябрьский is UTC+5: 20:30 UTC on the 9th is 01:30 local on the 10th.
    late_evening_utc = make_incident(
        municipality, received_at=datetime(2026, 3, 9, 20, 30, tzinfo=UTC)
    )
    # 18:59 UTC on the 9th is 23:59 local on the 9th.
    local_22nd = make_incident(municipality, received_at=datetime(2026, 3, 9, 18, 59, tzinfo=UTC))
    assert listed(client_, municipality, "received_from=2026-03-10") == ids(late_evening_utc)
    assert listed(client_, municipality, "received_to=2026-03-09") == ids(local_22nd)
    assert listed(client_, municipality, "received_from=2026-03-09&received_to=2026-03-10") == ids(
        late_evening_utc, local_22nd
    )
    assert listed(client_, municipality, "received_from=10.03.2026") == ids(late_evening_utc)


def test_search_in_text_and_address(municipality, client_):
    by_text = make_incident(municipality, text="Не вывозят мусор с площадки")
    by_address = make_incident(municipality, text="Темно во дворе", address="ул. Мусорная, 1")
    other = make_incident(municipality, text="Яма на дороге", address="ул. Ленина, 5")
    assert listed(client_, municipality, "q=Мусорная") == ids(by_address)
    assert listed(client_, municipality, "q=вывозят мусор") == ids(by_text)
    assert listed(client_, municipality, "q=LENINA") == []
    assert listed(client_, municipality, "q=Ленина") == ids(other)
    assert listed(client_, municipality, "q=%20") == ids(by_text, by_address, other)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's LIKE folds ASCII case only")
def test_search_ignores_cyrillic_case_on_postgresql(municipality, client_):
    found = make_incident(municipality, text="Не вывозят МУСОР с площадки")
    assert listed(client_, municipality, "q=мусор") == ids(found)


def test_filters_combine(municipality, client_):
    wanted = make_incident(municipality, channel="pos", fast_track=True, topic_code="roads")
    make_incident(municipality, channel="im", topic_code="roads")
    make_incident(municipality, channel="pos", fast_track=True, topic_code="transport")
    query = f"channel=pos&fast_track=true&topic={topic('roads').pk}&status=open"
    assert listed(client_, municipality, query) == ids(wanted)


def test_sorting_orders_by_the_chosen_field(municipality, client_):
    start = timezone.now()
    rows = raw_incidents(municipality, 3, start=start)  # received newest first
    with municipality_scope(municipality.pk):
        for index, row in enumerate(rows):  # due: the newest is due last
            Incident.objects.filter(pk=row.pk).update(due_at=start + timedelta(days=10 - index))
    in_order = [row.pk for row in rows]

    def order(sort: str) -> list[int]:
        response = client_.get(f"{list_url(municipality)}?sort={sort}")
        return [row.incident.pk for row in response.context["rows"]]

    assert order("-received") == in_order
    assert order("received") == in_order[::-1]
    assert order("due") == in_order[::-1]
    assert order("-due") == in_order
