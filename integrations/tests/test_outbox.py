"""Answers back out: queued in the publishing transaction, delivered with retries and backoff."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from incidents.models import Status
from incidents.tests.factories import incident_at, oktyabrsky_staff
from integrations.models import OutboxMessage
from integrations.services.outbox import backoff, outbox_deliver, outbox_requeue_due
from mcu.tenancy import municipality_scope


@pytest.fixture
def staff(municipality, make_user):
    return oktyabrsky_staff(municipality, make_user)


def outbox(municipality) -> list[OutboxMessage]:
    with municipality_scope(municipality.pk):
        return list(OutboxMessage.objects.order_by("pk"))


class Endpoint:
    """A real HTTP server on 127.0.0.1 answering with the statuses it is given, in turn."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[dict[str, object]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                endpoint.received.append(json.loads(self.rfile.read(length)))
                status = endpoint.statuses.pop(0) if endpoint.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/answers"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint_factory() -> Iterator[list[Endpoint]]:
    started: list[Endpoint] = []
    yield started
    for endpoint in started:
        endpoint.close()


def test_publishing_queues_one_delivery_in_the_same_transaction(staff, municipality):
    incident = incident_at(Status.ANSWERED, staff, channel="pos")
    (row,) = outbox(municipality)
    assert (row.incident_id, row.channel, row.state) == (incident.pk, "pos", "pending")
    assert row.payload["external_id"] == incident.external_id
    assert row.payload["text"]


def test_without_an_endpoint_the_answer_is_delivered_to_the_log(staff, municipality, caplog):
    incident_at(Status.ANSWERED, staff, channel="pos")
    (row,) = outbox(municipality)
    with caplog.at_level("INFO", logger="mcu.integrations.outbound"):
        assert outbox_deliver(municipality_id=municipality.pk, outbox_id=row.pk) == "sent"
    assert "answer to pos" in caplog.text
    assert outbox_deliver(municipality_id=municipality.pk, outbox_id=row.pk) == "skipped"


def test_transient_failures_retry_with_backoff_then_succeed(
    staff, municipality, settings, endpoint_factory
):
    endpoint = Endpoint([503, 502, 200])
    endpoint_factory.append(endpoint)
    settings.MCU_CHANNEL_ENDPOINTS = {"pos": endpoint.url}
    incident_at(Status.ANSWERED, staff, channel="pos")
    (row,) = outbox(municipality)
    now = timezone.now()
    assert outbox_deliver(municipality_id=municipality.pk, outbox_id=row.pk, now=now) == "pending"
    (row,) = outbox(municipality)
    assert (row.attempts, row.next_attempt_at, row.last_error) == (
        1,
        now + timedelta(minutes=1),
        "HTTP 503",
    )
    outbox_deliver(municipality_id=municipality.pk, outbox_id=row.pk, now=now)
    (row,) = outbox(municipality)
    assert row.next_attempt_at == now + backoff(2) == now + timedelta(minutes=2)
    assert outbox_deliver(municipality_id=municipality.pk, outbox_id=row.pk, now=now) == "sent"
    assert len(endpoint.received) == 3
    assert endpoint.received[-1]["external_id"] == row.payload["external_id"]


def test_a_refusal_is_not_retried_and_is_visible(staff, municipality, settings, endpoint_factory):
    endpoint = Endpoint([400])
    endpoint_factory.append(endpoint)
    settings.MCU_CHANNEL_ENDPOINTS = {"pos": endpoint.url}
    incident_at(Status.ANSWERED, staff, channel="pos")
    (row,) = outbox(municipality)
    assert outbox_deliver(municipality_id=municipality.pk, outbox_id=row.pk) == "failed"
    (row,) = outbox(municipality)
    assert "400" in row.last_error


def test_unreachable_endpoint_gives_up_after_the_last_attempt(staff, municipality, settings):
    settings.MCU_CHANNEL_ENDPOINTS = {"pos": "http://127.0.0.1:9/answers"}  # discard port: closed
    incident_at(Status.ANSWERED, staff, channel="pos")
    (row,) = outbox(municipality)
    states = [outbox_deliver(municipality_id=municipality.pk, outbox_id=row.pk) for _ in range(8)]
    assert states == ["pending"] * 7 + ["failed"]


def test_sweeper_hands_over_only_due_rows(staff, municipality, django_capture_on_commit_callbacks):
    incident_at(Status.ANSWERED, staff, channel="pos")
    (row,) = outbox(municipality)
    with municipality_scope(municipality.pk):
        OutboxMessage.objects.filter(pk=row.pk).update(
            next_attempt_at=timezone.now() + timedelta(hours=1)
        )
    assert outbox_requeue_due() == 0
    assert outbox_requeue_due(now=timezone.now() + timedelta(hours=2)) == 1


def test_edds_answers_are_not_sent_back(staff, municipality):
    incident_at(Status.ANSWERED, staff, channel="edds")
    assert outbox(municipality) == []
