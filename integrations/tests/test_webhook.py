"""The signed webhook: what a sender gets back, and what the inbox keeps."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from incidents.models import Incident
from integrations.models import InboundMessage
from integrations.services.processing import inbound_process
from integrations.services.secrets import channel_secret_rotate
from integrations.signatures import sign
from mcu.models import Municipality
from mcu.tenancy import municipality_scope

URL = "/integrations/pos/oktyabrsky/"


def pos_message(external_id: str = "pos-1", **overrides: Any) -> dict[str, Any]:
    message = {
        "id": external_id,
        "created_at": "2026-11-22T10:15:00+05:00",
        "category": {"code": "roads", "name": "Дороги"},
        "fast_track": False,
        "text": "Яма на дороге по ул. Ленина, 5 — колесо пробил!",
        "address": "пгт. Октябрьское, ул. Ленина, 5",
        "applicant": {"name": "Иванов Иван", "email": "ivanov@example.ru"},
    }
    message.update(overrides)
    return message


@pytest.fixture
def secret(municipality: Municipality) -> str:
    with municipality_scope(municipality.pk):
        return channel_secret_rotate(municipality=municipality, channel="pos")


def post(
    client: Client,
    payload: Any,
    secret: str,
    *,
    url: str = URL,
    timestamp: int | None = None,
    raw: bytes | None = None,
) -> Any:
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    ts = str(timestamp if timestamp is not None else int(time.time()))
    return client.post(
        url,
        data=body,
        content_type="application/json",
        headers={
            "X-MCU-Timestamp": ts,
            "X-MCU-Signature": sign(secret=secret, timestamp=ts, body=body),
        },
    )


def inbox(municipality: Municipality) -> list[tuple[str, str]]:
    with municipality_scope(municipality.pk):
        return list(InboundMessage.objects.order_by("pk").values_list("external_id", "state"))


def test_valid_message_is_accepted_and_becomes_an_incident(
    client, municipality, secret, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(client, pos_message(), secret)
    assert response.status_code == 202
    assert response.json() == {"results": [{"index": 0, "status": "accepted", "id": "pos-1"}]}
    assert inbox(municipality) == [("pos-1", "pending")]
    assert len(callbacks) == 1  # processing is enqueued only after the row is committed
    with municipality_scope(municipality.pk):
        ids = list(InboundMessage.objects.values_list("pk", flat=True))
    result = inbound_process(municipality_id=municipality.pk, inbound_ids=ids)
    assert (result.processed, result.failed) == (1, 0)
    with municipality_scope(municipality.pk):
        incident = Incident.objects.get(channel="pos", external_id="pos-1")
    assert incident.citizen_name == "Иванов Иван"
    assert inbox(municipality) == [("pos-1", "processed")]


def test_redelivery_is_a_duplicate_never_a_second_incident(client, municipality, secret):
    post(client, pos_message(), secret)
    with municipality_scope(municipality.pk):
        ids = list(InboundMessage.objects.values_list("pk", flat=True))
    inbound_process(municipality_id=municipality.pk, inbound_ids=ids)
    again = post(client, pos_message(text="тот же номер, другой текст"), secret)
    assert again.status_code == 202
    (result,) = again.json()["results"]
    assert result["status"] == "duplicate"
    with municipality_scope(municipality.pk):
        incident = Incident.objects.get(external_id="pos-1")
        assert Incident.objects.count() == 1
    assert result["incident"] == incident.pk


def test_array_with_valid_invalid_and_repeated_items(client, municipality, secret):
    payload = [
        pos_message("a"),
        pos_message("b", created_at="вчера"),
        {"id": "c", "text": "нет остальных полей"},
        pos_message("a"),
        "не объект",
    ]
    response = post(client, payload, secret)
    assert response.status_code == 202
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "accepted",
        "invalid",
        "invalid",
        "duplicate",
        "invalid",
    ]
    assert "created_at" in results[1]["errors"]
    assert set(results[2]["errors"]) >= {"created_at", "category", "fast_track", "applicant"}
    assert results[4]["errors"] == {"non_field_errors": ["Ожидался JSON-объект."]}
    states = inbox(municipality)
    assert ("a", "pending") in states
    assert [s for _, s in states].count("failed") == 3  # kept for the administrator


def test_bad_signature_stale_timestamp_and_replay_are_401(client, municipality, secret):
    body = json.dumps(pos_message()).encode()
    ts = str(int(time.time()))
    wrong = client.post(
        URL,
        data=body,
        content_type="application/json",
        headers={"X-MCU-Timestamp": ts, "X-MCU-Signature": "sha256=" + "0" * 64},
    )
    assert wrong.status_code == 401
    assert post(client, pos_message(), secret, timestamp=int(time.time()) - 400).status_code == 401
    missing = client.post(URL, data=body, content_type="application/json")
    assert missing.status_code == 401
    signature = sign(secret=secret, timestamp=ts, body=body)
    headers = {"X-MCU-Timestamp": ts, "X-MCU-Signature": signature}
    first = client.post(URL, data=body, content_type="application/json", headers=headers)
    replay = client.post(URL, data=body, content_type="application/json", headers=headers)
    assert (first.status_code, replay.status_code) == (202, 401)
    assert inbox(municipality) == [("pos-1", "pending")]


def test_previous_secret_still_works_during_rotation(client, municipality, secret):
    with municipality_scope(municipality.pk):
        newer = channel_secret_rotate(municipality=municipality, channel="pos")
        newest = channel_secret_rotate(municipality=municipality, channel="pos")
    assert post(client, pos_message("x"), newest).status_code == 202
    assert post(client, pos_message("y"), newer).status_code == 202
    assert post(client, pos_message("z"), secret).status_code == 401  # two rotations ago


def test_malformed_body_is_400_and_kept(client, municipality, secret):
    response = post(client, None, secret, raw=b'{"id": "broken", ')
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    with municipality_scope(municipality.pk):
        (row,) = InboundMessage.objects.all()
    assert (row.state, row.body) == ("failed", '{"id": "broken", ')


def test_oversize_is_413(client, municipality, secret, settings):
    settings.MCU_WEBHOOK_MAX_BYTES = 1000
    assert post(client, pos_message(text="я" * 2000), secret).status_code == 413
    assert inbox(municipality) == []


def test_unknown_channel_or_municipality_is_404(client, municipality, secret):
    assert (
        post(client, pos_message(), secret, url="/integrations/fax/oktyabrsky/").status_code == 404
    )
    assert post(client, pos_message(), secret, url="/integrations/pos/atlantis/").status_code == 404


def test_a_secret_of_another_municipality_is_refused(client, municipality, other_municipality):
    with municipality_scope(other_municipality.pk):
        foreign = channel_secret_rotate(municipality=other_municipality, channel="pos")
    assert post(client, pos_message(), foreign).status_code == 401
    assert inbox(municipality) == []


def test_nul_bytes_emoji_and_html_are_kept_as_text(client, municipality, secret):
    text = "Опасно! \u0000<script>alert(1)</script> 🕳️🚗"
    response = post(client, pos_message(text=text), secret)
    assert response.json()["results"][0]["status"] == "accepted"
    with municipality_scope(municipality.pk):
        ids = list(InboundMessage.objects.values_list("pk", flat=True))
    inbound_process(municipality_id=municipality.pk, inbound_ids=ids)
    with municipality_scope(municipality.pk):
        incident = Incident.objects.get(external_id="pos-1")
    assert incident.text == "Опасно! <script>alert(1)</script> 🕳️🚗"
