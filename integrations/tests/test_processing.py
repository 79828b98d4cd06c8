"""Inbox rows → incidents in batches: one transaction per batch, exactly one incident per message
whether the batch runs twice, dies halfway or races another process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import transaction

from incidents.models import Incident, IncidentEvent
from incidents.services.intake import incident_create
from incidents.tests.factories import message
from integrations.models import InboundMessage
from integrations.services import processing
from integrations.services.inbox import inbox_accept
from integrations.services.processing import inbound_process, inbound_retry
from mcu.models import Municipality
from mcu.tenancy import municipality_scope

RECEIVED = datetime(2026, 11, 23, 5, 15, tzinfo=UTC)


@pytest.fixture(autouse=True)
def scope(municipality: Municipality) -> Iterator[None]:
    with municipality_scope(municipality.pk):
        yield


def pos(external_id: str, **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": external_id,
        "created_at": "2026-11-22T10:15:00+05:00",
        "category": {"code": "roads", "name": "Дороги"},
        "fast_track": False,
        "text": f"Яма на дороге по ул. Ленина, 5 ({external_id})",
        "address": "пгт. Октябрьское, ул. Ленина, 5",
        "applicant": {"name": "Иванов Иван", "email": "ivanov@example.ru"},
    }
    item.update(overrides)
    return item


def accept(municipality: Municipality, items: list[dict[str, Any]]) -> list[int]:
    results = inbox_accept(
        municipality=municipality, channel="pos", items=items, headers={}, received_at=RECEIVED
    )
    assert {r.status for r in results} == {"accepted"}
    return list(
        InboundMessage.objects.filter(external_id__in=[i["id"] for i in items])
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def unparsed(municipality: Municipality, external_id: str, body: str) -> InboundMessage:
    """A pending row without its parsed form — stored before the form was kept, or after a
    retry: processing parses its body."""
    return InboundMessage.objects.create(
        municipality=municipality,
        channel="pos",
        external_id=external_id,
        source=InboundMessage.Source.WEBHOOK,
        body=body,
        received_at=RECEIVED,
    )


def states(ids: list[int]) -> dict[str, tuple[str, str | None]]:
    return {
        row.external_id: (row.state, row.incident.external_id if row.incident else None)
        for row in InboundMessage.objects.filter(pk__in=ids).select_related("incident")
    }


def test_a_batch_becomes_incidents_and_its_rows_are_marked(municipality: Municipality) -> None:
    ids = accept(municipality, [pos(f"p-{n}") for n in range(5)])

    result = inbound_process(municipality_id=municipality.pk, inbound_ids=ids)

    assert (result.processed, result.duplicates, result.failed, result.skipped) == (5, 0, 0, 0)
    assert states(ids) == {f"p-{n}": ("processed", f"p-{n}") for n in range(5)}
    rows = InboundMessage.objects.filter(pk__in=ids)
    # Done: the body stays as received, the parsed form is not kept.
    done = {(r.attempts, r.error, r.processed_at is not None, r.normalized) for r in rows}
    assert done == {(1, "", True, "")}
    assert {json.loads(r.body)["id"] for r in rows} == {f"p-{n}" for n in range(5)}
    incidents = Incident.objects.filter(external_id__startswith="p-")
    assert {(i.channel, i.due_at is not None) for i in incidents} == {("pos", True)}
    created = IncidentEvent.objects.filter(incident__in=incidents, kind=IncidentEvent.Kind.CREATED)
    assert created.count() == 5


def test_running_twice_makes_nothing_twice(municipality: Municipality) -> None:
    ids = accept(municipality, [pos(f"t-{n}") for n in range(3)])
    inbound_process(municipality_id=municipality.pk, inbound_ids=ids)

    again = inbound_process(municipality_id=municipality.pk, inbound_ids=ids)

    assert (again.processed, again.skipped) == (0, 3)
    assert Incident.objects.filter(external_id__startswith="t-").count() == 3


def test_a_batch_that_dies_halfway_leaves_nothing_and_the_next_run_makes_one_each(
    municipality: Municipality,
) -> None:
    ids = accept(municipality, [pos(f"d-{n}") for n in range(4)])

    def killed_before_commit() -> None:
        with transaction.atomic():
            inbound_process(municipality_id=municipality.pk, inbound_ids=ids)
            raise RuntimeError("SIGKILL")

    with pytest.raises(RuntimeError):
        killed_before_commit()

    assert Incident.objects.filter(external_id__startswith="d-").count() == 0
    assert set(InboundMessage.objects.filter(pk__in=ids).values_list("state", flat=True)) == {
        "pending"
    }
    inbound_process(municipality_id=municipality.pk, inbound_ids=ids)
    assert Incident.objects.filter(external_id__startswith="d-").count() == 4


def test_a_message_whose_incident_exists_is_a_duplicate_of_it(municipality: Municipality) -> None:
    ids = accept(municipality, [pos("x-1"), pos("x-2")])
    by_hand, _ = incident_create(
        municipality=municipality,
        message=message(channel="pos", external_id="x-2", received_at=RECEIVED),
    )

    result = inbound_process(municipality_id=municipality.pk, inbound_ids=ids)

    assert (result.processed, result.duplicates) == (1, 1)
    assert states(ids) == {"x-1": ("processed", "x-1"), "x-2": ("duplicate", "x-2")}
    assert InboundMessage.objects.get(external_id="x-2").incident_id == by_hand.pk


def test_bad_rows_fail_alone_with_their_error(municipality: Municipality) -> None:
    ids = accept(municipality, [pos("g-1")])
    broken = unparsed(municipality, "g-2", json.dumps(pos("g-2", created_at="вчера")))
    not_json = unparsed(municipality, "g-3", "{not json")

    result = inbound_process(
        municipality_id=municipality.pk, inbound_ids=[*ids, broken.pk, not_json.pk]
    )

    assert (result.processed, result.failed) == (1, 2)
    broken.refresh_from_db()
    not_json.refresh_from_db()
    assert (broken.state, list(broken.error_fields)) == ("failed", ["created_at"])
    assert not_json.state == "failed"
    assert not_json.error.startswith("Expecting property name")


def test_the_parsed_message_is_kept_and_a_retry_parses_the_body_again(
    municipality: Municipality,
) -> None:
    (pk,) = accept(municipality, [pos("r-1")])
    row = InboundMessage.objects.get(pk=pk)
    assert row.normalized
    assert json.loads(row.normalized)["external_id"] == "r-1"
    row.state = InboundMessage.State.FAILED
    row.save(update_fields=["state"])

    inbound_retry(inbound=InboundMessage.objects.get(pk=pk))

    row.refresh_from_db()
    assert (row.state, row.normalized) == ("pending", "")
    inbound_process(municipality_id=municipality.pk, inbound_ids=[pk])
    assert states([pk]) == {"r-1": ("processed", "r-1")}


@pytest.mark.parametrize("stored", ["{not json", '{"v": 0}', "[]"])
def test_a_parsed_form_that_cannot_be_read_is_made_from_the_body(
    municipality: Municipality, stored: str
) -> None:
    """A parsed form from an older release, or damaged: the body is the truth."""
    row = unparsed(municipality, "u-1", json.dumps(pos("u-1")))
    row.normalized = stored
    row.save(update_fields=["normalized"])

    result = inbound_process(municipality_id=municipality.pk, inbound_ids=[row.pk])

    assert result.processed == 1
    assert states([row.pk]) == {"u-1": ("processed", "u-1")}


def test_a_fixed_row_retried_is_processed_and_keeps_no_old_error(
    municipality: Municipality,
) -> None:
    """The administrator sees a failed row's field errors, fixes the cause, retries: the row
    that became an incident shows no error any more."""
    row = unparsed(municipality, "x-1", json.dumps(pos("x-1", created_at="вчера")))
    inbound_process(municipality_id=municipality.pk, inbound_ids=[row.pk])
    row.refresh_from_db()
    assert (row.state, list(row.error_fields), row.attempts) == ("failed", ["created_at"], 1)
    row.body = json.dumps(pos("x-1"))  # the fix (here: the sender's, in the stored body)
    row.save(update_fields=["body"])

    with transaction.atomic():
        inbound_retry(inbound=InboundMessage.objects.get(pk=row.pk))
    inbound_process(municipality_id=municipality.pk, inbound_ids=[row.pk])

    row.refresh_from_db()
    assert (row.state, row.error, row.error_fields, row.attempts) == ("processed", "", {}, 1)
    assert states([row.pk]) == {"x-1": ("processed", "x-1")}


def test_a_batch_that_fails_unexpectedly_is_made_row_by_row(
    municipality: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in the batch path must not hold messages back: the rows go one by one."""
    ids = accept(municipality, [pos(f"f-{n}") for n in range(3)])

    def broken(**_: Any) -> Any:
        raise RuntimeError("a bug in the batch path")

    monkeypatch.setattr(processing, "incident_create_many", broken)
    result = inbound_process(municipality_id=municipality.pk, inbound_ids=ids)

    assert result.processed == 3
    assert states(ids) == {f"f-{n}": ("processed", f"f-{n}") for n in range(3)}
