"""A kept database connection that died between two requests (the database restarted, a
failover, an idle timeout) costs the next API request nothing (``api.db._fetch_prepared``).

These tests commit for real (``transaction=True``): the module-wide seed of conftest holds one
transaction open, and a connection cannot be dropped and opened again inside it.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections

from api.db import fetch_rows
from api.tests.conftest import ApiClient
from api.tokens import api_token_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server to drop the connection")


@pytest.fixture
def client(transactional_db: None) -> ApiClient:
    call_command("seed", verbosity=0)
    return ApiClient(api_token_create(name="reconnect", municipality_slugs=["oktyabrsky"]).secret)


def _backend() -> int:
    return int(connection.connection.info.backend_pid)


def _drop(pid: int) -> None:
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


def _next_request() -> None:
    """The boundary every served request crosses (``request_started``), which Django's test
    client leaves out: obsolete connections closed, the kept one due for a health check."""
    connection.close_if_unusable_or_obsolete()


def test_the_first_request_after_the_connection_died_is_answered(client) -> None:
    assert client.get("/api/v1/municipalities/").status_code == 200
    dropped = _backend()
    _drop(dropped)
    _next_request()

    response = client.get("/api/v1/municipalities/")

    assert response.status_code == 200, response.content
    assert _backend() != dropped


def test_a_statement_that_fails_on_a_live_connection_is_not_retried(client) -> None:
    assert client.get("/api/v1/municipalities/").status_code == 200
    kept = _backend()
    _next_request()

    with pytest.raises(DatabaseError, match="no_such_column"):
        fetch_rows("SELECT no_such_column FROM (SELECT 1) t", [])

    assert _backend() == kept  # not closed and opened again for a retry


def test_mid_request_a_dead_connection_is_an_error_not_a_silent_reconnect(client) -> None:
    # Once a statement of the request has run, a new connection would not see what the
    # request did on the old one: the failure is reported, as Django's own cursors report it.
    assert client.get("/api/v1/municipalities/").status_code == 200
    _next_request()
    fetch_rows("SELECT 1", [])
    _drop(_backend())

    with pytest.raises(DatabaseError):
        fetch_rows("SELECT 1", [])
    _next_request()  # where the request ends, the broken connection is closed
    assert client.get("/api/v1/municipalities/").status_code == 200
