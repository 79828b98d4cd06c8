"""Answer templates: add, change, deactivate; and the demo texts seeded per municipality."""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE

from incidents.configuration.demo import DEMO_TEMPLATES, answer_templates_demo_seed
from incidents.configuration.tests.conftest import url
from incidents.configuration.tests.helpers import audit_of, field_error
from incidents.models import AnswerTemplate, Topic
from mcu.models import Municipality
from mcu.seeding import SeedLog
from mcu.tenancy import municipality_scope


def _templates(municipality):
    with municipality_scope(municipality.pk):
        return list(
            AnswerTemplate.objects.filter(municipality=municipality)
            .order_by("title")
            .values_list("topic__code", "title", "text", "is_active")
        )


def test_create_edit_deactivate_and_reactivate(municipality, admin, login):
    topic = Topic.objects.get(code="zhkh.heating")
    client = login(admin)
    response = client.post(
        url(municipality, "templates/"),
        {"topic": topic.pk, "title": "  Холодно в квартире ", "text": "Проверим параметры.\n"},
    )
    assert response.status_code == 302
    assert _templates(municipality) == [
        ("zhkh.heating", "Холодно в квартире", "Проверим параметры.", True)
    ]
    with municipality_scope(municipality.pk):
        template = AnswerTemplate.objects.get()
    response = client.post(
        url(municipality, f"templates/{template.pk}/"),
        {"topic": "", "title": "Холодно в квартире", "text": "Новый текст"},
    )
    assert response.status_code == 302
    assert client.post(url(municipality, f"templates/{template.pk}/active/"), {"active": "0"})[
        "Location"
    ] == url(municipality, "templates/")
    assert _templates(municipality) == [(None, "Холодно в квартире", "Новый текст", False)]
    listing = client.get(url(municipality, "templates/")).content.decode()
    assert 'class="inactive"' in listing
    assert "Включить" in listing
    client.post(url(municipality, f"templates/{template.pk}/active/"), {"active": "1"})
    assert _templates(municipality)[0][3] is True
    assert [flag for flag, _ in audit_of(template)] == [ADDITION, CHANGE, CHANGE, CHANGE]


def test_errors_next_to_fields(municipality, admin, own, login):
    client = login(admin)
    response = client.post(url(municipality, "templates/"), {"title": "", "text": ""})
    assert response.status_code == 400
    assert field_error(response, "title") == "Обязательное поле."
    assert field_error(response, "text") == "Обязательное поле."
    same = client.post(
        url(municipality, "templates/"),
        {"topic": own.template.topic_id, "title": own.template.title, "text": "x"},
    )
    assert same.status_code == 400
    assert field_error(same, "title") == "Шаблон с таким названием для этой темы уже есть."


def test_curator_reads_but_cannot_change(municipality, curator, own, login):
    client = login(curator)
    body = client.get(url(municipality, "templates/")).content.decode()
    assert "Тестовый шаблон" in body
    assert "Добавить шаблон" not in body
    assert "Отключить" not in body


def test_demo_templates_per_municipality_are_idempotent_and_keep_admin_edits(seeded):
    log = SeedLog()
    answer_templates_demo_seed(log=log)
    municipalities = Municipality.objects.count()
    assert log.created == {"incidents.AnswerTemplate": len(DEMO_TEMPLATES) * municipalities}
    askiz = Municipality.objects.get(slug="askiz")
    with municipality_scope(askiz.pk):
        pothole = AnswerTemplate.objects.get(municipality=askiz, topic__code="roads.potholes")
        assert pothole.text.endswith(
            "С уважением,\nмуниципальный центр управления (Аскизский район)"
        )
        pothole.text, pothole.is_active = "Свой текст", False
        pothole.save()
    again = SeedLog()
    answer_templates_demo_seed(log=again)
    assert not again.changed_anything
    with municipality_scope(askiz.pk):
        pothole.refresh_from_db()
    assert (pothole.text, pothole.is_active) == ("Свой текст", False)


def test_seed_demo_command_seeds_templates(seeded):
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())
    oktyabrsky = Municipality.objects.get(slug="oktyabrsky")
    titles = {t for _, t, _, _ in _templates(oktyabrsky)}
    assert {"Сообщение принято в работу", "Ямочный ремонт включён в план"} <= titles


def test_answer_editor_gets_topic_parent_and_general_active_templates(municipality, seeded):
    from incidents.selectors import answer_templates_for

    answer_templates_demo_seed(log=SeedLog())
    potholes = Topic.objects.get(code="roads.potholes")
    with municipality_scope(municipality.pk):
        AnswerTemplate.objects.create(
            municipality=municipality, topic=potholes.parent, title="Про дороги", text="…"
        )
        AnswerTemplate.objects.filter(title="Промежуточный ответ: решение запланировано").update(
            is_active=False
        )
        titles = sorted(
            t.title for t in answer_templates_for(municipality_id=municipality.pk, topic=potholes)
        )
    assert titles == ["Про дороги", "Сообщение принято в работу", "Ямочный ремонт включён в план"]
