"""A sync client can follow ``Link: rel="next"`` without parsing the body, and a big page streams
the very bytes a small one is rendered as; on PostgreSQL the page runs as a prepared statement
on a generic plan (``api.db.fetch_rows``)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import orjson
import pytest
from django.db import connection
from django.http import StreamingHttpResponse

from api.renderers import dumps, link_header, stream_object
from api.views import STREAM_ROWS
from incidents.services.intake_many import incident_create_many
from incidents.tests.factories import make_incident, message
from mcu.models import Municipality
from mcu.tenancy import municipality_scope

LINK = re.compile(r'<([^>]+)>; rel="(next|previous)"')
PAGE_STATEMENT = '%FROM "incidents_incident" i%'


def body(response: Any) -> bytes:
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content)  # type: ignore[arg-type]  # bytes chunks
    return bytes(response.content)


def links(response: Any) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.get("Link", ""))}


def many_incidents(municipality: Municipality, count: int) -> None:
    with municipality_scope(municipality.pk):
        incident_create_many(
            municipality=municipality,
            messages=[message(external_id=f"stream-{n}", text=f"Текст {n}") for n in range(count)],
        )


@pytest.mark.parametrize(
    ("head", "items", "chunk"),
    [
        ({"next": "a", "previous": None}, list(range(7)), 3),
        ({"next": "a"}, list(range(6)), 3),  # chunks that divide the items
        ({"next": None}, [], 3),
        ({}, [1, 2], 1),
    ],
)
def test_streamed_object_is_the_rendered_object_byte_for_byte(
    head: dict[str, Any], items: list[int], chunk: int
) -> None:
    def present(part: list[int]) -> list[dict[str, int]]:
        return [{"n": n} for n in part]

    streamed = b"".join(stream_object(head, "results", items, present, chunk=chunk))
    assert streamed == dumps({**head, "results": present(items)})


def test_keys_that_are_not_strings_still_render() -> None:
    assert dumps({"a": 1}) == b'{"a":1}'
    assert dumps({1: "x", date(2026, 12, 7): Decimal("2.5")}) == b'{"1":"x","2026-12-07":2.5}'
    with pytest.raises(TypeError):
        dumps({"a": object()})


def test_link_header_names_next_and_previous_only() -> None:
    assert link_header({"next": "n", "previous": "p", "resume": "r"}) == (
        '<n>; rel="next", <p>; rel="previous"'
    )
    assert link_header({"next": None, "previous": None, "resume": "r"}) == ""


def test_small_page_carries_its_links_in_the_header_too(api, yugra) -> None:
    for _ in range(3):
        make_incident(yugra)
    client = api(region_codes=["86"])
    first = client.get("/api/v1/incidents/", {"page_size": 2})
    assert not first.streaming
    page = first.json()
    assert links(first) == {"next": page["next"]}
    last = client.get(links(first)["next"])
    page = last.json()
    assert page["next"] is None
    assert links(last) == {"previous": page["previous"]}


def test_big_page_streams_what_it_would_render_and_its_link_leads_on(api, yugra) -> None:
    many_incidents(yugra, STREAM_ROWS + 30)
    client = api(region_codes=["86"])
    streamed = client.get("/api/v1/incidents/", {"page_size": STREAM_ROWS + 10})
    assert streamed.streaming
    assert streamed["Content-Type"] == "application/json"
    page = orjson.loads(body(streamed))
    assert len(page["results"]) == STREAM_ROWS + 10
    assert links(streamed) == {"next": page["next"]}
    # The same rows as pages small enough to be rendered whole: the same objects.
    small: list[dict[str, Any]] = []
    url: str | None = "/api/v1/incidents/?page_size=100"
    while url:
        response = client.get(url)
        assert not response.streaming
        small += response.json()["results"]
        url = response.json()["next"]
    rest = orjson.loads(body(client.get(links(streamed)["next"])))["results"]
    assert page["results"] + rest == small
    assert len(small) == STREAM_ROWS + 30


def test_head_of_a_big_page_is_not_streamed(api, yugra) -> None:
    many_incidents(yugra, STREAM_ROWS + 5)
    response = api(region_codes=["86"]).head("/api/v1/incidents/", {"page_size": 1000})
    assert response.status_code == 200
    assert not response.streaming


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_pages_run_prepared_on_generic_plans(api, yugra) -> None:
    for _ in range(3):
        make_incident(yugra)
    client = api(region_codes=["86"])
    generic_before, custom_before = _plans(PAGE_STATEMENT)
    for _ in range(3):
        assert client.get("/api/v1/incidents/", {"status": "new"}).status_code == 200
    generic_after, custom_after = _plans(PAGE_STATEMENT)
    generic, custom = generic_after - generic_before, custom_after - custom_before
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        (mode,) = cursor.fetchone()
    assert mode == "force_generic_plan"
    assert generic == 3  # each page: one prepared statement, its generic plan
    assert custom == 0


def _plans(statement: str = "%") -> tuple[int, int]:
    """Generic and custom plans the session's prepared statements LIKE ``statement`` have used
    so far."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0) "
            "FROM pg_prepared_statements WHERE statement LIKE %s",
            [statement],
        )
        generic, custom = cursor.fetchone()
    return int(generic), int(custom)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_without_prepared_statements_pages_still_run(api, yugra) -> None:
    """``DB_PREPARED_STATEMENTS=false`` (behind PgBouncer): the same statements, unprepared."""
    made = [make_incident(yugra) for _ in range(2)]
    client = api(region_codes=["86"])
    client.get("/api/v1/incidents/")  # prepared now, as usual
    connection.ensure_connection()
    raw = connection.connection
    kept = raw.prepare_threshold
    raw.prepare_threshold = None  # what the setting leaves in place
    try:
        before = _plans()
        page = client.get("/api/v1/incidents/").json()
        after = _plans()
    finally:
        raw.prepare_threshold = kept
    assert [row["id"] for row in page["results"]] == [incident.pk for incident in made]
    assert after == before  # no prepared statement ran: not the token's, not the page's
