"""Roster changes from the settings pages and the roles services behind them: a change ends a
row and opens another — the history is kept, never overwritten."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.admin.models import ADDITION, CHANGE

from incidents.configuration.tests.conftest import url
from incidents.configuration.tests.helpers import audit_of, field_error
from mcu.tenancy import WrongMunicipality, municipality_scope
from roles.models import Role, RoleAssignment, Sector, User
from roles.services import RosterError, role_assignment_appoint, role_assignment_end


def _rows(municipality, **filters):
    with municipality_scope(municipality.pk):
        return list(
            RoleAssignment.objects.filter(municipality=municipality, **filters)
            .order_by("pk")
            .values_list("user__username", "role", "valid_from", "valid_to", "source")
        )


# ------------------------------------------------------------------ services


def test_end_sets_the_last_day_and_refuses_nonsense(municipality, own):
    with municipality_scope(municipality.pk):
        with pytest.raises(RosterError, match="раньше даты начала"):
            role_assignment_end(assignment=own.assignment, on=date(2023, 12, 31))
        ended = role_assignment_end(assignment=own.assignment, on=date(2025, 5, 31), note="Приказ")
        assert (ended.valid_to, ended.note) == (date(2025, 5, 31), "Приказ")
        with pytest.raises(RosterError, match="уже завершено"):
            role_assignment_end(assignment=own.assignment, on=date(2025, 6, 30))


def test_appoint_opens_a_row_and_refuses_duplicates_and_foreign_objects(
    municipality, other_municipality
):
    person = User.objects.create_user(username="ivanov")
    with municipality_scope(municipality.pk):
        row = role_assignment_appoint(
            municipality=municipality, user=person, role=Role.EXECUTOR, on=date(2025, 1, 10)
        )
        assert (row.source, row.valid_from, row.valid_to) == ("admin", date(2025, 1, 10), None)
        with pytest.raises(RosterError, match="уже исполняет"):
            role_assignment_appoint(
                municipality=municipality, user=person, role=Role.EXECUTOR, on=date(2025, 3, 1)
            )
        with pytest.raises(RosterError, match="нельзя назначить"):
            role_assignment_appoint(
                municipality=municipality,
                user=person,
                role=Role.REGIONAL_ANALYST,
                on=date(2025, 3, 1),
            )
    with municipality_scope(other_municipality.pk):
        foreign_sector = Sector.objects.filter(municipality=other_municipality).first()
    with municipality_scope(municipality.pk), pytest.raises(WrongMunicipality):
        role_assignment_appoint(
            municipality=municipality,
            user=person,
            role=Role.SECTOR_OWNER,
            sector=foreign_sector,
            on=date(2025, 3, 1),
        )


# ------------------------------------------------------------------ pages


def test_replace_keeps_history_and_the_roster_page_shows_it(municipality, head, own, login):
    User.objects.create_user(username="petrov", full_name="Петров Пётр Петрович")
    client = login(head)
    response = client.post(
        url(municipality, f"roster/{own.assignment.pk}/replace/"),
        {"username": "petrov", "on": "2025-03-01", "note": "Распоряжение № 7"},
    )
    assert response.status_code == 302
    assert _rows(municipality, role=Role.EXECUTOR) == [
        ("chair-oktyabrsky", "executor", date(2024, 1, 1), date(2025, 2, 28), "admin"),
        ("petrov", "executor", date(2025, 3, 1), None, "admin"),
    ]
    roster = client.get(f"/m/{municipality.slug}/roster/").content.decode()
    history = roster[roster.index("История изменений") :]
    assert "chair-oktyabrsky" in history
    assert "28.02.2025" in history
    assert "Петров Пётр Петрович" in roster[: roster.index("История изменений")]
    with municipality_scope(municipality.pk):
        new = RoleAssignment.objects.get(user__username="petrov")
    assert [flag for flag, _ in audit_of(own.assignment)] == [CHANGE]
    assert [flag for flag, _ in audit_of(new)] == [ADDITION]


def test_end_from_the_page(municipality, admin, own, login):
    response = login(admin).post(
        url(municipality, f"roster/{own.assignment.pk}/end/"), {"on": "2025-06-30"}
    )
    assert response.status_code == 302
    assert _rows(municipality, role=Role.EXECUTOR) == [
        ("chair-oktyabrsky", "executor", date(2024, 1, 1), date(2025, 6, 30), "admin"),
    ]


def test_end_before_the_start_is_shown_on_the_form(municipality, admin, own, login):
    response = login(admin).post(
        url(municipality, f"roster/{own.assignment.pk}/end/"), {"on": "2020-01-01"}
    )
    assert response.status_code == 400
    assert "Дата окончания не может быть раньше даты начала назначения." in (
        response.content.decode()
    )
    assert _rows(municipality, role=Role.EXECUTOR)[0][3] is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"role": "executor", "on": "2025-01-01"},
            "person",
            "Выберите сотрудника или введите его логин.",
        ),
        (
            {"username": "nobody", "role": "executor", "on": "2025-01-01"},
            "username",
            "Пользователь с таким логином не найден.",
        ),
        (
            {"username": "chair-oktyabrsky", "role": "executor", "on": "31.02.2025"},
            "on",
            "Введите правильную дату.",
        ),
        (
            {"username": "chair-oktyabrsky", "role": "regional_analyst", "on": "2025-01-01"},
            "role",
            None,
        ),
        (
            {"username": "chair-oktyabrsky", "role": "executor", "on": "0001-01-01"},
            "on",
            "Убедитесь, что это значение больше либо равно 2000-01-01.",
        ),
    ],
)
def test_appoint_errors_next_to_fields(municipality, admin, own, login, data, field, message):
    response = login(admin).post(url(municipality, "roster/"), data)
    assert response.status_code == 400
    error = field_error(response, field)
    assert error == message if message else error.startswith("Выберите корректный вариант.")


def test_appoint_by_login(municipality, admin, login):
    User.objects.create_user(username="sidorova", full_name="Сидорова А.А.")
    response = login(admin).post(
        url(municipality, "roster/"),
        {"username": "sidorova", "role": "support_officer", "on": "2025-04-01"},
    )
    assert response.status_code == 302
    assert _rows(municipality, user__username="sidorova") == [
        ("sidorova", "support_officer", date(2025, 4, 1), None, "admin")
    ]


def test_people_list_is_this_municipalitys_roster_only(
    municipality, other_municipality, admin, stranger, login
):
    form = login(admin).get(url(municipality, "roster/")).context["form"]
    people = set(form.fields["person"].queryset.values_list("username", flat=True))
    assert admin.username in people
    assert stranger.username not in people
    assert people
    assert all(name.startswith("oktyabrsky") for name in people)


def test_replace_on_a_far_past_date_is_a_field_error_not_a_crash(municipality, admin, own, login):
    response = login(admin).post(
        url(municipality, f"roster/{own.assignment.pk}/replace/"),
        {"username": "chair-oktyabrsky", "on": "0001-01-01"},
    )
    assert response.status_code == 400
    assert (
        field_error(response, "on") == "Убедитесь, что это значение больше либо равно 2000-01-01."
    )


def test_replace_with_the_same_person_is_explained(municipality, admin, own, login):
    response = login(admin).post(
        url(municipality, f"roster/{own.assignment.pk}/replace/"),
        {"username": "chair-oktyabrsky", "on": "2025-01-01"},
    )
    assert response.status_code == 400
    assert "Эту роль уже исполняет выбранный сотрудник." in response.content.decode()
