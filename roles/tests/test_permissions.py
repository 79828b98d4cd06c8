"""The permission matrix, role by role, as a table: a change to who may do what shows up here."""

from __future__ import annotations

import pytest

from roles.models import Channel, Role
from roles.permissions import MATRIX, ActorCapabilities, Capability

_EVERYONE = {"municipality.view", "roster.view"}
_OPERATOR = _EVERYONE | {
    "incident.view",
    "incident.view_personal_data",
    "incident.register",
    "incident.triage",
    "incident.reject",
    "incident.forward",
    "incident.merge",
    "incident.reopen",
    "incident.export",
    "answer.publish",
    "reports.view",
}
_ANSWERING = {
    "incident.view",
    "incident.view_personal_data",
    "incident.take",
    "answer.draft",
    "answer.submit",
    "assignments.execute",
}

EXPECTED: dict[Role, set[str]] = {
    Role.COORDINATOR: _EVERYONE
    | {"incident.view", "incident.export", "reports.view", "reports.generate", "kpi.manage"},
    Role.CURATOR: _EVERYONE
    | {
        "incident.view",
        "incident.export",
        "reports.view",
        "reports.generate",
        "kpi.manage",
        "meetings.manage",
        "roadmaps.approve",
        "audit.view",
    },
    Role.HEAD: _OPERATOR
    | {
        "incident.postpone",
        "incident.extend_deadline",
        "answer.approve_sector",
        "answer.approve_head",
        "reports.generate",
        "kpi.manage",
        "roster.manage",
        "settings.manage",
        "audit.view",
        "meetings.manage",
        "roadmaps.manage",
        "hearings.manage",
    },
    Role.SECTOR_CURATOR: _EVERYONE
    | {
        "incident.view",
        "incident.view_personal_data",
        "incident.triage",
        "incident.postpone",
        "incident.export",
        "answer.approve_sector",
        "reports.view",
        "roadmaps.approve",
    },
    Role.SECTOR_OWNER: _EVERYONE
    | _ANSWERING
    | {
        "incident.triage",
        "incident.postpone",
        "incident.export",
        "answer.publish",
        "reports.view",
        "roadmaps.manage",
    },
    Role.EXECUTOR: _EVERYONE | _ANSWERING,
    Role.EDDS_HEAD: _OPERATOR | _ANSWERING,
    Role.POS_OPERATOR: _OPERATOR | {"hearings.manage"},
    Role.IM_OPERATOR: _OPERATOR | {"answer.draft", "answer.submit"},
    Role.APPEALS_OFFICER: _OPERATOR,
    Role.GOSPUBLIC_OFFICER: _OPERATOR | {"answer.draft", "answer.submit"},
    Role.SUPPORT_OFFICER: _EVERYONE
    | {"incident.view", "incident.export", "reports.view", "reports.generate"},
    Role.TECH_ADMIN: _EVERYONE
    | {"roster.manage", "settings.manage", "channel_secrets.manage", "inbox.manage", "audit.view"},
    Role.ECPUR_CURATOR: _EVERYONE
    | {"incident.view", "incident.forward", "incident.export", "reports.view"},
    Role.SED_CURATOR: _EVERYONE
    | {
        "incident.view",
        "incident.view_personal_data",
        "incident.register",
        "incident.triage",
        "incident.forward",
        "reports.view",
    },
    Role.REGIONAL_ANALYST: _EVERYONE | {"incident.view", "reports.view"},
}


def test_every_role_is_in_the_matrix():
    assert set(MATRIX) == set(Role)


@pytest.mark.parametrize("role", list(Role))
def test_role_capabilities(role):
    assert {c.value for c in MATRIX[role]} == EXPECTED[role]


@pytest.mark.parametrize("role", list(Role))
def test_capabilities_of_one_assignment_equal_the_matrix_row(role):
    actor = ActorCapabilities.from_assignments([(role.value, None, "")])
    assert {c.value for c in actor.capabilities} == EXPECTED[role]
    assert actor.roles == {role}


