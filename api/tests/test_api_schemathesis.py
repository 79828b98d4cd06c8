"""schemathesis against the served ``/api/schema/``: every operation, ≥ 200 generated cases
each (positive and negative), with a valid token — no server error, no response that breaks
the schema (issue 7, «Tests that must exist»).

The schema is fetched from ``/api/schema/`` through the WSGI application when this module is
imported, so each operation becomes its own pytest test; requests go through the same WSGI
application in-process, against the test database with a small real data set.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client, override_settings
from hypothesis import HealthCheck
from schemathesis import GenerationMode

from api.tokens import api_token_create
from incidents.tests.factories import make_incident
from mcu.models import Municipality

CASES_PER_OPERATION = 200
# Checks that hold whatever the data: the API never fails, and answers only as documented.
# Left out: `positive_data_acceptance` (a schema-valid slug or id that does not exist is a 404
# by design; the schema cannot list every municipality's slugs) and `negative_data_rejection`
# (every case here carries the valid token, so a case made "negative" only by dropping the
# Authorization header is in fact valid; the header itself is tested by `ignored_auth` and by
# test_api_bad_input).
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.ignored_auth,
    schemathesis.checks.unsupported_method,
]


def _served_schema() -> dict[str, Any]:
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


schema = schemathesis.openapi.from_dict(_served_schema())
schema.app = get_wsgi_application()
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
CALLS: Counter[str] = Counter()


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """The WSGI app fires request_started/finished, whose close_old_connections() would close
    the test's connection mid-transaction (PostgreSQL); Django's own test Client unhooks it
    the same way for the duration of a request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def secret(seeded, settings, keep_test_connection) -> str:
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    for slug in ("oktyabrsky", "lensky"):
        municipality = Municipality.objects.get(slug=slug)
        for n in range(3):
            make_incident(
                municipality,
                external_id=f"st-{slug}-{n}",
                topic_code="roads.potholes",
                address="ул. Ленина, 5",
                latitude=Decimal("62.4"),
                longitude=Decimal("66.0"),
            )
    # A generous rate: 200+ cases a minute per operation are the point here, not the throttle.
    return api_token_create(
        name="schemathesis", region_codes=["86"], personal_data=True, rate_per_minute=1_000_000
    ).secret


@schema.parametrize()
@hypothesis.settings(
    max_examples=CASES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=True,
)
def test_every_operation_conforms_to_the_schema(case: schemathesis.Case, secret: str) -> None:
    # Half the cases aim at real data (the token's municipality, an incident of it), so the
    # 200 answers are validated too, not only the 4xx ones.
    CALLS[case.operation.label] += 1
    if CALLS[case.operation.label] % 2:
        if "slug" in (case.path_parameters or {}):
            case.path_parameters["slug"] = "oktyabrsky"
        if isinstance(case.query, dict) and "municipality" in case.query:
            case.query["municipality"] = "oktyabrsky"
    case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)


def test_every_operation_is_covered() -> None:
    # Runs after the generated tests (same module, defined later): how many cases each got.
    for label, count in sorted(CALLS.items()):
        print(f"schemathesis cases: {label}: {count}")
    operations = {
        f"{method.upper()} {path}"
        for path, methods in _served_schema()["paths"].items()
        for method in methods
    }
    assert len(operations) == 14
    assert "GET /api/v1/incidents/" in operations
    assert "GET /open311/v2/{slug}/requests.xml" in operations
