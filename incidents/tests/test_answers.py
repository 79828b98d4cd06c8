"""The answer flow of Регламент Октябрьского района §2.4–2.5, end to end through the services.

Social networks (ИМ): the operator hands the message over, the sector owner drafts, the sector
curator agrees, the МЦУ head approves, the ИМ operator publishes. ПОС: no head approval; the sector
owner publishes. Every version of the text and every decision is kept; the right people hear of
each step. Time is frozen at Monday 23 Nov 2026, 10:15 in Октябрьский (UTC+5).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from time_machine import TimeMachineFixture

from incidents.exceptions import InvalidInput, TransitionNotAllowed
from incidents.models import Answer, AnswerVersion, Approval, Incident, IncidentEvent, Status
from incidents.services import answers, lifecycle
from incidents.tests.factories import (
    NOW,
    POTHOLE,
    Staff,
    approve,
    draft,
    event_log,
    fresh,
    incident_at,
    make_incident,
    notified,
    publish,
    seeded_holder,
    snapshot,
    submit,
)
from incidents.tests.oktyabrsky import (  # noqa: F401 - pytest fixtures by name
    OKTYABRSKY,
    _seed_once,
    frozen,
    local,
    scope,
    seeded,
    staff,
)
from mcu.models import Municipality
from mcu.tenancy import municipality_scope
from roles.models import Channel, Role, RoleAssignment, User

YAKUTSK = ZoneInfo("Asia/Yakutsk")
K = IncidentEvent.Kind
S = Status


def versions(incident: Incident) -> list[tuple[int, int, str, str]]:
    """Every kept text: (answer, number, text, author) in order."""
    return [
        (v.answer_id, v.number, v.text, v.author.username)
        for v in AnswerVersion.objects.filter(answer__incident=incident)
        .select_related("author")
        .order_by("answer_id", "number")
    ]


def approvals(incident: Incident) -> list[tuple[str, str, int, str, str]]:
    """Every decision: (stage, decision, version number, who, comment) in order."""
    return [
        (a.stage, a.decision, a.version.number, a.actor.username, a.comment)
        for a in Approval.objects.filter(answer__incident=incident)
        .select_related("version", "actor")
        .order_by("pk")
    ]


def seeded_holder_for_sector(municipality: Municipality, code: str) -> User:
    """Ленский's act names each block's owner (Прил. 2 пп. 3–4)."""
    with municipality_scope(municipality.pk):
        row = RoleAssignment.objects.select_related("user").get(
            municipality=municipality, role=Role.SECTOR_OWNER, sector__code=code
        )
    assert row.user is not None
    return row.user


# --- social networks ------------------------------------------------------------------------


def test_social_network_answer_from_hand_over_to_publication(
    staff: Staff, frozen: TimeMachineFixture
) -> None:
    im, head = staff.im_operator.username, staff.head.username
    owner, executor, curator = "owner", "executor", "curator-roads"
    incident = make_incident(staff.municipality, channel=Channel.IM, topic_code=None)
    assert (incident.status, notified(incident)) == (S.NEW, {im: ["incident_new"]})

    # Регламент §2.4: the ИМ operator passes the message to the block's owner.
    lifecycle.incident_assign(
        incident=incident, actor=staff.im_operator, expected_version=1, sector=staff.roads
    )
    assert notified(incident, "incident_assigned") == {
        owner: ["incident_assigned"],
        executor: ["incident_assigned"],
    }

    # The owner drafts; a second draft is a second version of the same answer.
    first = draft(incident, staff.sector_owner, "Яму засыплем.")
    second = draft(incident, staff.sector_owner, "Яму засыплют щебнем до 25 ноября.")
    assert first.pk == second.pk
    assert versions(incident) == [
        (first.pk, 1, "Яму засыплем.", owner),
        (first.pk, 2, "Яму засыплют щебнем до 25 ноября.", owner),
    ]
    assert (fresh(incident).status, fresh(incident).responsible) == (
        S.IN_PROGRESS,
        staff.sector_owner,
    )

    submit(incident, staff.sector_owner)
    assert answers.pending_approval_stage(fresh(incident)) == Approval.Stage.SECTOR
    assert notified(incident, "answer_on_approval") == {curator: ["answer_on_approval"]}

    # Agreed with the sector curator within the 3 hours of §2.5 …
    frozen.move_to(NOW + timedelta(hours=1), tick=False)
    approve(incident, staff.sector_curator, comment="Согласовано")
    assert fresh(incident).status == S.ON_APPROVAL  # … but not yet approved by the head
    assert answers.pending_approval_stage(fresh(incident)) == Approval.Stage.HEAD
    assert notified(incident, "answer_head_approval") == {head: ["answer_head_approval"]}
    assert notified(incident, "answer_approved") == {}
    with pytest.raises(TransitionNotAllowed):  # nothing to publish before the head approves
        publish(incident, staff.im_operator)

    frozen.move_to(NOW + timedelta(hours=1, minutes=30), tick=False)
    approve(incident, staff.head)
    assert fresh(incident).status == S.APPROVED
    assert answers.pending_approval_stage(fresh(incident)) is None
    assert notified(incident, "answer_approved") == {im: ["answer_approved"]}
    assert (
        answers.actor_can_publish(fresh(incident), staff.im_operator),
        answers.actor_can_publish(fresh(incident), staff.head),
    ) == (True, False)

    frozen.move_to(NOW + timedelta(hours=2), tick=False)
    published = publish(incident, staff.im_operator)

    answered = fresh(incident)
    assert (answered.status, answered.answered_late) == (S.ANSWERED, False)
    assert answered.answered_at == answered.first_answer_at == NOW + timedelta(hours=2)
    assert (published.state, published.published_by, published.published_at) == (
        Answer.State.PUBLISHED,
        staff.im_operator,
        NOW + timedelta(hours=2),
    )
    assert (published.sector_approved_at, published.head_approved_at) == (
        NOW + timedelta(hours=1),
        NOW + timedelta(hours=1, minutes=30),
    )
    assert approvals(incident) == [
        ("sector", "approved", 2, curator, "Согласовано"),
        ("head", "approved", 2, head, ""),
    ]
    assert event_log(incident) == [
        (K.CREATED, "", S.NEW, None),
        (K.ASSIGNED, S.NEW, S.ASSIGNED, im),
        (K.TRANSITION, S.ASSIGNED, S.IN_PROGRESS, owner),
        (K.ANSWER_VERSION, "", "", owner),
        (K.ANSWER_VERSION, "", "", owner),
        (K.TRANSITION, S.IN_PROGRESS, S.ON_APPROVAL, owner),
        (K.APPROVAL, "", "", curator),
        (K.APPROVAL, S.ON_APPROVAL, S.APPROVED, head),
        (K.TRANSITION, S.APPROVED, S.ANSWERED, im),
    ]
    sector_approval = IncidentEvent.objects.get(incident=incident, kind=K.APPROVAL, to_status="")
    assert sector_approval.data == {
        "stage": "sector",
        "answer": published.pk,
        "agreed_stage_on_time": True,
    }
    assert notified(incident) == {
        im: ["incident_new", "answer_approved"],
        owner: ["incident_assigned"],
        executor: ["incident_assigned"],
        curator: ["answer_on_approval"],
        head: ["answer_head_approval"],
    }
    assert answered.version == 8


@pytest.mark.parametrize(
    ("agreed_after", "on_time"),
    [
        pytest.param(timedelta(hours=2, minutes=59), True, id="2:59 after receipt"),
        pytest.param(timedelta(hours=3), False, id="3:00 after receipt"),
    ],
)
def test_the_agreed_answer_must_reach_the_operator_within_three_hours(
    staff: Staff, frozen: TimeMachineFixture, agreed_after: timedelta, on_time: bool
) -> None:
    incident = incident_at(S.ON_APPROVAL, staff)
    frozen.move_to(NOW + agreed_after, tick=False)

    approve(incident, staff.sector_curator)

    event = IncidentEvent.objects.filter(incident=incident, kind=K.APPROVAL).latest("pk")
    assert event.data["agreed_stage_on_time"] is on_time


@pytest.mark.parametrize(
    ("published_at", "late"),
    [
        pytest.param(local(2026, 11, 23, 13, 14), False, id="13:14 local: on time"),
        pytest.param(local(2026, 11, 23, 13, 15), True, id="13:15 local: the term has run out"),
        pytest.param(local(2026, 11, 24, 9, 0), True, id="next morning"),
    ],
)
def test_an_answer_published_after_the_term_is_late(
    staff: Staff, frozen: TimeMachineFixture, published_at: datetime, late: bool
) -> None:
    incident = incident_at(S.APPROVED, staff)  # ИМ, received 10:15 local: due 13:15
    frozen.move_to(published_at, tick=False)

    publish(incident, staff.im_operator)

    answered = fresh(incident)
    assert (answered.status, answered.answered_late, answered.answered_at) == (
        S.ANSWERED,
        late,
        published_at,
    )
    event = IncidentEvent.objects.filter(incident=incident).latest("pk")
    assert event.data["on_time"] is not late


# --- ПОС ------------------------------------------------------------------------------------


def test_pos_answer_needs_no_head_approval_and_the_owner_publishes(
    staff: Staff, frozen: TimeMachineFixture
) -> None:
    pos_operator = staff.pos_operator.username
    incident = make_incident(staff.municipality, channel=Channel.POS, topic_code=POTHOLE)
    assert notified(incident) == {
        "owner": ["incident_new"],
        "executor": ["incident_new"],
    }
    lifecycle.incident_take(incident=incident, actor=staff.sector_owner, expected_version=1)
    draft(incident, staff.sector_owner, "Ремонт дороги выполнен 30 ноября.")
    submit(incident, staff.sector_owner)

    approve(incident, staff.sector_curator)

    approved = fresh(incident)
    assert approved.status == S.APPROVED
    assert approvals(incident) == [("sector", "approved", 1, "curator-roads", "")]
    # Either the ПОС operator or the block's owner may post it on the platform.
    assert notified(incident, "answer_approved") == {
        pos_operator: ["answer_approved"],
        "owner": ["answer_approved"],
    }
    before = snapshot(approved)
    with pytest.raises(TransitionNotAllowed):  # there is no head stage on the platform
        approve(incident, staff.head)
    assert snapshot(approved) == before

    # Received 23 Nov: 25 calendar days end at 24:00 of 18 Dec; the last minute is on time.
    frozen.move_to(local(2026, 12, 18, 23, 59), tick=False)
    publish(incident, staff.sector_owner)

    answered = fresh(incident)
    assert (answered.status, answered.answered_late) == (S.ANSWERED, False)
    assert event_log(incident) == [
        (K.CREATED, "", S.NEW, None),
        (K.ASSIGNED, S.NEW, S.ASSIGNED, None),
        (K.TRANSITION, S.ASSIGNED, S.IN_PROGRESS, "owner"),
        (K.ANSWER_VERSION, "", "", "owner"),
        (K.TRANSITION, S.IN_PROGRESS, S.ON_APPROVAL, "owner"),
        (K.APPROVAL, S.ON_APPROVAL, S.APPROVED, "curator-roads"),
        (K.TRANSITION, S.APPROVED, S.ANSWERED, "owner"),
    ]


def test_pos_answer_published_the_day_after_the_term_is_late(
    staff: Staff, frozen: TimeMachineFixture
) -> None:
    incident = incident_at(S.APPROVED, staff, channel=Channel.POS)
    frozen.move_to(local(2026, 12, 19), tick=False)

    publish(incident, staff.pos_operator)

    assert fresh(incident).answered_late is True


def test_without_a_sector_curator_the_head_agrees_and_approves(
    other_municipality: Municipality,
) -> None:
    """Ленский has no sector curators: the head hears of the answer and gives both approvals."""
    owner = seeded_holder_for_sector(other_municipality, "production")
    head = seeded_holder(other_municipality, Role.HEAD)
    im = seeded_holder(other_municipality, Role.IM_OPERATOR)
    with municipality_scope(other_municipality.pk):
        incident = make_incident(other_municipality, channel=Channel.IM, topic_code=POTHOLE)
        draft(incident, owner, "Яму отремонтируют.")
        submit(incident, owner)
        assert notified(incident, "answer_on_approval") == {head.username: ["answer_on_approval"]}

        approve(incident, head)
        assert fresh(incident).status == S.ON_APPROVAL
        approve(incident, head)
        publish(incident, im)

        assert fresh(incident).status == S.ANSWERED
        assert [(stage, decision) for stage, decision, *_ in approvals(incident)] == [
            ("sector", "approved"),
            ("head", "approved"),
        ]


# --- rework ---------------------------------------------------------------------------------


def test_returned_for_rework_with_a_reason_and_every_version_kept(staff: Staff) -> None:
    incident = incident_at(S.ON_APPROVAL, staff)  # version 1 submitted
    answer = answers.current_answer(incident)
    assert answer is not None

    answers.answer_return(
        incident=fresh(incident),
        actor=staff.sector_curator,
        expected_version=fresh(incident).version,
        reason="Укажите срок ремонта",
    )

    returned = fresh(incident)
    answer.refresh_from_db()
    assert (returned.status, answer.state) == (S.IN_PROGRESS, Answer.State.RETURNED)
    assert event_log(returned)[-1] == (K.APPROVAL, S.ON_APPROVAL, S.IN_PROGRESS, "curator-roads")
    last = IncidentEvent.objects.filter(incident=incident).latest("pk")
    assert (last.note, last.data) == (
        "Укажите срок ремонта",
        {"stage": "sector", "decision": "returned", "answer": answer.pk},
    )
    assert notified(incident, "answer_returned") == {"owner": ["answer_returned"]}

    # Reworked, agreed, then returned by the head: the sector curator must agree again.
    draft(incident, staff.sector_owner, "Яму засыплют щебнем до 25 ноября.")
    submit(incident, staff.sector_owner)
    approve(incident, staff.sector_curator)
    answers.answer_return(
        incident=fresh(incident),
        actor=staff.head,
        expected_version=fresh(incident).version,
        reason="Добавьте извинения",
    )
    draft(incident, staff.sector_owner, "Приносим извинения. Яму засыплют до 25 ноября.")
    submit(incident, staff.sector_owner)
    assert answers.pending_approval_stage(fresh(incident)) == Approval.Stage.SECTOR
    approve(incident, staff.sector_curator)
    approve(incident, staff.head)
    publish(incident, staff.im_operator)

    assert fresh(incident).status == S.ANSWERED
    assert versions(incident) == [
        (answer.pk, 1, "Яму засыплют щебнем до конца недели.", "owner"),
        (answer.pk, 2, "Яму засыплют щебнем до 25 ноября.", "owner"),
        (answer.pk, 3, "Приносим извинения. Яму засыплют до 25 ноября.", "owner"),
    ]
    head = staff.head.username
    assert approvals(incident) == [
        ("sector", "returned", 1, "curator-roads", "Укажите срок ремонта"),
        ("sector", "approved", 2, "curator-roads", ""),
        ("head", "returned", 2, head, "Добавьте извинения"),
        ("sector", "approved", 3, "curator-roads", ""),
        ("head", "approved", 3, head, ""),
    ]
    answer.refresh_from_db()
    assert (answer.state, answer.text) == (
        Answer.State.PUBLISHED,
        "Приносим извинения. Яму засыплют до 25 ноября.",
    )


def test_returning_without_a_reason_is_refused(staff: Staff) -> None:
    incident = incident_at(S.ON_APPROVAL, staff)
    before = snapshot(incident)

    with pytest.raises(InvalidInput) as refused:
        answers.answer_return(
            incident=incident,
            actor=staff.sector_curator,
            expected_version=incident.version,
            reason="  ",
        )

    assert refused.value.field == "reason"
    assert snapshot(incident) == before


def test_saving_the_same_text_again_is_not_a_new_version(staff: Staff) -> None:
    incident = incident_at(S.IN_PROGRESS, staff)
    draft(incident, staff.sector_owner, "Яму засыплют.")
    before = snapshot(incident)

    draft(incident, staff.sector_owner, "  Яму засыплют.  ")

    assert snapshot(incident) == before


def test_a_reopened_incident_gets_a_new_answer_and_keeps_the_old_one(
    staff: Staff, frozen: TimeMachineFixture
) -> None:
    incident = incident_at(S.ANSWERED, staff)
    (old,) = Answer.objects.filter(incident=incident)
    frozen.move_to(NOW + timedelta(days=1), tick=False)
    lifecycle.incident_reopen(
        incident=incident,
        actor=staff.im_operator,
        expected_version=incident.version,
        reason="Яму засыпали, но она снова появилась",
    )

    new = draft(incident, staff.sector_owner, "Выполним ремонт асфальтом.")
    submit(incident, staff.sector_owner)
    frozen.move_to(NOW + timedelta(days=1, hours=1), tick=False)
    approve(incident, staff.sector_curator)
    approve(incident, staff.head)
    publish(incident, staff.im_operator)

    old.refresh_from_db()
    assert new.pk != old.pk
    assert (old.state, old.text) == (Answer.State.PUBLISHED, "Яму засыплют щебнем до конца недели.")
    assert [(number, text) for _, number, text, _ in versions(incident)] == [
        (1, "Яму засыплют щебнем до конца недели."),
        (1, "Выполним ремонт асфальтом."),
    ]
    answered = fresh(incident)
    assert (answered.status, answered.answered_late, answered.is_repeat) == (
        S.ANSWERED,
        False,
        True,
    )
    # A new round has a new 3-hour hand-over term (Регламент §2.5), not the first round's.
    event = IncidentEvent.objects.filter(incident=incident, kind=K.APPROVAL, to_status="").latest(
        "pk"
    )
    assert event.data["agreed_stage_on_time"] is True


# --- merged duplicates ----------------------------------------------------------------------


def test_a_merged_duplicate_is_answered_with_its_parent(
    staff: Staff, frozen: TimeMachineFixture
) -> None:
    parent = incident_at(S.APPROVED, staff)
    duplicate = make_incident(staff.municipality, topic_code=None, text="Опять яма на Ленина")
    lifecycle.incident_merge(
        incident=duplicate, into=parent, actor=staff.im_operator, expected_version=1
    )
    frozen.move_to(NOW + timedelta(hours=2), tick=False)

    answer = publish(parent, staff.im_operator)

    answered = fresh(duplicate)
    assert (answered.status, answered.merged_into_id) == (S.MERGED, parent.pk)
    assert (answered.answered_at, answered.first_answer_at, answered.answered_late) == (
        NOW + timedelta(hours=2),
        NOW + timedelta(hours=2),
        False,
    )
    note = IncidentEvent.objects.filter(incident=duplicate).latest("pk")
    assert (note.kind, note.note, note.actor) == (
        K.NOTE,
        f"Отвечено ответом на инцидент № {parent.pk}",
        staff.im_operator,
    )
    assert Answer.objects.filter(incident=duplicate).count() == 0  # one answer answers both
    assert answer.incident_id == parent.pk


def test_duplicates_of_a_merged_incident_follow_it_to_the_new_parent(staff: Staff) -> None:
    """C was merged into B, then B into A: A's answer must reach C's citizen too."""
    parent = incident_at(S.APPROVED, staff)
    middle = make_incident(staff.municipality, topic_code=None)
    child = make_incident(staff.municipality, topic_code=None)
    lifecycle.incident_merge(
        incident=child, into=middle, actor=staff.im_operator, expected_version=1
    )
    lifecycle.incident_merge(
        incident=middle, into=parent, actor=staff.im_operator, expected_version=1
    )

    publish(parent, staff.im_operator)

    assert (fresh(child).merged_into_id, fresh(middle).merged_into_id) == (parent.pk, parent.pk)
    assert (fresh(child).repeat_of_id, fresh(middle).repeat_of_id) == (parent.pk, parent.pk)
    assert (fresh(child).answered_at, fresh(middle).answered_at) == (NOW, NOW)
    moved = IncidentEvent.objects.filter(incident=child, kind=K.MERGE).order_by("pk")
    assert [(e.note, e.data) for e in moved] == [
        (f"Объединено с инцидентом № {middle.pk}", {"into": middle.pk}),
        (f"Объединено с инцидентом № {parent.pk}", {"into": parent.pk, "via": middle.pk}),
    ]


def test_a_duplicate_merged_into_an_answered_parent_is_answered_at_once(staff: Staff) -> None:
    parent = incident_at(Status.ANSWERED, staff, channel="pos")
    duplicate = make_incident(staff.municipality, channel="pos", topic_code=POTHOLE)
    lifecycle.incident_merge(
        incident=duplicate,
        into=parent,
        actor=staff.pos_operator,
        expected_version=duplicate.version,
    )
    merged = fresh(duplicate)
    assert merged.status == Status.MERGED
    assert merged.answered_at is not None
    assert merged.answered_late is False


@pytest.mark.parametrize("parent_status", [Status.REJECTED, Status.FORWARDED])
def test_cannot_merge_into_a_rejected_or_forwarded_parent(
    staff: Staff, parent_status: Status
) -> None:
    parent = incident_at(parent_status, staff, channel="pos")
    duplicate = make_incident(staff.municipality, channel="pos", topic_code=POTHOLE)
    with pytest.raises(InvalidInput) as refused:
        lifecycle.incident_merge(
            incident=duplicate,
            into=parent,
            actor=staff.pos_operator,
            expected_version=duplicate.version,
        )
    assert refused.value.field == "into"
    assert fresh(duplicate).status == Status.ASSIGNED
