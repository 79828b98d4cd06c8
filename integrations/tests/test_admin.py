"""The administrator sees failed inbox rows with their errors and retries them after a fix."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from integrations.models import InboundMessage
from mcu.models import Municipality
from mcu.tenancy import municipality_scope
from roles.models import User


def _failed_row(municipality: Municipality, external_id: str) -> InboundMessage:
    body = {
        "id": external_id,
        "created_at": "2026-11-22T10:15:00+03:00",
        "category": {"code": "roads"},
        "fast_track": False,
        "text": "Яма у школы",
        "applicant": {"name": "Иванов"},
    }
    with municipality_scope(municipality.pk):
        return InboundMessage.objects.create(
            municipality=municipality,
            channel="pos",
            external_id=external_id,
            source=InboundMessage.Source.WEBHOOK,
            body=json.dumps(body, ensure_ascii=False),
            received_at=timezone.now(),
            state=InboundMessage.State.FAILED,
            error="sector: блок не найден",
        )


@pytest.fixture
def admin_client(demo_accounts, client):
    client.force_login(User.objects.get(username="lovozero-tech-admin"))
    return client


def test_failed_rows_of_own_municipality_only_are_listed(admin_client):
    lovozero = Municipality.objects.get(slug="lovozero")
    oktyabrsky = Municipality.objects.get(slug="oktyabrsky")
    _failed_row(lovozero, "own-1")
    _failed_row(oktyabrsky, "foreign-1")
    response = admin_client.get("/admin/integrations/inboundmessage/?state__exact=failed")
    assert response.status_code == 200
    shown = [row.external_id for row in response.context["cl"].result_list]
    assert shown == ["own-1"]
    assert "блок не найден" in response.content.decode()


def test_retry_puts_a_failed_row_back_and_it_becomes_an_incident(
    admin_client, django_capture_on_commit_callbacks
):
    lovozero = Municipality.objects.get(slug="lovozero")
    row = _failed_row(lovozero, "own-2")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            "/admin/integrations/inboundmessage/",
            {"action": "retry", "_selected_action": [row.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert "поставлено в обработку" in response.content.decode()
    with municipality_scope(lovozero.pk):
        row.refresh_from_db()
    assert (row.state, row.attempts) == ("pending", 0)
    assert len(callbacks) == 1

    from integrations.services.processing import inbound_process

    inbound_process(municipality_id=lovozero.pk, inbound_ids=[row.pk])
    with municipality_scope(lovozero.pk):
        row.refresh_from_db()
    assert row.state == "processed"
    assert row.incident_id is not None


def test_a_foreign_row_cannot_be_retried(admin_client):
    oktyabrsky = Municipality.objects.get(slug="oktyabrsky")
    row = _failed_row(oktyabrsky, "foreign-2")
    admin_client.post(
        "/admin/integrations/inboundmessage/", {"action": "retry", "_selected_action": [row.pk]}
    )
    with municipality_scope(oktyabrsky.pk):
        row.refresh_from_db()
    assert row.state == "failed"


def test_the_body_is_readable_but_not_editable(admin_client):
    lovozero = Municipality.objects.get(slug="lovozero")
    row = _failed_row(lovozero, "own-3")
    response = admin_client.get(f"/admin/integrations/inboundmessage/{row.pk}/change/")
    assert response.status_code == 200
    assert "Яма у школы" in response.content.decode()
    assert not response.context["adminform"].form.fields  # every field read-only
