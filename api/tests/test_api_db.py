"""Plain SQL rows (``api.db.fetch_rows``) hold what the ORM's rows hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.db import fetch_rows
from incidents.models import Incident
from incidents.tests.factories import make_incident
from mcu.sql import column, table
from mcu.tenancy import municipality_scope

pytestmark = pytest.mark.django_db


def test_times_are_the_orms_instants_in_utc(yugra) -> None:
    """On PostgreSQL the page's cursor loads times with psycopg's own loader, on SQLite they
    are made aware: either way the same aware instants as the ORM's, in ``datetime.UTC``."""
    received = datetime(2026, 3, 1, 23, 59, 59, 999_999, tzinfo=UTC) + timedelta(hours=5)
    incident = make_incident(yugra, received_at=received)
    names = ("received_at", "updated_at", "answered_at")
    sql = (
        f"SELECT {', '.join(column(Incident, name) for name in names)} "  # noqa: S608
        f"FROM {table(Incident)} WHERE {column(Incident, 'id')} = %s"
    )
    (row,) = fetch_rows(sql, [incident.pk])
    with municipality_scope(yugra.pk):
        expected = Incident.objects.filter(pk=incident.pk).values_list(*names).get()
    assert row == expected
    assert row[0] == received
    assert row[0].tzinfo is UTC
    assert row[1].tzinfo is UTC
    assert row[2] is None
    # The connection's own loader is untouched: Django's cursors still load as before.
    with municipality_scope(yugra.pk):
        assert Incident.objects.get(pk=incident.pk).received_at == received
