"""SLA policies: add, change, delete — with the rules the model and deadlines.py imply."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry

from incidents.configuration.tests.conftest import url
from incidents.configuration.tests.helpers import audit_of, field_error
from incidents.models import SlaPolicy, Topic
from mcu.tenancy import municipality_scope

VALID = {
    "channel": "pos",
    "stage": "answer",
    "amount": "7",
    "unit": "calendar_days",
    "warn_amount": "12",
    "warn_unit": "hours",
    "source": "Постановление № 15, п. 3",
}


def _policies(municipality):
    with municipality_scope(municipality.pk):
        return list(
            SlaPolicy.objects.filter(municipality=municipality, topic__isnull=False).values_list(
                "channel", "topic__code", "amount", "unit", "warn_before", "source"
            )
        )


def test_list_shows_the_seeded_terms_with_their_legal_source(municipality, curator, login):
    body = login(curator).get(url(municipality, "sla/")).content.decode()
    assert "Регламент Октябрьского района §2.5: фаст-трек — 10 календарных дней" in body
    assert "59-ФЗ ст. 12 ч. 1: 30 дней со дня регистрации" in body
    assert (
        '<td class="nowrap">25 кал. дн.</td>\n      <td class="nowrap">3 сут.</td>' in body
    )  # ПОС, warned 3 days before
    assert "Добавить срок" not in body  # the curator reads; the administrator and the head change


def test_create_a_topic_term(municipality, admin, login):
    topic = Topic.objects.get(code="roads.potholes")
    response = login(admin).post(url(municipality, "sla/"), {**VALID, "topic": topic.pk})
    assert response.status_code == 302
    assert _policies(municipality) == [
        (
            "pos",
            "roads.potholes",
            7,
            "calendar_days",
            timedelta(hours=12),
            "Постановление № 15, п. 3",
        )
    ]
    with municipality_scope(municipality.pk):
        policy = SlaPolicy.objects.get(topic=topic)
    assert audit_of(policy) == [(ADDITION, '[{"added": {}}]')]
    assert LogEntry.objects.get().user == admin


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"channel": "im", "fast_track": "on"},
            "fast_track",
            "Фаст-трек бывает только у сообщений ПОС.",
        ),
        (
            {"stage": "registration"},
            "stage",
            "Сроки регистрации и переадресации (59-ФЗ ст. 8) задаются только для обращений.",
        ),
        (
            {"stage": "agreed"},
            "stage",
            "Срок передачи согласованного ответа оператору задаётся только для соцсетей "
            "(ИМ, госпаблики).",
        ),
        (
            {"unit": "hours", "move_off_day": "on", "warn_amount": "1"},
            "move_off_day",
            "Перенос с выходного дня (ГК РФ ст. 193) применяется только к срокам "
            "в календарных днях.",
        ),
        (
            {"amount": "3", "unit": "hours", "warn_amount": "3"},
            "warn_amount",
            "Предупреждение должно приходить раньше, чем истекает срок.",
        ),
        ({"amount": "0"}, "amount", "Убедитесь, что это значение больше либо равно 1."),
        ({"amount": "много"}, "amount", "Введите целое число."),
        (
            {"channel": "fax"},
            "channel",
            "Выберите корректный вариант. fax нет среди допустимых значений.",
        ),
    ],
)
def test_errors_are_shown_next_to_their_fields(municipality, admin, login, changes, field, message):
    topic = Topic.objects.get(code="roads.potholes")
    response = login(admin).post(url(municipality, "sla/"), {**VALID, "topic": topic.pk, **changes})
    assert response.status_code == 400
    assert field_error(response, field) == message
    assert '<details class="card add-form" open>' in response.content.decode()
    assert _policies(municipality) == []


def test_a_second_term_for_the_same_key_is_refused(municipality, admin, login):
    response = login(admin).post(url(municipality, "sla/"), VALID)  # ПОС answer exists (seed)
    assert response.status_code == 400
    assert "Срок для этого канала, этапа, фаст-трека и темы уже задан." in response.content.decode()


def test_edit_changes_the_term_and_records_which_fields(municipality, admin, login):
    with municipality_scope(municipality.pk):
        policy = SlaPolicy.objects.get(
            municipality=municipality, channel="pos", stage="answer", fast_track=False
        )
    client = login(admin)
    form = client.get(url(municipality, f"sla/{policy.pk}/"))
    assert form.context["form"].initial["warn_amount"] == 3
    assert form.context["form"].initial["warn_unit"] == "days"
    response = client.post(
        url(municipality, f"sla/{policy.pk}/"),
        {**VALID, "amount": "20", "warn_amount": "2", "warn_unit": "days", "move_off_day": "on"},
    )
    assert response.status_code == 302
    with municipality_scope(municipality.pk):
        policy.refresh_from_db()
    assert (policy.amount, policy.warn_before, policy.move_off_day) == (20, timedelta(days=2), True)
    [(flag, message)] = audit_of(policy)
    assert flag == CHANGE
    assert json.loads(message) == [
        {
            "changed": {
                "fields": [
                    "основание",
                    "переносить с выходного на рабочий день",
                    "предупредить за",
                    "срок",
                ]
            }
        }
    ]


def test_the_channels_own_term_cannot_be_deleted_nor_turned_into_a_topic_term(
    municipality, admin, login
):
    with municipality_scope(municipality.pk):
        base = SlaPolicy.objects.get(
            municipality=municipality, channel="pos", stage="answer", fast_track=False
        )
    client = login(admin)
    response = client.post(url(municipality, f"sla/{base.pk}/delete/"))
    assert response.status_code == 400
    assert "Основной срок канала удалить нельзя" in response.content.decode()
    topic = Topic.objects.get(code="roads.potholes")
    response = client.post(url(municipality, f"sla/{base.pk}/"), {**VALID, "topic": topic.pk})
    assert response.status_code == 400
    assert "Это основной срок канала" in response.content.decode()
    with municipality_scope(municipality.pk):
        assert SlaPolicy.objects.filter(pk=base.pk, topic__isnull=True).exists()
    assert audit_of(base) == []


def test_delete_a_topic_term(municipality, admin, own, login):
    client = login(admin)
    confirm = client.get(url(municipality, f"sla/{own.policy.pk}/delete/"))
    assert "Уже поступившие инциденты сохранят свои сроки" in confirm.content.decode()
    assert client.post(url(municipality, f"sla/{own.policy.pk}/delete/")).status_code == 302
    with municipality_scope(municipality.pk):
        assert not SlaPolicy.objects.filter(pk=own.policy.pk).exists()
    assert audit_of(own.policy) == [(DELETION, "")]
