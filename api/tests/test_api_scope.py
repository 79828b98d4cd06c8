"""Tenancy through the API: a token sees exactly its scope; anything else is a 404 (or, for a
list filter, the same 400 as a slug that does not exist)."""

from __future__ import annotations

import functools
from decimal import Decimal

import pytest
from django.utils import timezone

from api.filters import IncidentFilters
from api.sync import keyset_page
from incidents.models import Incident
from incidents.tests.factories import make_incident
from mcu.tenancy import TenantScopeMissing, WrongMunicipality, municipality_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(yugra, lensky, askiz) -> dict[str, list[int]]:
    made: dict[str, list[int]] = {}
    for municipality in (yugra, lensky, askiz):
        made[municipality.slug] = [
            make_incident(municipality, external_id=f"{municipality.slug}-{n}").pk for n in range(3)
        ]
    return made


def listed_ids(client, **params) -> list[int]:
    response = client.get("/api/v1/incidents/", params)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_region_token_sees_exactly_its_region(api, incidents) -> None:
    yugra_client = api(region_codes=["86"])
    body = yugra_client.get("/api/v1/municipalities/").json()
    assert [m["slug"] for m in body["results"]] == ["oktyabrsky"]
    assert body["results"][0]["region"] == {
        "code": "86",
        "name": "Ханты-Мансийский автономный округ – Югра",
    }
    assert body["results"][0]["timezone"] == "Asia/Yekaterinburg"
    assert listed_ids(yugra_client) == incidents["oktyabrsky"]
    yakutia_client = api(region_codes=["14"])
    assert listed_ids(yakutia_client) == incidents["lensky"]


def test_municipality_token_sees_its_municipalities_only(api, incidents) -> None:
    client = api(municipality_slugs=["askiz"])
    assert [m["slug"] for m in client.get("/api/v1/municipalities/").json()["results"]] == ["askiz"]
    assert listed_ids(client) == incidents["askiz"]
    both = api(municipality_slugs=["askiz", "lensky"])
    assert sorted(listed_ids(both)) == sorted(incidents["askiz"] + incidents["lensky"])
    assert listed_ids(both, municipality="lensky") == incidents["lensky"]


def test_incident_of_another_scope_is_404_like_a_missing_one(api, incidents) -> None:
    client = api(region_codes=["86"])
    foreign = client.get(f"/api/v1/incidents/{incidents['lensky'][0]}/")
    missing = client.get("/api/v1/incidents/999999/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"detail": "Инцидент не найден."}
    own = client.get(f"/api/v1/incidents/{incidents['oktyabrsky'][0]}/")
    assert own.status_code == 200


def test_list_filter_on_a_foreign_municipality_is_the_400_of_an_unknown_one(api, incidents) -> None:
    client = api(region_codes=["86"])
    foreign = client.get("/api/v1/incidents/", {"municipality": "lensky"})
    unknown = client.get("/api/v1/incidents/", {"municipality": "atlantis"})
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json()["errors"].keys() == {"municipality"}
    assert unknown.json()["errors"].keys() == {"municipality"}
    assert "lensky" in foreign.json()["errors"]["municipality"][0]  # echoes only what was sent


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/roster/", {}),
        ("/api/v1/stats/summary/", {"from": "2026-11-01", "to": "2026-11-07"}),
        ("/api/v1/reports/weekly/", {"week": "2026-W45"}),
        ("/api/v1/kpis/", {"year": "2026"}),
    ],
)
def test_every_municipality_endpoint_answers_404_for_another_scope(
    api, incidents, path, params
) -> None:
    client = api(region_codes=["86"])
    own = client.get(path, {"municipality": "oktyabrsky", **params})
    foreign = client.get(path, {"municipality": "lensky", **params})
    missing = client.get(path, {"municipality": "atlantis", **params})
    assert own.status_code == 200
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"detail": "Муниципальное образование не найдено."}