def test_personal_data_only_for_roles_that_handle_the_citizen():
    allowed = {r for r in Role if Capability.INCIDENT_VIEW_PERSONAL_DATA in MATRIX[r]}
    assert Role.REGIONAL_ANALYST not in allowed
    assert Role.TECH_ADMIN not in allowed
    assert Role.COORDINATOR not in allowed


def test_sector_owner_acts_only_on_own_sector():
    actor = ActorCapabilities.from_assignments([("sector_owner", 7, "")])
    assert actor.can(Capability.ANSWER_DRAFT)
    assert actor.can_on(Capability.ANSWER_DRAFT, sector_id=7, channel=Channel.POS)
    assert not actor.can_on(Capability.ANSWER_DRAFT, sector_id=8, channel=Channel.POS)
    # Municipality-wide capabilities ignore the sector.
    assert actor.can(Capability.REPORTS_VIEW)


def test_head_publishes_where_a_channel_may_lack_an_operator_but_not_social_networks():
    actor = ActorCapabilities.from_assignments([("head", None, "")])
    for channel in (Channel.POS, Channel.EDDS, Channel.APPEAL, Channel.EMAIL):
        assert actor.can_on(Capability.ANSWER_PUBLISH, sector_id=1, channel=channel)
    for channel in (Channel.IM, Channel.GOSPUBLIC):
        assert not actor.can_on(Capability.ANSWER_PUBLISH, sector_id=1, channel=channel)


def test_sector_owner_publishes_pos_answers_but_not_social_network_ones():
    # Регламент §2.5: owners post ПОС answers themselves; the ИМ curator posts social ones.
    actor = ActorCapabilities.from_assignments([("sector_owner", 7, "")])
    assert actor.can_on(Capability.ANSWER_PUBLISH, sector_id=7, channel=Channel.POS)
    assert not actor.can_on(Capability.ANSWER_PUBLISH, sector_id=7, channel=Channel.IM)
    assert not actor.can_on(Capability.ANSWER_PUBLISH, sector_id=7, channel=Channel.GOSPUBLIC)
    assert actor.can_on(Capability.ANSWER_DRAFT, sector_id=7, channel=Channel.IM)


def test_operator_acts_on_own_channel_only_by_default():
    actor = ActorCapabilities.from_assignments([("im_operator", None, "")])
    assert actor.can_on(Capability.ANSWER_PUBLISH, sector_id=None, channel=Channel.IM)
    assert not actor.can_on(Capability.ANSWER_PUBLISH, sector_id=None, channel=Channel.POS)


def test_one_person_with_several_roles_gets_the_union():
    # Ловозерский: the head of the press service is head, ИМ, ПОС and ЕЦПУР curator at once.
    actor = ActorCapabilities.from_assignments(
        [
            ("head", None, ""),
            ("im_operator", None, "im"),
            ("pos_operator", None, "pos"),
            ("ecpur_curator", None, ""),
        ]
    )
    assert actor.can_on(Capability.ANSWER_PUBLISH, sector_id=None, channel=Channel.IM)
    assert actor.can_on(Capability.ANSWER_PUBLISH, sector_id=None, channel=Channel.POS)
    assert not actor.can_on(Capability.ANSWER_PUBLISH, sector_id=None, channel=Channel.GOSPUBLIC)
    # As head, the fallback publisher of channels with no operator of their own.
    assert actor.can_on(Capability.ANSWER_PUBLISH, sector_id=None, channel=Channel.EDDS)
    assert actor.can_on(Capability.ANSWER_APPROVE_HEAD, sector_id=3, channel=Channel.EDDS)


def test_no_assignment_no_capability():
    actor = ActorCapabilities.from_assignments([])
    assert actor.capabilities == frozenset()
    assert not actor.can(Capability.MUNICIPALITY_VIEW)


def test_superuser_may_do_everything():
    actor = ActorCapabilities(frozenset(), frozenset(), is_superuser=True)
    assert actor.capabilities == frozenset(Capability)
