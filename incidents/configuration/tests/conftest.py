"""Fixtures of the settings pages: an administrator, a head (reads, manages the roster), an
operator (none of it), and one object of each kind in another municipality."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest

from incidents.models import AnswerTemplate, SlaPolicy, Topic
from integrations.models import ChannelSecret, RoutingRule
from mcu.models import Municipality
from mcu.tenancy import municipality_scope
from roles.models import Role, RoleAssignment, User


@pytest.fixture
def admin(municipality: Municipality, make_user: Callable[..., User]) -> User:
    return make_user(Role.TECH_ADMIN, municipality, valid_from=date(2020, 1, 1))


@pytest.fixture
def head(municipality: Municipality, make_user: Callable[..., User]) -> User:
    return make_user(Role.HEAD, municipality)


@pytest.fixture
def curator(municipality: Municipality, make_user: Callable[..., User]) -> User:
    """The МЦУ curator: reads the settings (audit.view), changes none of them."""
    return make_user(Role.CURATOR, municipality)


@pytest.fixture
def operator(municipality: Municipality, make_user: Callable[..., User]) -> User:
    return make_user(Role.POS_OPERATOR, municipality)


@pytest.fixture
def stranger(other_municipality: Municipality, make_user: Callable[..., User]) -> User:
    """The administrator of another municipality."""
    return make_user(Role.TECH_ADMIN, other_municipality)


@dataclass(frozen=True)
class Objects:
    policy: SlaPolicy
    rule: RoutingRule
    template: AnswerTemplate
    secret: ChannelSecret
    assignment: RoleAssignment


def make_objects(municipality: Municipality) -> Objects:
    """One row of each kind the pages edit; the policy is a topic term (deletable)."""
    topic = Topic.objects.get(code="roads.potholes")
    with municipality_scope(municipality.pk):
        return Objects(
            policy=SlaPolicy.objects.create(
                municipality=municipality,
                channel="pos",
                stage="answer",
                topic=topic,
                amount=5,
                unit="calendar_days",
                source="Тестовый срок",
            ),
            rule=RoutingRule.objects.create(
                municipality=municipality, keywords="яма", topic=topic, priority=10
            ),
            template=AnswerTemplate.objects.create(
                municipality=municipality, topic=topic, title="Тестовый шаблон", text="Текст"
            ),
            secret=ChannelSecret.objects.create(
                municipality=municipality, channel="pos", secret="s3cret-" + municipality.slug
            ),
            assignment=RoleAssignment.objects.create(
                municipality=municipality,
                user=User.objects.create_user(username=f"chair-{municipality.slug}"),
                role=Role.EXECUTOR,
                valid_from=date(2024, 1, 1),
            ),
        )


@pytest.fixture
def own(municipality: Municipality) -> Objects:
    return make_objects(municipality)


@pytest.fixture
def foreign(other_municipality: Municipality) -> Objects:
    return make_objects(other_municipality)


def url(municipality: Municipality, path: str = "") -> str:
    return f"/m/{municipality.slug}/settings/{path}"
