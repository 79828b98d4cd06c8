"""Every page and action of «Настройки МЦУ»: who may, who gets 403, and that another
municipality — its members or its objects' ids — is always a 404."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from incidents.configuration.tests.conftest import Objects, url
from incidents.models import Topic
from mcu.models import Municipality

VIEWERS = ("admin", "head")  # the head reads the settings (audit.view) and manages the roster
SETTINGS = ("admin", "head")  # settings.manage: the technical administrator and the head
SECRETS = ("admin",)  # channel_secrets.manage: the technical administrator only
ROSTER = ("admin", "head")
EVERYONE = ("admin", "head", "operator")


@dataclass(frozen=True)
class Action:
    name: str
    method: str
    path: Callable[[Objects], str]
    allowed: tuple[str, ...]
    data: Callable[[Objects], dict[str, Any]] = lambda objects: {}
    takes_object: bool = False


def _topic(code: str) -> int:
    return Topic.objects.get(code=code).pk


ACTIONS = [
    Action("index", "get", lambda o: "", VIEWERS),
    Action("sla list", "get", lambda o: "sla/", VIEWERS),
    Action(
        "sla create",
        "post",
        lambda o: "sla/",
        SETTINGS,
        lambda o: {
            "channel": "pos",
            "stage": "answer",
            "topic": _topic("roads.snow"),
            "amount": "7",
            "unit": "calendar_days",
            "warn_amount": "1",
            "warn_unit": "days",
            "source": "Приказ № 1",
        },
    ),
    Action("sla edit form", "get", lambda o: f"sla/{o.policy.pk}/", SETTINGS, takes_object=True),
    Action(
        "sla edit",
        "post",
        lambda o: f"sla/{o.policy.pk}/",
        SETTINGS,
        lambda o: {
            "channel": "pos",
            "stage": "answer",
            "topic": o.policy.topic_id,
            "amount": "6",
            "unit": "calendar_days",
            "warn_amount": "1",
            "warn_unit": "days",
        },
        takes_object=True,
    ),
    Action(
        "sla delete form",
        "get",
        lambda o: f"sla/{o.policy.pk}/delete/",
        SETTINGS,
        takes_object=True,
    ),
    Action(
        "sla delete", "post", lambda o: f"sla/{o.policy.pk}/delete/", SETTINGS, takes_object=True
    ),
    Action("routing list", "get", lambda o: "routing/", VIEWERS),
    Action(
        "routing create",
        "post",
        lambda o: "routing/",
        SETTINGS,
        lambda o: {"priority": "5", "keywords": "снег", "topic": _topic("roads.snow")},
    ),
    Action("routing try", "get", lambda o: "routing/try/?channel=pos&text=яма", VIEWERS),
    Action(
        "routing edit form", "get", lambda o: f"routing/{o.rule.pk}/", SETTINGS, takes_object=True
    ),
    Action(
        "routing edit",
        "post",
        lambda o: f"routing/{o.rule.pk}/",
        SETTINGS,
        lambda o: {"priority": "1", "keywords": "яма, выбоина", "topic": o.rule.topic_id},
        takes_object=True,
    ),
    Action(
        "routing delete",
        "post",
        lambda o: f"routing/{o.rule.pk}/delete/",
        SETTINGS,
        takes_object=True,
    ),
    Action("topics", "get", lambda o: "topics/", VIEWERS),
    Action("topics save", "post", lambda o: "topics/", SETTINGS, lambda o: {}),
    Action("templates", "get", lambda o: "templates/", VIEWERS),
    Action(
        "template create",
        "post",
        lambda o: "templates/",
        SETTINGS,
        lambda o: {"title": "Новый", "text": "Текст ответа"},
    ),
    Action(
        "template edit form",
        "get",
        lambda o: f"templates/{o.template.pk}/",
        SETTINGS,
        takes_object=True,
    ),
    Action(
        "template edit",
        "post",
        lambda o: f"templates/{o.template.pk}/",
        SETTINGS,
        lambda o: {"title": "Переименован", "text": "Текст", "topic": o.template.topic_id},
        takes_object=True,
    ),
    Action(
        "template deactivate",
        "post",
        lambda o: f"templates/{o.template.pk}/active/",
        SETTINGS,
        lambda o: {"active": "0"},
        takes_object=True,
    ),
    Action("secrets", "get", lambda o: "secrets/", VIEWERS),
    Action("secret issue", "post", lambda o: "secrets/pos/issue/", SECRETS),
    Action(
        "secret revoke",
        "post",
        lambda o: f"secrets/{o.secret.pk}/revoke/",
        SECRETS,
        takes_object=True,
    ),
    Action("roster", "get", lambda o: "roster/", ROSTER),
    Action(
        "roster appoint",
        "post",
        lambda o: "roster/",
        ROSTER,
        lambda o: {"person": o.assignment.user_id, "role": "support_officer", "on": "2025-02-01"},
    ),
    Action(
        "roster end form",
        "get",
        lambda o: f"roster/{o.assignment.pk}/end/",
        ROSTER,
        takes_object=True,
    ),
    Action(
        "roster end",
        "post",
        lambda o: f"roster/{o.assignment.pk}/end/",
        ROSTER,
        lambda o: {"on": "2025-01-31"},
        takes_object=True,
    ),
    Action(
        "roster replace",
        "post",
        lambda o: f"roster/{o.assignment.pk}/replace/",
        ROSTER,
        lambda o: {"username": "chair-2", "on": "2025-03-01"},
        takes_object=True,
    ),
]


def _do(client, action: Action, municipality: Municipality, objects: Objects):
    call = getattr(client, action.method)
    return call(url(municipality, action.path(objects)), action.data(objects))


@pytest.fixture
def people(request, admin, head, operator):
    return {"admin": admin, "head": head, "operator": operator}


@pytest.fixture
def second_chair(django_user_model):
    return django_user_model.objects.create_user(username="chair-2", full_name="Петров П.П.")


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
@pytest.mark.parametrize("who", EVERYONE)
def test_allowed_roles_succeed_others_get_403(
    action, who, municipality, own, people, second_chair, login
):
    response = _do(login(people[who]), action, municipality, own)
    if who in action.allowed:
        assert response.status_code in (200, 302), response.content.decode()[:2000]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_member_of_another_municipality_gets_404(
    action, municipality, own, stranger, second_chair, login
):
    assert _do(login(stranger), action, municipality, own).status_code == 404


@pytest.mark.parametrize("action", [a for a in ACTIONS if a.takes_object], ids=lambda a: a.name)
def test_another_municipalitys_object_id_is_404(
    action, municipality, own, foreign, admin, second_chair, login, unscoped
):
    before = _snapshot(foreign)
    assert _do(login(admin), action, municipality, foreign).status_code == 404
    assert _snapshot(foreign) == before  # and nothing of theirs changed


def _snapshot(objects: Objects) -> tuple[Any, ...]:
    from incidents.models import AnswerTemplate, SlaPolicy
    from integrations.models import ChannelSecret, RoutingRule
    from roles.models import RoleAssignment

    return (
        SlaPolicy.objects.filter(pk=objects.policy.pk).values_list("amount", flat=True).first(),
        RoutingRule.objects.filter(pk=objects.rule.pk).values_list("keywords", flat=True).first(),
        AnswerTemplate.objects.filter(pk=objects.template.pk)
        .values_list("title", "is_active")
        .first(),
        ChannelSecret.objects.filter(pk=objects.secret.pk)
        .values_list("revoked_at", flat=True)
        .first(),
        RoleAssignment.objects.filter(pk=objects.assignment.pk)
        .values_list("valid_to", flat=True)
        .first(),
    )


def test_unknown_channel_for_a_secret_is_404(municipality, admin, login):
    assert login(admin).post(url(municipality, "secrets/fax/issue/")).status_code == 404


def test_nav_link_follows_the_capability(municipality, admin, head, operator, login, client):
    link = f'href="/m/{municipality.slug}/settings/"'
    assert link in login(admin).get(f"/m/{municipality.slug}/roster/").content.decode()
    assert link in login(head).get(f"/m/{municipality.slug}/roster/").content.decode()
    assert link not in login(operator).get(f"/m/{municipality.slug}/roster/").content.decode()
