"""Open311 GeoReport v2: the field lists of the specification, JSON and XML; no personal data."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from incidents.models import Incident, Status
from incidents.tests.factories import make_incident
from mcu.tenancy import municipality_scope

pytestmark = pytest.mark.django_db

# http://wiki.open311.org/GeoReport_v2 — GET Service List / GET Service Requests.
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
YEKATERINBURG = ZoneInfo("Asia/Yekaterinburg")
PERSONAL = ("Сидорова", "sidorova@example.ru", "999-88-77", "кв. 7", "д. 12", "62.455123")


@pytest.fixture
def incident(yugra) -> Incident:
    return make_incident(
        yugra,
        channel="pos",
        topic_code="roads.potholes",
        text="Яма. Сидорова Анна Петровна, тел. 8 (912) 999-88-77, sidorova@example.ru",
        citizen_name="Сидорова Анна Петровна",
        citizen_email="sidorova@example.ru",
        citizen_phone="+79129998877",
        citizen_postal_address="пгт. Октябрьское, ул. Ленина, д. 12, кв. 7",
        address="пгт. Октябрьское, ул. Ленина, д. 12, кв. 7",
        latitude=Decimal("62.455123"),
        longitude=Decimal("66.051987"),
    )


def xml_items(content: bytes, root: str, item: str) -> list[dict[str, str]]:
    tree = ElementTree.fromstring(content)  # noqa: S314 — our own server's answer in a test
    assert tree.tag == root
    assert all(child.tag == item for child in tree)
    return [{field.tag: field.text or "" for field in child} for child in tree]


def test_discovery(api, incident) -> None:
    body = api(region_codes=["86"]).get("/open311/v2/oktyabrsky/discovery.json").json()
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/oktyabrsky/"
    assert endpoint["formats"] == ["application/json", "text/xml"]


def test_services_json_and_xml(api, incident) -> None:
    client = api(region_codes=["86"])
    services = client.get("/open311/v2/oktyabrsky/services.json").json()
    assert all(set(service) == SERVICE_FIELDS for service in services)
    potholes = next(s for s in services if s["service_code"] == "roads.potholes")
    assert potholes == {
        "service_code": "roads.potholes",
        "service_name": "Ямы и разрушение покрытия",
        "description": "",
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": "Дороги",
    }
    response = client.get("/open311/v2/oktyabrsky/services.xml")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    items = xml_items(response.content, "services", "service")
    assert len(items) == len(services)
    assert next(i for i in items if i["service_code"] == "roads.potholes")["metadata"] == "false"


def test_requests_json_and_xml_carry_the_fields_and_no_personal_data(api, incident) -> None:
    client = api(region_codes=["86"], personal_data=True)  # the grant does not matter here
    (request,) = client.get("/open311/v2/oktyabrsky/requests.json").json()
    assert set(request) == REQUEST_FIELDS
    with municipality_scope(incident.municipality_id):
        stored = Incident.objects.get(pk=incident.pk)
    assert request["service_request_id"] == str(incident.pk)
    assert request["status"] == "open"
    assert request["service_code"] == "roads.potholes"
    assert request["address"] == "пгт. Октябрьское, ул. Ленина"
    assert (request["lat"], request["long"]) == (62.455, 66.052)
    # Times in the municipality's own zone (Asia/Yekaterinburg, +05:00).
    assert request["requested_datetime"] == stored.received_at.astimezone(YEKATERINBURG).isoformat()
    assert request["expected_datetime"].endswith("+05:00")  # our deadline, due_at
    assert request["description"] == "Яма. [скрыто], тел. [скрыто], [скрыто]"
    response = client.get("/open311/v2/oktyabrsky/requests.xml")
    (item,) = xml_items(response.content, "service_requests", "request")
    assert set(item) == REQUEST_FIELDS
    assert item["service_request_id"] == str(incident.pk)
    assert item["expected_datetime"] == request["expected_datetime"]
    for content in (response.content.decode(), str(request)):
        assert not any(value in content for value in PERSONAL)
    (single,) = client.get(f"/open311/v2/oktyabrsky/requests/{incident.pk}.json").json()
    assert single == request
    single_xml = client.get(f"/open311/v2/oktyabrsky/requests/{incident.pk}.xml")
    assert xml_items(single_xml.content, "service_requests", "request") == [item]


def test_requests_filters(api, yugra) -> None:
    now = timezone.now()
    potholes = make_incident(yugra, topic_code="roads.potholes")
    heating = make_incident(yugra, topic_code="zhkh.heating")
    old = make_incident(yugra, topic_code="roads", received_at=now - timedelta(days=120))
    cut = timezone.now()
    with municipality_scope(yugra.pk):
        Incident.objects.filter(pk=heating.pk).update(
            status=Status.CLOSED, updated_at=cut + timedelta(seconds=1)
        )
    client = api(region_codes=["86"])

    def found(**params) -> list[str]:
        response = client.get("/open311/v2/oktyabrsky/requests.json", params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in response.json()]

    # Without dates: the last 90 days (GeoReport's default); newest first.
    assert found() == [str(heating.pk), str(potholes.pk)]
    assert found(start_date=(now - timedelta(days=200)).isoformat()) == [
        str(heating.pk),
        str(potholes.pk),
        str(old.pk),
    ]
    assert found(end_date=(now - timedelta(days=100)).isoformat()) == [str(old.pk)]
    assert found(status="closed") == [str(heating.pk)]
    assert found(status="open") == [str(potholes.pk)]
    assert found(status="open,closed") == [str(heating.pk), str(potholes.pk)]
    assert found(service_code="roads", start_date=(now - timedelta(days=200)).isoformat()) == [
        str(potholes.pk),
        str(old.pk),
    ]
    assert found(updated_after=cut.isoformat()) == [str(heating.pk)]
    assert found(service_request_id=f"{old.pk},{potholes.pk}") == [str(potholes.pk), str(old.pk)]
    assert found(page_size="1") == [str(heating.pk)]
    assert found(page_size="1", page="2") == [str(potholes.pk)]
    assert found(page_size="1", page="3") == []
