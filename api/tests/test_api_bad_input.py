"""Bad input is a 400 or 401 that says what was wrong — never a 500 (issue 7 item 4)."""

from __future__ import annotations

import pytest
from django.test import Client

from api.tests.conftest import ApiClient
from incidents.tests.factories import make_incident

pytestmark = pytest.mark.django_db

BIG = str(2**63)
PATHS = [
    "/api/v1/municipalities/",
    "/api/v1/incidents/",
    "/api/v1/incidents/1/",
    "/api/v1/roster/?municipality=oktyabrsky",
    "/api/v1/stats/summary/?municipality=oktyabrsky&from=2026-11-01&to=2026-11-07",
    "/api/v1/reports/weekly/?municipality=oktyabrsky",
    "/api/v1/kpis/?municipality=oktyabrsky",
    "/open311/v2/oktyabrsky/discovery.json",
    "/open311/v2/oktyabrsky/requests.json",
    "/open311/v2/oktyabrsky/requests.xml",
]


@pytest.fixture
def client(api, yugra) -> ApiClient:
    make_incident(yugra)
    return api(region_codes=["86"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "nonsense"}, "status"),
        ({"channel": "fax"}, "channel"),
        ({"sector": "no-such-block"}, "sector"),
        ({"topic": "no.such.topic"}, "topic"),
        ({"municipality": "atlantis"}, "municipality"),
        ({"overdue": "maybe"}, "overdue"),
        ({"fast_track": "yes please"}, "fast_track"),
        ({"received_after": "yesterday"}, "received_after"),
        ({"received_after": "2026-13-45T10:00:00+05:00"}, "received_after"),
        ({"received_before": "2026-11-22T10:00:00"}, "received_before"),  # no offset
        ({"updated_after": "99999-01-01T00:00:00Z"}, "updated_after"),
        ({"updated_after": "1900-01-01T00:00:00Z"}, "updated_after"),
        ({"page_size": "1001"}, "page_size"),
        ({"page_size": BIG}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "-1"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "bi45OTk5OTk5OTk5OTk5OTk5OTk5OTkuMQ"}, "cursor"),  # year 30000
        ({"status": "new\x00"}, "status"),
        ({"topic": "roads\x00"}, "topic"),
        ({"sector": "\x00"}, "sector"),
        ({"updated_after": "2026-11-22T10:00:00\x00+05:00"}, "updated_after"),
        ({"no_such_filter": "1"}, "no_such_filter"),
        ({"x\x00y": "1"}, "x\x00y"),
    ],
)
def test_incident_list_rejects_bad_parameters(client, params, field) -> None:
    response = client.get("/api/v1/incidents/", params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "Неверные параметры запроса."
    assert list(body["errors"]) == [field]
    assert all(isinstance(m, str) and m for m in body["errors"][field])


def test_a_typed_plus_in_an_offset_is_understood(client) -> None:
    # "+05:00" typed unencoded into a URL arrives as " 05:00".
    response = client.get("/api/v1/incidents/?updated_after=2026-11-22T10:00:00+05:00")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/incidents/{BIG}/",
        f"/api/v1/incidents/{2**64}/",
        "/api/v1/incidents/0/",
        "/api/v1/incidents/-1/",
        "/api/v1/incidents/%00/",
        "/api/v1/nothing-here/",
        f"/open311/v2/oktyabrsky/requests/{BIG}.json",
        f"/open311/v2/oktyabrsky/requests/{BIG}.xml",
        "/open311/v2/okt%00yabrsky/requests.json",
        "/open311/v3/oktyabrsky/requests.json",
    ],
)
def test_impossible_ids_and_paths_are_404(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith(("application/json", "text/xml"))


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/roster/", {"municipality": "oktyabrsky", "at": "2026-02-30"}, "at"),
        ("/api/v1/roster/", {"municipality": "oktyabrsky", "at": "1"}, "at"),
        ("/api/v1/roster/", {}, "municipality"),
        ("/api/v1/roster/", {"municipality": ["oktyabrsky", "lensky"]}, "municipality"),
        ("/api/v1/roster/", {"municipality": "oktyabrsky\x00"}, "municipality"),
        ("/api/v1/stats/summary/", {"municipality": "oktyabrsky", "to": "2026-11-07"}, "from"),
        (
            "/api/v1/stats/summary/",
            {"municipality": "oktyabrsky", "from": "2026-11-10", "to": "2026-11-01"},
            "to",
        ),
        (
            "/api/v1/stats/summary/",
            {"municipality": "oktyabrsky", "from": "2000-01-01", "to": "2026-11-01"},
            "to",
        ),
        (
            "/api/v1/stats/summary/",
            {"municipality": "oktyabrsky", "from": BIG, "to": "2026-11-01"},
            "from",
        ),
        ("/api/v1/reports/weekly/", {"municipality": "oktyabrsky", "week": "2026-W54"}, "week"),
        ("/api/v1/reports/weekly/", {"municipality": "oktyabrsky", "week": BIG}, "week"),
        ("/api/v1/kpis/", {"municipality": "oktyabrsky", "year": BIG}, "year"),
        ("/api/v1/kpis/", {"municipality": "oktyabrsky", "year": "1999"}, "year"),
        ("/api/v1/municipalities/", {"page": "1"}, "page"),
    ],
)
def test_other_endpoints_reject_bad_parameters(client, path, params, field) -> None:
    response = client.get(path, params)
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_date": "last week"}, "start_date"),
        ({"end_date": "2026-11-22"}, "end_date"),  # a date is not a datetime with an offset
        ({"updated_after": "2026-11-22T10:00:00\x00Z"}, "updated_after"),
        ({"status": "pending"}, "status"),
        ({"page": BIG}, "page"),
        ({"page": "0"}, "page"),
        ({"page_size": "1001"}, "page_size"),
        ({"service_request_id": BIG}, "service_request_id"),
        ({"service_request_id": "1,x"}, "service_request_id"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_rejects_bad_parameters_in_its_own_error_format(client, params, field, fmt) -> None:
    response = client.get(f"/open311/v2/oktyabrsky/requests.{fmt}", params)
    assert response.status_code == 400
    text = response.content.decode()
    assert field in text
    if fmt == "json":
        (error,) = response.json()
        assert error["code"] == 400
        assert field in error["description"]
    else:
        assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<errors><error><code>400')


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token mcu_abc",
        "Bearer mcu_" + "x" * 43,
        "Bearer a b",
        "Bearer \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        "Bearer токен-по-русски-очень-длинный",
        "Bearer " + "A" * 5000,
        "bearer\tmcu_short",
    ],
)
@pytest.mark.parametrize("path", PATHS)
def test_broken_authorization_is_401(client, header, path) -> None:
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = Client().get(path, **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    if path.endswith(".xml"):
        assert b"<errors><error><code>401</code>" in response.content
    elif "/open311/" in path:
        assert response.json()[0]["code"] == 401
    else:
        assert response.json()["detail"]


def test_latin1_bytes_in_the_header_are_401(client) -> None:
    # WSGI hands header bytes over as latin-1 text: "é" here is a raw 0xE9 byte on the wire.
    response = Client().get("/api/v1/incidents/", HTTP_AUTHORIZATION="Bearer caf\xe9" * 3)
    assert response.status_code == 401


def test_schema_and_docs_are_public_and_offline(client) -> None:
    schema = Client().get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/incidents/" in paths
    assert "/open311/v2/{slug}/requests.xml" in paths
    docs = Client().get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower()
    assert "unpkg" not in docs
    assert "jsdelivr" not in docs
