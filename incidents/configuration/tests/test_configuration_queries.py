"""Each list page runs the same number of queries whatever the number of rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.configuration.tests.conftest import url
from incidents.models import AnswerTemplate, SectorTopic, SlaPolicy, Topic
from integrations.models import ChannelSecret, RoutingRule
from mcu.models import Municipality
from mcu.tenancy import municipality_scope
from roles.models import OrgUnit, Role, RoleAssignment, Sector, User


def _subtopics() -> list[Topic]:
    return list(Topic.objects.filter(parent__isnull=False).order_by("pk"))


def add_policies(municipality: Municipality, start: int, count: int) -> None:
    for topic in _subtopics()[start : start + count]:
        SlaPolicy.objects.create(
            municipality=municipality,
            channel="pos",
            topic=topic,
            amount=5,
            unit="calendar_days",
        )


def add_rules(municipality: Municipality, start: int, count: int) -> None:
    sector = Sector.objects.filter(municipality=municipality).first()
    settlement = OrgUnit.objects.create(
        municipality=municipality, code=f"s-{start}", name=f"Поселение {start}", kind="settlement"
    )
    for index, topic in enumerate(_subtopics()[start : start + count]):
        RoutingRule.objects.create(
            municipality=municipality,
            keywords=f"слово{index}",
            topic=topic,
            sector=sector,
            settlement_keyword=f"пункт{index}",
            settlement=settlement,
        )


def add_templates(municipality: Municipality, start: int, count: int) -> None:
    for topic in _subtopics()[start : start + count]:
        AnswerTemplate.objects.create(
            municipality=municipality, topic=topic, title=f"Шаблон {topic.code}", text="Текст"
        )


def add_secrets(municipality: Municipality, start: int, count: int) -> None:
    author = User.objects.create_user(username=f"author-{start}")
    for index in range(count):
        ChannelSecret.objects.create(
            municipality=municipality,
            channel=("pos", "im", "edds")[index % 3],
            secret=f"secret-{start}-{index}",
            created_by=author,
        )


def add_topic_links(municipality: Municipality, start: int, count: int) -> None:
    unit = OrgUnit.objects.create(
        municipality=municipality, code=f"u-{start}", name=f"Отдел {start}", kind="structural_unit"
    )
    for topic in _subtopics()[start : start + count]:
        SectorTopic.objects.create(municipality=municipality, topic=topic, org_unit=unit)


def add_assignments(municipality: Municipality, start: int, count: int) -> None:
    sector = Sector.objects.filter(municipality=municipality).first()
    unit = OrgUnit.objects.filter(municipality=municipality).first()
    for index in range(count):
        RoleAssignment.objects.create(
            municipality=municipality,
            user=User.objects.create_user(username=f"person-{start}-{index}"),
            role=Role.EXECUTOR,
            sector=sector,
            org_unit=unit,
            valid_from=date(2025, 1, 1),
        )


PAGES: list[tuple[str, Callable[[Municipality, int, int], None]]] = [
    ("sla/", add_policies),
    ("routing/", add_rules),
    ("templates/", add_templates),
    ("secrets/", add_secrets),
    ("topics/", add_topic_links),
    ("roster/", add_assignments),
]


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(("page", "add"), PAGES, ids=[p for p, _ in PAGES])
def test_list_query_count_does_not_grow_with_rows(municipality, admin, login, page, add):
    client = login(admin)
    with municipality_scope(municipality.pk):
        add(municipality, 0, 2)
    few = _queries(client, url(municipality, page))
    with municipality_scope(municipality.pk):
        add(municipality, 2, 12)
    assert _queries(client, url(municipality, page)) == few
