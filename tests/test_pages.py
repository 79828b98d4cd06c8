"""Pages of the foundation, as a member, a member of another municipality, and a stranger."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, reverse

from mcu.models import Municipality
from mcu.urls import municipality_patterns
from roles.models import RegionMembership, Role, User


def _pages(patterns: list[URLPattern | URLResolver]) -> list[str]:
    """Named pages addressed by the municipality alone, through every include; pages of one
    object (an import batch, an incident) have their own cross-tenant tests next to them."""
    names: list[str] = []
    for pattern in patterns:
        if pattern.pattern.converters:
            continue
        if isinstance(pattern, URLResolver):
            names += _pages(pattern.url_patterns)
        elif pattern.name:
            names.append(pattern.name)
    return names


MUNICIPALITY_PAGES = _pages(municipality_patterns)


def _fetch(client, page: str, slug: str):
    """GET, or POST where the page is an action that refuses GET (405)."""
    url = _url(page, slug)
    response = client.get(url)
    return client.post(url) if response.status_code == 405 else response


def _url(name: str, slug: str) -> str:
    return reverse(name, kwargs={"municipality_slug": slug})


@pytest.mark.parametrize("page", MUNICIPALITY_PAGES)
def test_member_of_another_municipality_gets_404_on_every_page(
    page, municipality, other_municipality, make_user, login
):
    client = login(make_user(Role.HEAD, other_municipality))
    # Its own municipality answers (a page that needs parameters may say 400), never 404.
    assert _fetch(client, page, other_municipality.slug).status_code in (200, 302, 400)
    response = _fetch(client, page, municipality.slug)
    assert response.status_code == 404
    assert municipality.short_name.encode() not in response.content


@pytest.mark.parametrize("page", MUNICIPALITY_PAGES)
def test_unknown_municipality_is_the_same_404(page, municipality, make_user, login):
    client = login(make_user(Role.HEAD, municipality))
    assert _fetch(client, page, "atlantis").status_code == 404


@pytest.mark.parametrize("page", MUNICIPALITY_PAGES)
def test_anonymous_is_sent_to_login(page, municipality, client):
    response = _fetch(client, page, municipality.slug)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_expired_role_no_longer_opens_the_municipality(municipality, make_user, login):
    user = make_user(Role.HEAD, municipality, valid_from="2024-01-01", valid_to="2024-12-31")
    assert login(user).get(_url("home", municipality.slug)).status_code == 404


def test_picker_lists_only_the_users_municipalities(seeded, make_user, login):
    lensky = Municipality.objects.get(slug="lensky")
    askiz = Municipality.objects.get(slug="askiz")
    user = make_user(Role.HEAD, lensky)
    make_user(Role.CURATOR, askiz, username="someone-else")
    from mcu.tenancy import municipality_scope
    from roles.models import RoleAssignment

    with municipality_scope(askiz.pk):
        RoleAssignment.objects.create(municipality=askiz, user=user, role=Role.CURATOR)
    response = login(user).get(reverse("picker"))
    assert response.status_code == 200
    assert [m.slug for m in response.context["municipalities"]] == ["askiz", "lensky"]
    body = response.content.decode()
    assert "Ленский район" in body
    assert "Аскизский район" in body
    assert "Октябрьский район" not in body
    assert "Ловозерский район" not in body


def test_picker_goes_straight_to_the_only_municipality(municipality, make_user, login):
    response = login(make_user(Role.HEAD, municipality)).get(reverse("picker"))
    assert response.status_code == 302
    assert response["Location"] == _url("home", municipality.slug)


def test_regional_analyst_enters_every_municipality_of_the_region_only(seeded, login):
    analyst = User.objects.create_user(username="analyst", password="x-Пароль-123")
    region = Municipality.objects.get(slug="askiz").region  # Хакасия: Аскизский only
    RegionMembership.objects.create(user=analyst, region=region, role=Role.REGIONAL_ANALYST)
    client = login(analyst)
    assert client.get(_url("roster", "askiz")).status_code == 200
    assert client.get(_url("roster", "lensky")).status_code == 404


def test_superuser_enters_any_municipality(seeded, login):
    root = User.objects.create_superuser(username="root", password="x-Пароль-123", email="r@x.ru")
    client = login(root)
    for slug in ("lensky", "askiz", "sosnovoborsk", "lovozero", "oktyabrsky"):
        assert client.get(_url("roster", slug)).status_code == 200


def test_askiz_head_logs_in_with_the_demo_password_and_sees_the_roster(demo_accounts, client):
    response = client.post(
        reverse("login"), {"username": "askiz-head", "password": "mcu-demo"}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == _url("home", "askiz")
    body = client.get(_url("roster", "askiz")).content.decode()
    for text in (
        "Симаткин В.И.",
        "Заместитель главы Администрации Аскизского района",
        "Киргинекова Е.В.",
        "Никифоров А.К.",
        "Топоев Д.А.",
        "Пакачаков А.С.",
        "Куратор МЦУ",
        "Руководитель МЦУ",
    ):
        assert text in body, text
    assert "Октябрьский" not in body


def test_wrong_password_is_refused_in_russian(demo_accounts, client):
    response = client.post(reverse("login"), {"username": "askiz-head", "password": "nope"})
    assert response.status_code == 200
    assert "правильные имя пользователя и пароль" in response.content.decode()


def test_repeated_failures_lock_that_username_not_the_whole_office(demo_accounts, client):
    for _ in range(5):
        client.post(reverse("login"), {"username": "askiz-head", "password": "nope"})
    locked = client.post(reverse("login"), {"username": "askiz-head", "password": "mcu-demo"})
    assert "заблокирован" in locked.content.decode()
    # A colleague behind the same office NAT still gets in.
    ok = client.post(reverse("login"), {"username": "lensky-head", "password": "mcu-demo"})
    assert ok.status_code == 302


def test_roster_shows_history_of_a_replaced_person(municipality, make_user, login):
    from datetime import date

    from mcu.tenancy import municipality_scope
    from roles.models import RoleAssignment
    from roles.services import role_assignment_replace

    viewer = make_user(Role.HEAD, municipality)
    successor = User.objects.create_user(username="new-curator", full_name="Новиков Н.Н.")
    with municipality_scope(municipality.pk):
        curator_row = RoleAssignment.objects.get(role=Role.CURATOR, source="act")
        role_assignment_replace(assignment=curator_row, new_user=successor, on=date(2026, 3, 1))
    body = login(viewer).get(_url("roster", municipality.slug)).content.decode()
    current, history = body.split("История изменений")
    assert "Новиков Н.Н." in current
    assert "Габдулисманов А.А." in history
    assert "28.02.2026" in history


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (Role.HEAD, True),
        (Role.TECH_ADMIN, True),
        (Role.POS_OPERATOR, True),
        (Role.COORDINATOR, False),
    ],
)
def test_the_import_link_follows_the_permission_matrix(municipality, make_user, login, role, shown):
    body = login(make_user(role, municipality)).get(_url("home", municipality.slug)).content
    assert ("Загрузка выгрузок" in body.decode()) is shown