@pytest.mark.parametrize(
    "suffix",
    [
        "discovery.json",
        "services.json",
        "services.xml",
        "requests.json",
        "requests.xml",
    ],
)
def test_every_open311_endpoint_answers_404_for_another_scope(api, incidents, suffix) -> None:
    client = api(region_codes=["86"])
    assert client.get(f"/open311/v2/oktyabrsky/{suffix}").status_code == 200
    foreign = client.get(f"/open311/v2/lensky/{suffix}")
    missing = client.get(f"/open311/v2/atlantis/{suffix}")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_request_of_another_municipality_is_404(api, incidents, fmt) -> None:
    client = api(municipality_slugs=["oktyabrsky", "lensky"])
    own = incidents["oktyabrsky"][0]
    lensky_id = incidents["lensky"][0]
    assert client.get(f"/open311/v2/oktyabrsky/requests/{own}.{fmt}").status_code == 200
    # Both municipalities are in scope, but the id belongs to the other one: not found here.
    across = client.get(f"/open311/v2/oktyabrsky/requests/{lensky_id}.{fmt}")
    missing = client.get(f"/open311/v2/oktyabrsky/requests/999999.{fmt}")
    assert across.status_code == missing.status_code == 404
    assert across.content == missing.content
    listed = client.get(f"/open311/v2/oktyabrsky/requests.json?service_request_id={lensky_id}")
    assert listed.json() == []


def test_roster_reads_the_municipality_of_the_scope_only(api, incidents) -> None:
    body = api(region_codes=["19"]).get("/api/v1/roster/", {"municipality": "askiz"}).json()
    holders = {row["holder"] for row in body["results"]}
    assert "Симаткин В.И." in holders  # Аскизский, Прил. 2: куратор
    assert "Аксёнова Н.Ю." not in holders  # Октябрьский's head


def test_masked_without_the_grant_exact_with_it(api, yugra) -> None:
    incident = make_incident(
        yugra,
        text=(
            "Иванов Иван Иванович пишет: яма у дома, звоните +7 (912) 345-67-89, ivanov@example.ru"
        ),
        citizen_name="Иванов Иван Иванович",
        citizen_email="ivanov@example.ru",
        citizen_phone="+79123456789",
        citizen_postal_address="628100, пгт. Октябрьское, ул. Ленина, д. 5, кв. 12",
        address="пгт. Октябрьское, ул. Ленина, д. 5",
        latitude=Decimal("62.455123"),
        longitude=Decimal("66.051987"),
    )
    masked = api(region_codes=["86"]).get(f"/api/v1/incidents/{incident.pk}/").json()
    assert masked["citizen"] == {
        "name": "***",
        "email": "***",
        "phone": "***",
        "profile_url": "***",
        "postal_address": "***",
        "masked": True,
    }
    assert masked["address"] == "пгт. Октябрьское, ул. Ленина"
    assert masked["coordinates"] == {"lat": 62.455, "lon": 66.052}
    assert masked["text"] == "[скрыто] пишет: яма у дома, звоните [скрыто], [скрыто]"
    listed = api(region_codes=["86"]).get("/api/v1/incidents/").json()["results"]
    assert listed[0]["citizen"] == masked["citizen"]
    assert listed[0]["text"] == masked["text"]
    assert listed[0]["coordinates"] == masked["coordinates"]  # a page loads them as floats

    exact = api(region_codes=["86"], personal_data=True)
    body = exact.get(f"/api/v1/incidents/{incident.pk}/").json()
    assert body["citizen"] == {
        "name": "Иванов Иван Иванович",
        "email": "ivanov@example.ru",
        "phone": "+79123456789",
        "profile_url": "https://vk.com/id100500",
        "postal_address": "628100, пгт. Октябрьское, ул. Ленина, д. 5, кв. 12",
        "masked": False,
    }
    assert body["address"] == "пгт. Октябрьское, ул. Ленина, д. 5"
    assert body["coordinates"] == {"lat": 62.455123, "lon": 66.051987}
    assert body["text"].startswith("Иванов Иван Иванович пишет")
    listed = exact.get("/api/v1/incidents/").json()["results"]
    assert listed[0]["citizen"] == body["citizen"]
    assert listed[0]["coordinates"] == body["coordinates"]


