"""`seed` and `seed_demo` are idempotent: the second run changes nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command

from mcu.tenancy import dangerously_unscoped


def _snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every project table and of users, groups and their permissions."""
    tables: dict[str, list[dict[str, Any]]] = {}
    with dangerously_unscoped(reason="test: snapshot of all tenants' seed data"):
        for label in ("mcu", "roles", "incidents"):
            for model in apps.get_app_config(label).get_models():
                tables[model._meta.label] = list(model._base_manager.order_by("pk").values())
    Group = apps.get_model("auth", "Group")
    tables["auth.Group"] = [
        {"name": g.name, "perms": sorted(g.permissions.values_list("codename", flat=True))}
        for g in Group.objects.order_by("pk")
    ]
    return tables


def _run(command: str) -> str:
    out = io.StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["seed", "seed_demo"])
def test_second_run_changes_nothing(command, settings, monkeypatch):
    # The demo incidents too (off by default in the suite), 60 per municipality: every fate
    # at a fifth of the size; incidents/tests/test_demo.py checks the full demo.
    settings.MCU_DEMO_INCIDENTS = True
    monkeypatch.setattr("incidents.services.demo.TARGETS", {})
    monkeypatch.setattr("incidents.services.demo.DEFAULT_TARGET", 60)
    first_output = _run(command)
    assert "без изменений" not in first_output
    if command == "seed_demo":
        assert "incidents.Incident: +300" in first_output
    before = _snapshot()
    assert _run(command).strip().endswith("без изменений")
    assert _snapshot() == before


@pytest.mark.django_db
def test_seed_creates_the_five_tenants_with_their_rosters():
    _run("seed")
    snapshot = _snapshot()
    assert sorted(m["slug"] for m in snapshot["mcu.Municipality"]) == [
        "askiz",
        "lensky",
        "lovozero",
        "oktyabrsky",
        "sosnovoborsk",
    ]
    per_municipality: dict[int, int] = {}
    for row in snapshot["roles.RoleAssignment"]:
        per_municipality[row["municipality_id"]] = (
            per_municipality.get(row["municipality_id"], 0) + 1
        )
    assert len(per_municipality) == 5
    assert all(n >= 5 for n in per_municipality.values())


@pytest.mark.django_db
def test_seed_demo_creates_a_login_per_municipality_role_and_admin():
    _run("seed_demo")
    users = {u["username"]: u for u in _snapshot()["roles.User"]}
    for username in (
        "oktyabrsky-head",
        "lovozero-im-operator",
        "askiz-head",
        "lensky-edds-head",
        "sosnovoborsk-coordinator",
        "lovozero-tech-admin",
        "yakutia-analyst",
    ):
        assert username in users, username
    assert users["admin"]["is_superuser"]
    assert users["lovozero-tech-admin"]["is_staff"]
    assert not users["askiz-head"]["is_staff"]
    from roles.models import User

    assert User.objects.get(username="oktyabrsky-head").check_password("mcu-demo")


@pytest.mark.django_db
def test_reseeding_keeps_an_administrators_roster_change():
    from datetime import date

    from mcu.models import Municipality
    from mcu.tenancy import municipality_scope
    from roles.models import Role, RoleAssignment, User
    from roles.services import role_assignment_replace

    _run("seed")
    askiz = Municipality.objects.get(slug="askiz")
    successor = User.objects.create_user(username="successor", full_name="Преемник П.П.")
    with municipality_scope(askiz.pk):
        row = RoleAssignment.objects.get(role=Role.CURATOR)
        role_assignment_replace(assignment=row, new_user=successor, on=date(2026, 1, 10))
    before = _snapshot()
    assert _run("seed").strip().endswith("без изменений")
    assert _snapshot() == before


@pytest.mark.django_db
def test_every_demo_login_logs_in_and_is_never_a_chair_of_the_act(client):
    from roles.models import RoleAssignment, User

    _run("seed_demo")
    with dangerously_unscoped(reason="test: every municipality's demo logins"):
        demo_ids = set(
            RoleAssignment.objects.filter(source="demo").values_list("user_id", flat=True)
        )
        act_ids = set(
            RoleAssignment.objects.filter(source="act", user__isnull=False).values_list(
                "user_id", flat=True
            )
        )
    assert demo_ids
    assert demo_ids.isdisjoint(act_ids)
    for user in User.objects.filter(pk__in=demo_ids):
        assert user.check_password("mcu-demo"), user.username


@pytest.mark.django_db
def test_a_demo_account_stands_in_for_every_chair_of_its_role():
    from mcu.models import Municipality
    from mcu.tenancy import municipality_scope
    from roles.models import RoleAssignment

    _run("seed_demo")
    sosnovoborsk = Municipality.objects.get(slug="sosnovoborsk")
    with municipality_scope(sosnovoborsk.pk):
        sectors = set(
            RoleAssignment.objects.filter(user__username="sosnovoborsk-sector-owner").values_list(
                "sector__code", flat=True
            )
        )
        act_sectors = set(
            RoleAssignment.objects.filter(source="act", role="sector_owner").values_list(
                "sector__code", flat=True
            )
        )
    assert len(sectors) == 7
    assert sectors == act_sectors
