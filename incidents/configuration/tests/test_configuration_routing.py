"""Routing rules and the «Куда попадёт?» box, which runs the inbox's own routing."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION

from incidents.configuration.tests.conftest import url
from incidents.configuration.tests.helpers import audit_of, field_error
from incidents.models import SectorTopic, Topic
from integrations.models import RoutingRule
from mcu.tenancy import municipality_scope
from roles.models import OrgUnit, Sector


@pytest.fixture
def settlement(municipality):
    with municipality_scope(municipality.pk):
        return OrgUnit.objects.create(
            municipality=municipality, code="test-sergino", name="с.п. Сергино", kind="settlement"
        )


def _rules(municipality):
    with municipality_scope(municipality.pk):
        return list(
            RoutingRule.objects.filter(municipality=municipality).values_list(
                "priority", "channel", "category_code", "keywords", "topic__code", "sector__code"
            )
        )


def test_create_rule_normalises_keywords_and_is_audited(municipality, admin, login):
    topic = Topic.objects.get(code="roads.snow")
    response = login(admin).post(
        url(municipality, "routing/"),
        {"priority": "5", "channel": "im", "keywords": " снег ,, гололёд ,", "topic": topic.pk},
    )
    assert response.status_code == 302
    assert _rules(municipality) == [(5, "im", "", "снег, гололёд", "roads.snow", None)]
    with municipality_scope(municipality.pk):
        rule = RoutingRule.objects.get()
    assert audit_of(rule) == [(ADDITION, '[{"added": {}}]')]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"topic": "roads.snow"},
            "keywords",
            "Укажите код категории или ключевые слова: без условия правило забрало бы все "
            "сообщения.",
        ),
        (
            {"settlement_keyword": "Сергино"},
            "settlement",
            "Выберите поселение для этого названия.",
        ),
        (
            {"settlement": "SETTLEMENT"},
            "settlement_keyword",
            "Укажите, по какому названию в адресе узнать поселение.",
        ),
        ({"priority": "-1", "keywords": "x", "topic": "roads.snow"}, "priority", None),
    ],
)
def test_errors_next_to_fields(municipality, admin, settlement, login, data, field, message):
    payload = {"priority": "100", **data}
    if "topic" in payload:
        payload["topic"] = Topic.objects.get(code=payload["topic"]).pk
    if payload.get("settlement") == "SETTLEMENT":
        payload["settlement"] = settlement.pk
    response = login(admin).post(url(municipality, "routing/"), payload)
    assert response.status_code == 400
    error = field_error(response, field)
    assert error == (message or "Убедитесь, что это значение больше либо равно 0.")
    assert _rules(municipality) == []


def test_a_rule_that_decides_nothing_is_refused(municipality, admin, login):
    response = login(admin).post(
        url(municipality, "routing/"), {"priority": "1", "keywords": "яма"}
    )
    assert response.status_code == 400
    assert (
        "Правило ничего не решает: укажите тему, отраслевой блок или поселение."
        in response.content.decode()
    )


def test_another_municipalitys_sector_is_not_a_choice(
    municipality, other_municipality, admin, login
):
    with municipality_scope(other_municipality.pk):
        foreign_sector = Sector.objects.filter(municipality=other_municipality).get(order=1)
    response = login(admin).post(
        url(municipality, "routing/"),
        {"priority": "1", "keywords": "яма", "sector": foreign_sector.pk},
    )
    assert response.status_code == 400
    assert field_error(response, "sector").startswith("Выберите корректный вариант.")
    assert _rules(municipality) == []


def test_edit_and_delete(municipality, admin, own, login):
    client = login(admin)
    response = client.post(
        url(municipality, f"routing/{own.rule.pk}/"),
        {"priority": "3", "keywords": "яма, выбоина", "topic": own.rule.topic_id},
    )
    assert response.status_code == 302
    assert _rules(municipality) == [(3, "", "", "яма, выбоина", "roads.potholes", None)]
    assert client.post(url(municipality, f"routing/{own.rule.pk}/delete/")).status_code == 302
    assert _rules(municipality) == []
    assert [flag for flag, _ in audit_of(own.rule)] == [CHANGE, DELETION]


def _sector_of(municipality, code: str) -> str:
    with municipality_scope(municipality.pk):
        link = SectorTopic.objects.get(municipality=municipality, topic__code=code)
        assert link.sector is not None
        return link.sector.name


def test_try_shows_the_rule_topic_block_settlement_and_term(
    municipality, admin, own, settlement, login
):
    with municipality_scope(municipality.pk):
        RoutingRule.objects.create(
            municipality=municipality,
            priority=50,
            settlement_keyword="Сергино",
            settlement=settlement,
        )
    response = login(admin).get(
        url(municipality, "routing/try/"),
        {"channel": "pos", "text": "Огромная ЯМА во дворе", "address": "с. Сергино, ул. Мира, 1"},
    )
    assert response.status_code == 200
    trial = response.context["trial"]
    assert trial.rule == own.rule
    assert trial.topic.code == "roads.potholes"
    assert trial.sector.name == _sector_of(municipality, "roads")  # the subtopic follows roads
    assert trial.settlement == settlement
    assert (trial.policy.amount, trial.policy.topic_id) == (5, own.rule.topic_id)
    body = response.content.decode()
    assert "сработало правило с приоритетом 10" in body
    assert "с.п. Сергино" in body
    assert "<html" in body  # a plain GET gets the whole page


def test_try_without_a_matching_rule_falls_back_and_htmx_gets_a_fragment(
    municipality, head, own, login
):
    response = login(head).get(
        url(municipality, "routing/try/"),
        {"channel": "im", "text": "Спасибо за новый сквер"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert "ни одно правило не подошло — по рубрикатору" in body
    assert "не распределено: оператор направит вручную" in body
    assert "3 ч" in body  # ИМ: 3 hours (Регламент §2.5)


def test_try_needs_a_text_or_a_category(municipality, admin, login):
    response = login(admin).get(url(municipality, "routing/try/"), {"channel": "pos"})
    assert response.status_code == 400
    assert "Введите текст сообщения или код категории." in response.content.decode()


def test_try_by_category_code(municipality, admin, login):
    topic = Topic.objects.get(code="zhkh.heating")
    with municipality_scope(municipality.pk):
        RoutingRule.objects.create(
            municipality=municipality, channel="pos", category_code="heat-01", topic=topic
        )
    response = login(admin).get(
        url(municipality, "routing/try/"), {"channel": "pos", "category_code": " heat-01 "}
    )
    assert response.context["trial"].topic == topic
    assert response.context["trial"].sector.name == _sector_of(municipality, "zhkh")


def test_keywords_that_outgrow_the_column_once_normalised_are_an_error(municipality, admin, login):
    typed = ",".join(["яма"] * 125)  # 499 characters as typed, 623 with ", " between words
    response = login(admin).post(
        url(municipality, "routing/"),
        {"priority": "1", "keywords": typed, "topic": Topic.objects.get(code="roads").pk},
    )
    assert response.status_code == 400
    assert field_error(response, "keywords") == (
        "Слишком много ключевых слов: не больше 500 символов."
    )