@pytest.mark.parametrize("stored", [True, False], ids=["stored masked forms", "none stored"])
def test_masked_text_is_the_same_whether_stored_or_not(api, yugra, stored) -> None:
    """An incident stores its masked text and address when made (``incidents.masking``); one
    made before that is masked when read. Readers without the grant see the same either way,
    and a text with nothing to hide (stored as «same as the text») comes out whole."""
    hiding = make_incident(
        yugra,
        text="Петров Пётр: звоните 8 912 345 67 89",
        citizen_name="Петров Пётр",
        address="пгт. Октябрьское, ул. Мира, д. 3",
    )
    plain = make_incident(yugra, text="Не горят фонари у школы.", address="ул. Школьная, 1")
    if not stored:
        with municipality_scope(yugra.pk):
            Incident.objects.filter(pk__in=[hiding.pk, plain.pk]).update(
                masked_text=None, masked_address=None
            )
    expected = {
        hiding.pk: ("[скрыто]: звоните [скрыто]", "пгт. Октябрьское, ул. Мира"),
        plain.pk: ("Не горят фонари у школы.", "ул. Школьная"),
    }
    client = api(region_codes=["86"])
    listed = client.get("/api/v1/incidents/", {"page_size": 1000}).json()["results"]
    assert {row["id"]: (row["text"], row["address"]) for row in listed} == expected
    for pk, (text, address) in expected.items():
        detail = client.get(f"/api/v1/incidents/{pk}/").json()
        assert (detail["text"], detail["address"]) == (text, address)
        (request,) = client.get(f"/open311/v2/oktyabrsky/requests/{pk}.json").json()
        assert (request["description"], request["address"]) == (text, address)
    exact = api(region_codes=["86"], personal_data=True)
    listed = exact.get("/api/v1/incidents/", {"page_size": 1000}).json()["results"]
    assert {row["id"]: row["text"] for row in listed} == {
        hiding.pk: "Петров Пётр: звоните 8 912 345 67 89",
        plain.pk: "Не горят фонари у школы.",
    }


def test_a_narrowed_token_loses_the_municipality_at_once(api, make_token, incidents) -> None:
    """The resolved scope is cached (api.tokens.token_scope); a change of the token's
    municipalities must reach the very next request, never after the cache expires."""
    from api.models import ApiToken
    from api.tests.conftest import ApiClient
    from mcu.models import Municipality

    issued = make_token(municipality_slugs=["askiz", "lensky"])
    client = ApiClient(issued.secret)
    assert sorted(listed_ids(client)) == sorted(incidents["askiz"] + incidents["lensky"])
    token = ApiToken.objects.get(pk=issued.token.pk)
    token.municipalities.remove(Municipality.objects.get(slug="lensky"))  # as the admin form does
    assert listed_ids(client) == incidents["askiz"]
    assert client.get(f"/api/v1/incidents/{incidents['lensky'][0]}/").status_code == 404
    token.municipalities.add(Municipality.objects.get(slug="lensky"))
    assert sorted(listed_ids(client)) == sorted(incidents["askiz"] + incidents["lensky"])


def test_a_municipality_leaving_the_region_leaves_the_region_token(api, incidents) -> None:
    from mcu.models import Municipality, Region

    client = api(region_codes=["14"])
    assert listed_ids(client) == incidents["lensky"]
    lensky = Municipality.objects.get(slug="lensky")
    lensky.region = Region.objects.get(code="86")
    lensky.save()
    assert listed_ids(client) == []
    assert [m["slug"] for m in client.get("/api/v1/municipalities/").json()["results"]] == []


def test_the_page_query_refuses_municipalities_outside_the_scope(incidents, yugra, lensky) -> None:
    """The list's SQL is written by hand, out of the tenant manager's sight: the page itself
    checks that every municipality it reads is in the current scope, and reads nothing
    without one."""
    page = functools.partial(
        keyset_page, cursor=None, size=10, now=timezone.now(), fields=["id", "updated_at"]
    )
    with municipality_scope(yugra.pk):
        rows = page(filters=IncidentFilters(municipality_ids=(yugra.pk,))).rows
        assert sorted(pk for pk, _updated_at in rows) == sorted(incidents["oktyabrsky"])
        with pytest.raises(WrongMunicipality):
            page(filters=IncidentFilters(municipality_ids=(yugra.pk, lensky.pk)))
    with pytest.raises(TenantScopeMissing):
        page(filters=IncidentFilters(municipality_ids=(yugra.pk,)))
