"""The worker's claim of a batch (``processing._claim``): the batch's rows still pending, of its
own municipality, locked for the worker's transaction, each found by its id whatever the
planner's statistics say."""

from __future__ import annotations

import json
import re
import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from integrations.models import InboundMessage
from integrations.services import normalized, processing
from integrations.services.processing import inbound_process
from integrations.tests.test_processing import accept, pos
from mcu.models import Municipality
from mcu.tenancy import WrongMunicipality, municipality_scope
from mcu.tests.copies import copy_row

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's locks and planner; CI runs on it"
)


@pytest.mark.django_db
def test_only_this_municipalitys_pending_rows_are_claimed(
    municipality: Municipality, other_municipality: Municipality
) -> None:
    with municipality_scope(municipality.pk):
        ids = accept(municipality, [pos(f"c-{n}") for n in range(4)])
        inbound_process(municipality_id=municipality.pk, inbound_ids=ids[:1])  # done already
    with municipality_scope(other_municipality.pk):
        foreign = accept(other_municipality, [pos("c-foreign")])

    with municipality_scope(municipality.pk), transaction.atomic():
        claimed = processing._claim(municipality.pk, [ids[3], *foreign, ids[0], ids[1], ids[2]])

    assert [row.pk for row in claimed] == ids[1:]  # in id order
    assert {(row.municipality_id, row.state, row.attempts) for row in claimed} == {
        (municipality.pk, "pending", 0)
    }
    # The parsed form comes with each row (the body is read only where it is missing).
    parsed = [normalized.load(row.normalized) for row in claimed]
    assert [p.message.external_id if p else None for p in parsed] == ["c-1", "c-2", "c-3"]
    with municipality_scope(other_municipality.pk):
        assert InboundMessage.objects.get(pk=foreign[0]).state == "pending"


@pytest.mark.django_db
def test_another_municipalitys_batch_is_refused_not_read(
    municipality: Municipality, other_municipality: Municipality
) -> None:
    with municipality_scope(other_municipality.pk):
        foreign = accept(other_municipality, [pos("c-theirs")])

    with (
        municipality_scope(municipality.pk),
        transaction.atomic(),
        pytest.raises(WrongMunicipality),
    ):
        processing._claim(other_municipality.pk, foreign)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_rows_another_worker_holds_are_skipped_not_waited_for(municipality: Municipality) -> None:
    with municipality_scope(municipality.pk):
        ids = accept(municipality, [pos(f"h-{n}") for n in range(4)])
    held, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with municipality_scope(municipality.pk), transaction.atomic():
                assert [row.pk for row in processing._claim(municipality.pk, ids[:2])] == ids[:2]
                held.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert held.wait(timeout=30)
        with municipality_scope(municipality.pk), transaction.atomic():
            claimed = processing._claim(municipality.pk, ids)
    finally:
        release.set()
        thread.join(timeout=30)

    assert [row.pk for row in claimed] == ids[2:]


@on_postgresql
@pytest.mark.django_db
def test_a_claim_finds_its_rows_by_id_when_statistics_say_nothing_is_pending(
    municipality: Municipality,
) -> None:
    """An inbox's statistics are taken while nearly all its rows are processed. Planned by
    them, a claim that named the municipality and the state beside the ids read every pending
    row of the municipality through an index by state — the whole backlog of a large
    import, for each batch of 500."""
    with municipality_scope(municipality.pk):
        (template,) = accept(municipality, [pos("s-template")])
    table = InboundMessage._meta.db_table
    # The planner weighs index depths by size: it takes this many rows.
    copy_row(InboundMessage, template, 100_000, external_id="'s-done-' || n", state="'processed'")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    # An import's backlog, after the statistics.
    copy_row(InboundMessage, template, 3000, external_id="'s-new-' || n", state="'pending'")
    with municipality_scope(municipality.pk):
        ids = list(
            InboundMessage.objects.filter(external_id__startswith="s-new-")
            .order_by("pk")
            .values_list("pk", flat=True)[1000:1500]
        )

    with (
        municipality_scope(municipality.pk),
        transaction.atomic(),
        CaptureQueriesContext(connection) as queries,
    ):
        claimed = processing._claim(municipality.pk, ids)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + queries.captured_queries[-1]["sql"])
            (plan,) = cursor.fetchone()

    assert [row.pk for row in claimed] == ids
    used = set(re.findall(r'"Index Name": "(\w+)"', json.dumps(plan)))
    assert used == {f"{table}_pkey"}
