"""Channel secrets: shown once on creation, then only as a fingerprint; two valid while
rotating; the old one revoked by hand."""

from __future__ import annotations

import re

from django.contrib.admin.models import LogEntry

from incidents.configuration.selectors import secret_fingerprint
from incidents.configuration.tests.conftest import url
from integrations.models import ChannelSecret
from integrations.services.secrets import channel_secrets_active
from mcu.tenancy import municipality_scope


def _issue(client, municipality, channel: str = "pos") -> str:
    response = client.post(url(municipality, f"secrets/{channel}/issue/"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    match = re.search(
        r'id="new-secret" class="secret-value" type="text" value="([^"]+)"',
        response.content.decode(),
    )
    assert match, "the new secret is shown"
    return match.group(1)


def _active(municipality, channel: str = "pos") -> list[str]:
    with municipality_scope(municipality.pk):
        return channel_secrets_active(municipality=municipality, channel=channel)


def test_secret_is_shown_once_then_only_its_fingerprint(municipality, admin, head, login):
    client = login(admin)
    secret = _issue(client, municipality)
    assert _active(municipality) == [secret]  # the webhook verifies with exactly this value
    page = client.get(url(municipality, "secrets/")).content.decode()
    assert secret not in page
    assert secret_fingerprint(secret) in page
    assert secret not in login(head).get(url(municipality, "secrets/")).content.decode()
    for entry in LogEntry.objects.all():
        assert secret not in entry.change_message
        assert secret not in entry.object_repr
    with municipality_scope(municipality.pk):
        row = ChannelSecret.objects.get()
    assert row.created_by == admin


def test_rotation_keeps_two_valid_and_revoking_the_old_one_leaves_the_new(
    municipality, admin, login
):
    client = login(admin)
    first = _issue(client, municipality)
    second = _issue(client, municipality)
    assert _active(municipality) == [second, first]  # both sign while the sender switches over
    third = _issue(client, municipality)
    assert _active(municipality) == [third, second]  # the oldest was revoked by the rotation
    with municipality_scope(municipality.pk):
        old = ChannelSecret.objects.get(secret=second)
    response = client.post(url(municipality, f"secrets/{old.pk}/revoke/"), follow=True)
    assert f"Секрет {secret_fingerprint(second)} отозван" in response.content.decode()
    assert _active(municipality) == [third]
    again = client.post(url(municipality, f"secrets/{old.pk}/revoke/"), follow=True)
    assert "Этот секрет уже отозван." in again.content.decode()
    notes = list(LogEntry.objects.order_by("pk").values_list("change_message", flat=True))
    assert notes == [
        '[{"added": {}}]',
        "Создан секрет канала (смена секрета)",
        "Создан секрет канала (смена секрета)",
        "Отозван при смене секрета канала",
        "Секрет канала отозван",
    ]


def test_channels_are_independent(municipality, admin, login):
    client = login(admin)
    pos = _issue(client, municipality, "pos")
    im = _issue(client, municipality, "im")
    assert (_active(municipality, "pos"), _active(municipality, "im")) == ([pos], [im])


def test_head_sees_fingerprints_without_actions(municipality, head, own, login):
    body = login(head).get(url(municipality, "secrets/")).content.decode()
    assert secret_fingerprint(own.secret.secret) in body
    assert own.secret.secret not in body
    assert "Сменить секрет" not in body
    assert "Отозвать" not in body


def test_secret_issue_refuses_get(municipality, admin, login):
    assert login(admin).get(url(municipality, "secrets/pos/issue/")).status_code == 405
