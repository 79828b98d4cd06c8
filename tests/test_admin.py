"""The Django admin is scoped: a municipal administrator manages only their municipality."""

from __future__ import annotations

import pytest

from mcu.models import Municipality
from mcu.tenancy import municipality_scope
from roles.models import RoleAssignment, User


@pytest.fixture
def demo(demo_accounts):
    return demo_accounts


def _row(slug: str, role: str) -> RoleAssignment:
    municipality = Municipality.objects.get(slug=slug)
    with municipality_scope(municipality.pk):
        return RoleAssignment.objects.filter(role=role, source="act").earliest("pk")


def test_municipal_admin_lists_only_own_roster(demo, client):
    client.force_login(User.objects.get(username="lovozero-tech-admin"))
    response = client.get("/admin/roles/roleassignment/")
    assert response.status_code == 200
    shown = {row.municipality.slug for row in response.context["cl"].result_list}
    assert shown == {"lovozero"}
    assert "Ловозерский район" in response.content.decode()
    assert "Октябрьский район" not in response.content.decode()


def test_municipal_admin_cannot_open_or_change_another_municipality_row(demo, client):
    client.force_login(User.objects.get(username="lovozero-tech-admin"))
    foreign = _row("oktyabrsky", "curator")
    url = f"/admin/roles/roleassignment/{foreign.pk}/change/"
    assert client.get(url).status_code == 302  # admin's answer for "no such object"
    response = client.post(url, {"note": "взлом", "valid_to": "2026-01-01"})
    assert response.status_code in (302, 403)
    with municipality_scope(foreign.municipality_id):
        foreign.refresh_from_db()
    assert foreign.note != "взлом"


def test_municipal_admin_may_only_pick_own_municipality(demo, client):
    client.force_login(User.objects.get(username="lovozero-tech-admin"))
    response = client.get("/admin/roles/sector/add/")
    assert response.status_code == 200
    choices = [
        label for _, label in response.context["adminform"].form.fields["municipality"].choices if _
    ]
    assert choices == ["Ловозерский район"]


def test_municipal_admin_sees_only_people_of_own_roster(demo, client):
    client.force_login(User.objects.get(username="lovozero-tech-admin"))
    response = client.get("/admin/roles/user/")
    usernames = {u.username for u in response.context["cl"].result_list}
    assert "lovozero.press-head" in usernames
    assert not any(name.startswith(("askiz-", "oktyabrsky-", "lensky-")) for name in usernames)


def test_superuser_sees_every_municipality(demo, client):
    client.force_login(User.objects.get(username="admin"))
    response = client.get("/admin/roles/roleassignment/?all=")
    assert response.status_code == 200
    response.content.decode()
    assert "Администрирование МЦУ" in client.get("/admin/").content.decode()
    assert response.context["cl"].result_count > 45


def test_existing_assignment_cannot_be_given_to_another_person(demo, client):
    # History, not overwrite: the holder of an existing row is read-only in the admin.
    client.force_login(User.objects.get(username="lovozero-tech-admin"))
    row = _row("lovozero", "sed_curator")
    response = client.get(f"/admin/roles/roleassignment/{row.pk}/change/")
    assert response.status_code == 200
    assert "user" not in response.context["adminform"].form.fields


def test_staff_without_an_administrative_role_sees_no_roster_models(demo, client):
    user = User.objects.get(username="askiz-head")
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert client.get("/admin/roles/roleassignment/").status_code == 403
