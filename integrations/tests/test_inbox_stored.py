"""``inbox_stored``: which of a chunk's external ids the inbox already holds (the duplicate check
of the webhook and of imports), in plain SQL on PostgreSQL — so stated here, per municipality."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import InboundMessage
from integrations.services.inbox import inbox_accept, inbox_stored
from integrations.tests.test_processing import pos
from mcu.models import Municipality
from mcu.tenancy import WrongMunicipality, municipality_scope
from mcu.tests.copies import copy_row

pytestmark = pytest.mark.django_db
RECEIVED = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


def _accept(municipality: Municipality, channel: str, items: list[dict]) -> None:
    with municipality_scope(municipality.pk):
        results = inbox_accept(
            municipality=municipality,
            channel=channel,
            items=items,
            headers={},
            received_at=RECEIVED,
        )
    assert {r.status for r in results} <= {"accepted", "invalid"}


def test_only_this_municipalitys_and_channels_rows_are_found(municipality, other_municipality):
    _accept(municipality, "pos", [pos("A-1"), pos("A-2")])
    _accept(other_municipality, "pos", [pos("A-3"), pos("A-1-elsewhere")])
    with municipality_scope(other_municipality.pk):
        # The same id in another municipality is another message.
        _accept(other_municipality, "pos", [pos("A-2")])

    with municipality_scope(municipality.pk):
        found = inbox_stored(
            municipality_id=municipality.pk,
            channel="pos",
            external_ids=["A-1", "A-2", "A-3", "nowhere"],
            columns=("external_id", "municipality_id"),
        )
        other_channel = inbox_stored(
            municipality_id=municipality.pk, channel="im", external_ids=["A-1"], columns=("id",)
        )

    assert sorted(found) == [("A-1", municipality.pk), ("A-2", municipality.pk)]
    assert other_channel == []


def test_another_municipalitys_inbox_is_refused_not_read(municipality, other_municipality):
    _accept(other_municipality, "pos", [pos("C-1")])
    with municipality_scope(municipality.pk), pytest.raises(WrongMunicipality):
        inbox_stored(
            municipality_id=other_municipality.pk,
            channel="pos",
            external_ids=["C-1"],
            columns=("id",),
        )


def test_rows_without_an_id_are_never_a_match(municipality):
    _accept(municipality, "pos", [{"text": "без идентификатора"}])  # stored failed, id ""
    with municipality_scope(municipality.pk):
        assert InboundMessage.objects.filter(external_id="").exists()

    with municipality_scope(municipality.pk):
        found = inbox_stored(
            municipality_id=municipality.pk, channel="pos", external_ids=[""], columns=("id",)
        )
    assert found == []


def test_an_import_batch_finds_only_its_own_rows(municipality):
    from integrations.models import ImportBatch

    with municipality_scope(municipality.pk):
        batch = ImportBatch.objects.create(municipality=municipality, channel="pos", file_name="x")
        results = inbox_accept(
            municipality=municipality,
            channel="pos",
            items=[pos("B-1")],
            headers={},
            received_at=RECEIVED,
            import_batch_id=batch.pk,
        )
    assert results[0].status == "accepted"
    _accept(municipality, "pos", [pos("B-2")])  # by webhook, no batch

    with municipality_scope(municipality.pk):
        found = inbox_stored(
            municipality_id=municipality.pk,
            channel="pos",
            external_ids=["B-1", "B-2"],
            columns=("external_id",),
            import_batch_id=batch.pk,
        )

    assert found == [("B-1",)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner; CI runs on it")
def test_a_municipality_new_to_the_statistics_is_probed_by_the_unique_key(
    municipality, other_municipality
):
    """A municipality's first import: the planner's statistics, taken before it had a row, say
    it has none. Any other index beginning with the municipality then looked as cheap as the
    unique key, and the probe read all the municipality's rows for each id (1.4 s a chunk of
    500 at 20 000 rows)."""
    _accept(municipality, "pos", [pos("st-template")])
    with municipality_scope(municipality.pk):
        template = InboundMessage.objects.get(external_id="st-template").pk
    copy_row(InboundMessage, template, 100_000, external_id="'st-old-' || n")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {InboundMessage._meta.db_table}")
    # Its first import, after the statistics.
    copy_row(
        InboundMessage,
        template,
        20_000,
        external_id="'st-new-' || n",
        municipality_id=str(other_municipality.pk),
    )
    wanted = [f"st-new-{n}" for n in range(1000, 1500)]

    with municipality_scope(other_municipality.pk), CaptureQueriesContext(connection) as queries:
        found = inbox_stored(
            municipality_id=other_municipality.pk,
            channel="pos",
            external_ids=wanted,
            columns=("external_id",),
        )
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + queries.captured_queries[-1]["sql"])
            (plan,) = cursor.fetchone()

    assert sorted(found) == sorted((external_id,) for external_id in wanted)
    assert set(re.findall(r'"Index Name": "(\w+)"', json.dumps(plan))) == {
        "inbound_external_unique"
    }
