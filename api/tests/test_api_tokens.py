"""Tokens: the management command, hash-only storage, revocation and expiry, the admin pages."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from api.models import ApiRequestLog, ApiToken
from api.tests.conftest import ApiClient
from api.tokens import api_token_create
from roles.models import User

pytestmark = pytest.mark.django_db


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("api_token", *args, stdout=out)
    return out.getvalue().rstrip("\n").split("\n")


def test_create_prints_the_token_alone_on_the_last_line_and_stores_only_its_hash(seeded) -> None:
    lines = run("create", "--name", "cur-yugra", "--region", "86", "--expires-days", "30")
    secret = lines[-1]
    assert secret.startswith("mcu_")
    assert " " not in secret
    assert len(secret) > 40
    token = ApiToken.objects.get(name="cur-yugra")
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.prefix, token.name, token.note}
    assert token.prefix == secret[:12]
    assert not token.personal_data
    assert [r.code for r in token.regions.all()] == ["86"]
    assert token.expires_at is not None
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert ApiClient(secret).get("/api/v1/municipalities/").status_code == 200


def test_create_for_municipalities_with_personal_data(seeded) -> None:
    lines = run(
        "create",
        "--name",
        "kc",
        "--municipality",
        "lensky",
        "--municipality",
        "askiz",
        "--personal-data",
    )
    token = ApiToken.objects.get(name="kc")
    assert token.personal_data
    assert sorted(m.slug for m in token.municipalities.all()) == ["askiz", "lensky"]
    body = ApiClient(lines[-1]).get("/api/v1/municipalities/").json()
    assert [m["slug"] for m in body["results"]] == ["askiz", "lensky"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "x", "--region", "99"], "Нет региона"),
        (["--name", "x", "--municipality", "atlantis"], "Нет муниципального образования"),
        (["--name", "x", "--region", "86", "--expires-days", "0"], "Срок действия"),
    ],
)
def test_create_refuses_bad_scope(seeded, args, message) -> None:
    with pytest.raises(CommandError, match=message):
        run("create", *args)
    assert not ApiToken.objects.exists()


def test_scope_is_required(seeded) -> None:
    with pytest.raises(CommandError):
        run("create", "--name", "x")


def test_a_name_is_taken_until_revoked(seeded) -> None:
    run("create", "--name", "cur", "--region", "86")
    with pytest.raises(CommandError, match="уже есть"):
        run("create", "--name", "cur", "--region", "14")
    run("revoke", "cur")
    run("create", "--name", "cur", "--region", "14")
    assert ApiToken.objects.filter(name="cur").count() == 2


def test_list_and_revoke(seeded) -> None:
    secret = run("create", "--name", "cur-yakutia", "--region", "14")[-1]
    listing = "\n".join(run("list"))
    assert "cur-yakutia" in listing
    assert "действует" in listing
    assert secret not in listing
    assert run("revoke", "cur-yakutia") == [f"Токен «cur-yakutia» ({secret[:12]}…) отозван."]
    assert "отозван" in "\n".join(run("list"))
    response = ApiClient(secret).get("/api/v1/municipalities/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Токен недействителен, отозван или истёк."}
    with pytest.raises(CommandError, match="нет"):
        run("revoke", "cur-yakutia")


def test_expired_token_is_refused(seeded) -> None:
    secret = run("create", "--name", "short", "--region", "86", "--expires-days", "1")[-1]
    ApiToken.objects.filter(name="short").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ApiClient(secret).get("/api/v1/municipalities/").status_code == 401


def test_every_request_is_logged_without_the_data(seeded, api, yugra) -> None:
    from incidents.tests.factories import make_incident

    incident = make_incident(yugra, citizen_name="Петров Пётр", citizen_phone="+7 900 111-22-33")
    client = api(region_codes=["86"], personal_data=True)
    assert client.get("/api/v1/incidents/", {"municipality": "oktyabrsky"}).status_code == 200
    assert client.get(f"/api/v1/incidents/{incident.pk}/").status_code == 200
    assert client.get("/api/v1/incidents/", {"status": "nonsense"}).status_code == 400
    rows = list(
        ApiRequestLog.objects.order_by("id").values_list(
            "endpoint", "object_id", "municipality", "status", "count", "personal_data"
        )
    )
    # The list may not hold the incident yet (sync lag); the detail always does.
    assert rows[1:] == [
        ("incidents.detail", incident.pk, "oktyabrsky", 200, 1, True),
        ("incidents.list", None, "", 400, None, False),
    ]
    assert rows[0][:4] == ("incidents.list", None, "oktyabrsky", 200)
    stored = " ".join(str(v) for row in ApiRequestLog.objects.values() for v in row.values())
    assert "Петров" not in stored
    assert "111-22-33" not in stored


def test_admin_creates_a_token_and_shows_it_once(seeded) -> None:
    admin = User.objects.create_superuser("root", "root@example.ru", "pass-Секрет-123")
    client = Client()
    client.force_login(admin)
    from mcu.models import Region

    response = client.post(
        "/admin/api/apitoken/add/",
        {
            "name": "from-admin",
            "regions": [Region.objects.get(code="86").pk],
            "rate_per_minute": 600,
            "note": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    (message,) = [m for m in shown if "сохраните" in m]
    secret = next(word for word in message.split() if word.startswith("mcu_"))
    token = ApiToken.objects.get(name="from-admin")
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert ApiClient(secret).get("/api/v1/municipalities/").status_code == 200
    page = client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert secret not in page
    client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert ApiClient(secret).get("/api/v1/municipalities/").status_code == 401
    assert client.get("/admin/api/apirequestlog/").status_code == 200


def test_admin_pages_are_for_superusers_only(seeded, make_user, municipality) -> None:
    staff = make_user("tech_admin", municipality)
    staff.is_staff = True
    staff.save()
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/api/apitoken/").status_code == 403
    assert client.get("/admin/api/apirequestlog/").status_code == 403


def test_the_log_row_is_committed_outside_any_transaction(transactional_db) -> None:
    """Production requests run in autocommit: the log row goes in with one statement of its own
    (on PostgreSQL together with SET LOCAL synchronous_commit) and is there afterwards."""
    from django.db import connection

    call_command("seed", verbosity=0, stdout=io.StringIO())
    client = ApiClient(api_token_create(name="autocommit", region_codes=["86"]).secret)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The session's own setting, whatever the server's default (CI runs it off).
            cursor.execute("SET synchronous_commit TO on")
    assert client.get("/api/v1/municipalities/").status_code == 200
    assert not connection.in_atomic_block
    row = ApiRequestLog.objects.get()
    assert (row.endpoint, row.status, row.count, row.method) == (
        "municipalities.list",
        200,
        1,
        "GET",
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"  # SET LOCAL ended with its implicit transaction
