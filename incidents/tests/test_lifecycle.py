"""The lifecycle of DESIGN §4: every allowed transition, a sample of forbidden ones per role and
per status, optimistic locking and tenancy — and a refused call never leaves anything behind.

Time is frozen at Monday 23 Nov 2026, 10:15 in Октябрьский (UTC+5). Incidents are ИМ posts about a
pothole, routed to the «Дороги» block, unless a test says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from time_machine import TimeMachineFixture

from incidents.exceptions import (
    ActorLacksCapability,
    InvalidInput,
    StaleVersion,
    TransitionNotAllowed,
    WrongMunicipality,
)
from incidents.models import (
    Answer,
    ForwardTarget,
    Incident,
    IncidentEvent,
    RejectReason,
    Scope,
    Status,
    Topic,
)
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
    regional_analyst,
    sector,
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
from roles.models import Channel, OrgUnit, Role, User

IM, POS, APPEAL = Channel.IM, Channel.POS, Channel.APPEAL


@pytest.fixture
def people(
    staff: Staff, municipality: Municipality, make_user: Callable[..., User]
) -> dict[str, User]:
    """Everyone the permission tables talk about, by a short name."""
    return {
        "head": staff.head,
        "curator": staff.curator,
        "im_operator": staff.im_operator,
        "pos_operator": staff.pos_operator,
        "tech_admin": staff.tech_admin,
        "sector_owner": staff.sector_owner,
        "sector_curator": staff.sector_curator,
        "executor": staff.executor,
        "transport_owner": staff.transport_owner,
        "support_officer": make_user(Role.SUPPORT_OFFICER, municipality),
        "coordinator": make_user(Role.COORDINATOR, municipality),
        "analyst": regional_analyst(municipality),
    }


# --- actions, as a screen would call them ---------------------------------------------------


def act(action: str, incident: Incident, actor: User, staff: Staff) -> object:
    """Run one service on ``incident`` as ``actor`` with the version the actor loaded."""
    v = incident.version
    match action:
        case "assign":
            return lifecycle.incident_assign(
                incident=incident, actor=actor, expected_version=v, sector=staff.transport
            )
        case "take":
            return lifecycle.incident_take(incident=incident, actor=actor, expected_version=v)
        case "reject":
            return lifecycle.incident_reject(
                incident=incident, actor=actor, expected_version=v, reason=RejectReason.SPAM
            )
        case "forward":
            return lifecycle.incident_forward(
                incident=incident, actor=actor, expected_version=v, target=ForwardTarget.CUR
            )
        case "postpone":
            return lifecycle.incident_postpone(
                incident=incident,
                actor=actor,
                expected_version=v,
                until=date(2026, 12, 10),
                interim_answer="Ремонт запланирован на 10 декабря.",
            )
        case "merge":
            parent = make_incident(staff.municipality, topic_code=POTHOLE)
            return lifecycle.incident_merge(
                incident=incident, into=parent, actor=actor, expected_version=v
            )
        case "reopen":
            return lifecycle.incident_reopen(
                incident=incident, actor=actor, expected_version=v, reason="Яма на месте"
            )
        case "close":
            return lifecycle.incident_close(incident=incident, actor=actor, expected_version=v)
        case "extend":
            return lifecycle.incident_extend_deadline(
                incident=incident, actor=actor, expected_version=v, days=30, reason="Запрос в МВД"
            )
        case "link":
            original = make_incident(staff.municipality, topic_code=POTHOLE)
            return lifecycle.incident_link_repeat(
                incident=incident, original=original, actor=actor, expected_version=v
            )
        case "rate":
            return lifecycle.incident_rate(
                incident=incident, rating=4, actor=actor, expected_version=v
            )
        case "draft":
            return answers.answer_save_draft(
                incident=incident, actor=actor, text="Отремонтируем", expected_version=v
            )
        case "submit":
            return answers.answer_submit(incident=incident, actor=actor, expected_version=v)
        case "approve":
            return answers.answer_approve(incident=incident, actor=actor, expected_version=v)
        case "return":
            return answers.answer_return(
                incident=incident, actor=actor, expected_version=v, reason="Уточните сроки"
            )
        case "publish":
            return answers.answer_publish(incident=incident, actor=actor, expected_version=v)
    raise AssertionError(action)


def in_progress_with_draft(staff: Staff, channel: str) -> Incident:
    """In progress with a draft answer: the state ``submit`` needs."""
    incident = incident_at(Status.IN_PROGRESS, staff, channel=channel)
    draft(incident, staff.sector_owner, "Отремонтируем до пятницы.")
    return fresh(incident)


# --- every allowed transition, by the roles that may make it --------------------------------

ALLOWED = [
    # (who, action, from status, channel, to status)
    ("im_operator", "assign", Status.NEW, IM, Status.ASSIGNED),
    ("head", "assign", Status.NEW, IM, Status.ASSIGNED),
    ("pos_operator", "assign", Status.NEW, POS, Status.ASSIGNED),
    ("sector_owner", "assign", Status.ASSIGNED, IM, Status.ASSIGNED),
    ("sector_curator", "assign", Status.IN_PROGRESS, IM, Status.IN_PROGRESS),
    ("im_operator", "assign", Status.REOPENED, IM, Status.REOPENED),
    ("sector_owner", "take", Status.ASSIGNED, IM, Status.IN_PROGRESS),
    ("executor", "take", Status.ASSIGNED, POS, Status.IN_PROGRESS),
    ("sector_owner", "take", Status.REOPENED, IM, Status.IN_PROGRESS),
    ("sector_owner", "take", Status.POSTPONED, IM, Status.IN_PROGRESS),
    ("im_operator", "reject", Status.NEW, IM, Status.REJECTED),
    ("pos_operator", "reject", Status.ASSIGNED, POS, Status.REJECTED),
    ("head", "reject", Status.IN_PROGRESS, IM, Status.REJECTED),
    ("im_operator", "reject", Status.ON_APPROVAL, IM, Status.REJECTED),
    ("im_operator", "reject", Status.APPROVED, IM, Status.REJECTED),
    ("im_operator", "reject", Status.POSTPONED, IM, Status.REJECTED),
    ("im_operator", "reject", Status.REOPENED, IM, Status.REJECTED),
    ("im_operator", "forward", Status.NEW, IM, Status.FORWARDED),
    ("head", "forward", Status.IN_PROGRESS, IM, Status.FORWARDED),
    ("pos_operator", "forward", Status.ASSIGNED, APPEAL, Status.FORWARDED),
    ("sector_owner", "postpone", Status.IN_PROGRESS, IM, Status.POSTPONED),
    ("sector_curator", "postpone", Status.ASSIGNED, POS, Status.POSTPONED),
    ("head", "postpone", Status.REOPENED, IM, Status.POSTPONED),
    ("im_operator", "merge", Status.NEW, IM, Status.MERGED),
    ("head", "merge", Status.IN_PROGRESS, IM, Status.MERGED),
    ("im_operator", "reopen", Status.ANSWERED, IM, Status.REOPENED),
    ("head", "reopen", Status.CLOSED, IM, Status.REOPENED),
    ("im_operator", "close", Status.ANSWERED, IM, Status.CLOSED),
    ("sector_owner", "close", Status.ANSWERED, POS, Status.CLOSED),
    ("head", "extend", Status.IN_PROGRESS, APPEAL, Status.IN_PROGRESS),
    ("im_operator", "link", Status.ASSIGNED, IM, Status.ASSIGNED),
    ("im_operator", "rate", Status.ANSWERED, IM, Status.ANSWERED),
    ("sector_owner", "draft", Status.ASSIGNED, IM, Status.IN_PROGRESS),
    ("executor", "draft", Status.REOPENED, IM, Status.IN_PROGRESS),
    ("im_operator", "draft", Status.ASSIGNED, IM, Status.IN_PROGRESS),
    ("executor", "submit", Status.IN_PROGRESS, IM, Status.ON_APPROVAL),
    ("sector_curator", "approve", Status.ON_APPROVAL, IM, Status.ON_APPROVAL),
    ("sector_curator", "approve", Status.ON_APPROVAL, POS, Status.APPROVED),
    ("head", "approve", Status.ON_APPROVAL, POS, Status.APPROVED),
    ("sector_curator", "return", Status.ON_APPROVAL, IM, Status.IN_PROGRESS),
    ("im_operator", "publish", Status.APPROVED, IM, Status.ANSWERED),
    ("sector_owner", "publish", Status.APPROVED, POS, Status.ANSWERED),
    ("pos_operator", "publish", Status.APPROVED, POS, Status.ANSWERED),
]


@pytest.mark.parametrize(
    ("who", "action", "from_status", "channel", "to_status"),
    [pytest.param(*row, id=f"{row[0]} {row[1]} {row[2]} {row[3]}") for row in ALLOWED],
)
def test_allowed_transition(
    people: dict[str, User],
    staff: Staff,
    who: str,
    action: str,
    from_status: Status,
    channel: str,
    to_status: Status,
) -> None:
    if action == "submit":
        incident = in_progress_with_draft(staff, channel)
    else:
        incident = incident_at(from_status, staff, channel=channel)
    events_before = len(event_log(incident))

    act(action, incident, people[who], staff)

    after = fresh(incident)
    assert (after.status, after.version) == (to_status, incident.version + 1)
    new_events = event_log(after)[events_before:]
    assert new_events, "every change is on the timeline"
    assert {actor for *_, actor in new_events} <= {people[who].username, None}
    if from_status != to_status:
        moves = [(kind, frm, to) for kind, frm, to, actor in new_events if actor is not None]
        assert [(frm, to) for _, frm, to in moves if frm] == [(from_status, to_status)]


# --- what each transition does to the incident -----------------------------------------------


def test_operator_routes_a_new_message_by_hand(staff: Staff) -> None:
    incident = incident_at(Status.NEW, staff)
    potholes = Topic.objects.get(code=POTHOLE)

    routed = lifecycle.incident_assign(
        incident=incident,
        actor=staff.im_operator,
        expected_version=1,
        sector=staff.roads,
        topic=potholes,
        note="Ямы — блок «Дороги»",
    )

    assert (routed.status, routed.sector, routed.topic, routed.version) == (
        Status.ASSIGNED,
        staff.roads,
        potholes,
        2,
    )
    # Октябрьский, Прил. № 2 п. 2: a human routed it, so it does not count as auto-delivered.
    assert routed.auto_routed is False
    # Регламент §2.5: the agreed answer is due to the ИМ operator 3 hours after the hand-over.
    assert routed.stage_due_at == local(2026, 11, 23, 13, 15)
    assert routed.due_at == local(2026, 11, 23, 13, 15)  # routing does not buy time
    assert event_log(routed)[-1] == (
        IncidentEvent.Kind.ASSIGNED,
        Status.NEW,
        Status.ASSIGNED,
        staff.im_operator.username,
    )
    assert notified(routed, "incident_assigned") == {
        staff.sector_owner.username: ["incident_assigned"],
        staff.executor.username: ["incident_assigned"],
    }


def test_assigning_to_a_person_notifies_only_that_person(staff: Staff) -> None:
    incident = incident_at(Status.ASSIGNED, staff)

    routed = lifecycle.incident_assign(
        incident=incident, actor=staff.im_operator, expected_version=1, responsible=staff.executor
    )

    assert (routed.status, routed.sector, routed.responsible) == (
        Status.ASSIGNED,
        staff.roads,
        staff.executor,
    )
    assert notified(routed, "incident_assigned") == {staff.executor.username: ["incident_assigned"]}


def test_taking_makes_the_taker_responsible(staff: Staff) -> None:
    incident = incident_at(Status.ASSIGNED, staff)

    taken = lifecycle.incident_take(incident=incident, actor=staff.executor, expected_version=1)

    assert (taken.status, taken.responsible, taken.version) == (
        Status.IN_PROGRESS,
        staff.executor,
        2,
    )
    assert event_log(taken)[-1] == (
        IncidentEvent.Kind.TRANSITION,
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        staff.executor.username,
    )


def test_rejecting_closes_with_a_reason_from_the_list(staff: Staff) -> None:
    incident = incident_at(Status.NEW, staff)

    rejected = lifecycle.incident_reject(
        incident=incident, actor=staff.im_operator, expected_version=1, reason=RejectReason.OBSCENE
    )

    assert (rejected.status, rejected.reject_reason, rejected.closed_at) == (
        Status.REJECTED,
        "obscene",
        NOW,
    )
    event = IncidentEvent.objects.filter(incident=rejected).latest("pk")
    assert (event.note, event.data) == (
        "Нецензурная брань, оскорбления, угрозы",
        {"reason": "obscene"},
    )


def test_forwarding_a_regional_incident_makes_it_regional(staff: Staff) -> None:
    incident = incident_at(Status.ASSIGNED, staff)

    forwarded = lifecycle.incident_forward(
        incident=incident,
        actor=staff.im_operator,
        expected_version=1,
        target=ForwardTarget.COORDINATION_CENTER,
        note="Региональная дорога",
    )

    assert (forwarded.status, forwarded.scope, forwarded.forward_target, forwarded.closed_at) == (
        Status.FORWARDED,
        Scope.REGIONAL,
        "coordination_center",
        NOW,
    )


def test_forwarding_outside_competence_keeps_it_municipal(staff: Staff) -> None:
    incident = incident_at(Status.ASSIGNED, staff)

    forwarded = lifecycle.incident_forward(
        incident=incident,
        actor=staff.im_operator,
        expected_version=1,
        target=ForwardTarget.OTHER_AUTHORITY,
    )

    assert (forwarded.status, forwarded.scope) == (Status.FORWARDED, Scope.MUNICIPAL)


@pytest.mark.parametrize(
    ("days_later", "missed"),
    [
        pytest.param(7, False, id="day 7: within the term"),
        pytest.param(8, True, id="day 8: late"),
    ],
)
def test_forwarding_an_appeal_records_whether_the_7_day_term_was_kept(
    staff: Staff, frozen: TimeMachineFixture, days_later: int, missed: bool
) -> None:
    # 59-ФЗ ст. 8 ч. 3: within 7 days of registration (23 Nov) — until 24:00 of 30 Nov.
    incident = incident_at(Status.ASSIGNED, staff, channel=APPEAL)
    frozen.move_to(NOW + timedelta(days=days_later), tick=False)

    forwarded = lifecycle.incident_forward(
        incident=incident,
        actor=staff.pos_operator,  # the same chair is the appeals officer
        expected_version=1,
        target=ForwardTarget.OTHER_AUTHORITY,
    )

    event = IncidentEvent.objects.filter(incident=forwarded).latest("pk")
    assert event.data == {"target": "other_authority", "forwarding_term_missed": missed}


def test_postponing_gives_an_interim_answer_and_a_promised_date(staff: Staff) -> None:
    incident = incident_at(Status.IN_PROGRESS, staff)

    postponed = lifecycle.incident_postpone(
        incident=incident,
        actor=staff.sector_owner,
        expected_version=2,
        until=date(2026, 12, 10),
        interim_answer="Ремонт покрытия включён в план на 10 декабря.",
    )

    assert (postponed.status, postponed.postponed_until) == (Status.POSTPONED, date(2026, 12, 10))
    # Judged by the promised date: met until 24:00 local of 10 Dec.
    assert postponed.due_at == local(2026, 12, 11)
    assert postponed.final_due_at == local(2026, 11, 23, 13, 15)  # the regulation's term stays
    assert postponed.warn_at == local(2026, 12, 10)
    assert postponed.first_answer_at == NOW
    interim = Answer.objects.get(incident=postponed)
    assert (interim.is_interim, interim.state, interim.published_by, interim.text) == (
        True,
        Answer.State.PUBLISHED,
        staff.sector_owner,
        "Ремонт покрытия включён в план на 10 декабря.",
    )
    assert event_log(postponed)[-2:] == [
        (IncidentEvent.Kind.TRANSITION, Status.IN_PROGRESS, Status.POSTPONED, "owner"),
        (IncidentEvent.Kind.DEADLINE, "", "", "owner"),
    ]
    deadline = IncidentEvent.objects.filter(incident=postponed).latest("pk")
    assert deadline.data == {
        "from": "2026-11-23T08:15:00+00:00",
        "to": "2026-12-10T19:00:00+00:00",
    }


def test_taking_a_postponed_incident_keeps_the_promised_date(staff: Staff) -> None:
    postponed = incident_at(Status.POSTPONED, staff)

    taken = lifecycle.incident_take(
        incident=postponed, actor=staff.sector_owner, expected_version=postponed.version
    )

    assert (taken.status, taken.due_at, taken.postponed_until) == (
        Status.IN_PROGRESS,
        postponed.due_at,
        date(2026, 11, 30),
    )


def test_a_postponed_incident_is_judged_by_its_promised_date(
    staff: Staff, frozen: TimeMachineFixture
) -> None:
    incident = incident_at(Status.IN_PROGRESS, staff)  # ИМ: 3 hours, due today 13:15 local
    lifecycle.incident_postpone(
        incident=incident,
        actor=staff.sector_owner,
        expected_version=2,
        until=date(2026, 12, 10),
        interim_answer="Ремонт запланирован на 10 декабря.",
    )
    frozen.move_to(local(2026, 12, 10, 23, 59), tick=False)  # the last minute of the promised day
    incident = lifecycle.incident_take(
        incident=incident, actor=staff.sector_owner, expected_version=3
    )
    draft(incident, staff.sector_owner, "Яма отремонтирована.")
    submit(incident, staff.sector_owner)
    approve(incident, staff.sector_curator)
    approve(incident, staff.head)

    publish(incident, staff.im_operator)

    answered = fresh(incident)
    assert (answered.status, answered.answered_late) == (Status.ANSWERED, False)
    assert answered.first_answer_at == NOW  # the interim answer was the first one


def test_merging_a_duplicate_into_its_parent(staff: Staff) -> None:
    parent = incident_at(Status.ASSIGNED, staff)
    duplicate = incident_at(Status.NEW, staff)

    merged = lifecycle.incident_merge(
        incident=duplicate, into=parent, actor=staff.im_operator, expected_version=1
    )

    assert (merged.status, merged.merged_into, merged.is_repeat, merged.repeat_of) == (
        Status.MERGED,
        parent,
        True,
        parent,
    )
    assert event_log(merged)[-1] == (
        IncidentEvent.Kind.MERGE,
        Status.NEW,
        Status.MERGED,
        staff.im_operator.username,
    )
    parent_event = IncidentEvent.objects.filter(incident=parent).latest("pk")
    assert (parent_event.kind, parent_event.data) == (
        IncidentEvent.Kind.MERGE,
        {"duplicate": duplicate.pk},
    )


def test_a_duplicate_of_a_repeat_counts_as_a_repeat_of_the_original(staff: Staff) -> None:
    original = make_incident(
        staff.municipality,
        topic_code=POTHOLE,
        address="ул. Ленина, 5",
        received_at=NOW - timedelta(days=3),
    )
    parent = make_incident(staff.municipality, topic_code=POTHOLE, address="ул. Ленина, 5")
    duplicate = incident_at(Status.NEW, staff)

    merged = lifecycle.incident_merge(
        incident=duplicate, into=parent, actor=staff.im_operator, expected_version=1
    )

    assert (parent.repeat_of_id, merged.merged_into_id, merged.repeat_of_id) == (
        original.pk,
        parent.pk,
        original.pk,
    )


def test_reopening_restarts_the_clock_and_counts_a_repeat(
    staff: Staff, frozen: TimeMachineFixture
) -> None:
    answered = incident_at(Status.ANSWERED, staff)
    frozen.move_to(NOW + timedelta(days=2), tick=False)

    reopened = lifecycle.incident_reopen(
        incident=answered,
        actor=staff.im_operator,
        expected_version=answered.version,
        reason="Заявитель: яма на месте",
    )

    assert (reopened.status, reopened.is_repeat) == (Status.REOPENED, True)
    assert (reopened.answered_at, reopened.answered_late, reopened.closed_at) == (None, None, None)
    assert reopened.first_answer_at == NOW  # the first answer was still given
    assert reopened.due_at == local(2026, 11, 25, 13, 15)  # a new round: 3 hours from now
    assert reopened.final_due_at == local(2026, 11, 23, 13, 15)
    assert notified(reopened, "incident_reopened") == {
        staff.sector_owner.username: ["incident_reopened"]
    }


def test_closing_an_answered_incident(staff: Staff, frozen: TimeMachineFixture) -> None:
    answered = incident_at(Status.ANSWERED, staff)
    frozen.move_to(NOW + timedelta(hours=1), tick=False)

    closed = lifecycle.incident_close(
        incident=answered, actor=staff.im_operator, expected_version=answered.version
    )

    assert (closed.status, closed.closed_at) == (Status.CLOSED, NOW + timedelta(hours=1))
    assert event_log(closed)[-1] == (
        IncidentEvent.Kind.TRANSITION,
        Status.ANSWERED,
        Status.CLOSED,
        staff.im_operator.username,
    )


# --- 59-ФЗ: one extension of up to 30 days -----------------------------------------------------


@pytest.fixture
def appeal(staff: Staff) -> Incident:
    """Registered 23 Nov 2026: due by 24:00 local of 23 Dec (59-ФЗ ст. 12 ч. 1)."""
    incident = incident_at(Status.IN_PROGRESS, staff, channel=APPEAL)
    assert incident.due_at == local(2026, 12, 24)
    return incident


def test_the_head_extends_an_appeal_once(staff: Staff, appeal: Incident) -> None:
    extended = lifecycle.incident_extend_deadline(
        incident=appeal,
        actor=staff.head,
        expected_version=appeal.version,
        days=30,
        reason="Направлен запрос в Минтранс округа",
    )

    # 59-ФЗ ст. 12 ч. 2: 30 more days from the old last day (23 Dec) — until 24:00 of 22 Jan.
    assert (extended.due_at, extended.final_due_at, extended.extension_count) == (
        local(2027, 1, 23),
        local(2026, 12, 24),
        1,
    )
    assert extended.warn_at == local(2027, 1, 18)  # the policy warns 5 days ahead
    event = IncidentEvent.objects.filter(incident=extended).latest("pk")
    assert (event.kind, event.note, event.data) == (
        IncidentEvent.Kind.DEADLINE,
        "Направлен запрос в Минтранс округа",
        {"from": "2026-12-23T19:00:00+00:00", "to": "2027-01-22T19:00:00+00:00", "days": 30},
    )


def test_a_second_extension_is_refused(staff: Staff, appeal: Incident) -> None:
    once = lifecycle.incident_extend_deadline(
        incident=appeal, actor=staff.head, expected_version=appeal.version, days=10, reason="Запрос"
    )
    before = snapshot(once)

    with pytest.raises(TransitionNotAllowed):
        lifecycle.incident_extend_deadline(
            incident=once, actor=staff.head, expected_version=once.version, days=5, reason="Ещё"
        )

    assert snapshot(once) == before


@pytest.mark.parametrize(
    ("days", "reason", "field"),
    [
        pytest.param(31, "Запрос", "days", id="more than 30 days"),
        pytest.param(0, "Запрос", "days", id="zero days"),
        pytest.param(10, "  ", "reason", id="no reason"),
    ],
)
def test_an_extension_beyond_the_law_is_refused(
    staff: Staff, appeal: Incident, days: int, reason: str, field: str
) -> None:
    before = snapshot(appeal)

    with pytest.raises(InvalidInput) as refused:
        lifecycle.incident_extend_deadline(
            incident=appeal,
            actor=staff.head,
            expected_version=appeal.version,
            days=days,
            reason=reason,
        )

    assert refused.value.field == field
    assert snapshot(appeal) == before


def test_only_an_appeal_can_be_extended(staff: Staff) -> None:
    message = incident_at(Status.IN_PROGRESS, staff, channel=POS)
    before = snapshot(message)

    with pytest.raises(TransitionNotAllowed):
        lifecycle.incident_extend_deadline(
            incident=message,
            actor=staff.head,
            expected_version=message.version,
            days=10,
            reason="Запрос",
        )

    assert snapshot(message) == before


# --- repeats by hand and ratings --------------------------------------------------------------


def test_staff_link_and_unlink_a_repeat(staff: Staff) -> None:
    original = incident_at(Status.ANSWERED, staff)
    incident = incident_at(Status.ASSIGNED, staff)

    linked = lifecycle.incident_link_repeat(
        incident=incident, original=original, actor=staff.im_operator, expected_version=1
    )
    assert (linked.is_repeat, linked.repeat_of, linked.version) == (True, original, 2)

    unlinked = lifecycle.incident_link_repeat(
        incident=linked, original=None, actor=staff.im_operator, expected_version=2
    )
    assert (unlinked.is_repeat, unlinked.repeat_of, unlinked.version) == (False, None, 3)

    links = IncidentEvent.objects.filter(
        incident=incident, kind=IncidentEvent.Kind.REPEAT_LINK
    ).order_by("pk")
    assert [(e.note, e.data) for e in links] == [
        (f"Отмечен повтором № {original.pk}", {"repeat_of": original.pk, "previous": None}),
        ("Связь с повтором снята", {"repeat_of": None, "previous": original.pk}),
    ]


def test_an_incident_is_not_a_repeat_of_itself(staff: Staff) -> None:
    incident = incident_at(Status.ASSIGNED, staff)
    before = snapshot(incident)

    with pytest.raises(InvalidInput) as refused:
        lifecycle.incident_link_repeat(
            incident=incident, original=incident, actor=staff.im_operator, expected_version=1
        )

    assert refused.value.field == "original"
    assert snapshot(incident) == before


@pytest.mark.parametrize("rating", [3, 4, 5])
def test_a_good_rating_is_recorded(staff: Staff, rating: int) -> None:
    answered = incident_at(Status.ANSWERED, staff)

    rated = lifecycle.incident_rate(
        incident=answered, rating=rating, actor=staff.im_operator, expected_version=answered.version
    )

    assert (rated.status, rated.satisfaction, rated.is_repeat) == (Status.ANSWERED, rating, False)
    event = IncidentEvent.objects.filter(incident=rated).latest("pk")
    assert (event.kind, event.data) == (IncidentEvent.Kind.SATISFACTION, {"rating": rating})


@pytest.mark.parametrize(
    ("rating", "from_status", "actor_name"),
    [
        pytest.param(2, Status.ANSWERED, "im_operator", id="2 entered by staff"),
        pytest.param(1, Status.CLOSED, None, id="1 from the channel, after closing"),
    ],
)
def test_a_low_rating_reopens_and_counts_a_repeat(
    staff: Staff, rating: int, from_status: Status, actor_name: str | None
) -> None:
    incident = incident_at(from_status, staff)
    actor = staff.im_operator if actor_name else None

    rated = lifecycle.incident_rate(
        incident=incident, rating=rating, actor=actor, expected_version=incident.version
    )

    assert (rated.status, rated.satisfaction, rated.is_repeat) == (
        Status.REOPENED,
        rating,
        True,
    )
    assert event_log(rated)[-2:] == [
        (IncidentEvent.Kind.SATISFACTION, "", "", actor.username if actor else None),
        (IncidentEvent.Kind.TRANSITION, from_status, Status.REOPENED, None),
    ]
    assert IncidentEvent.objects.filter(incident=rated).latest("pk").note == (
        f"Заявитель не удовлетворён ответом (оценка {rating})"
    )


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_a_rating_outside_1_to_5_is_refused(staff: Staff, rating: int) -> None:
    answered = incident_at(Status.ANSWERED, staff)
    before = snapshot(answered)

    with pytest.raises(InvalidInput) as refused:
        lifecycle.incident_rate(
            incident=answered,
            rating=rating,
            actor=staff.im_operator,
            expected_version=answered.version,
        )

    assert refused.value.field == "rating"
    assert snapshot(answered) == before


# --- forbidden: the role lacks the capability (the permission matrix) ------------------------

FORBIDDEN_FOR_ROLE = [
    # (who, action, status, channel)
    ("executor", "reject", Status.ASSIGNED, IM),
    ("executor", "forward", Status.ASSIGNED, IM),
    ("executor", "assign", Status.ASSIGNED, IM),
    ("executor", "postpone", Status.IN_PROGRESS, IM),
    ("executor", "approve", Status.ON_APPROVAL, POS),
    ("executor", "publish", Status.APPROVED, POS),
    ("tech_admin", "assign", Status.NEW, IM),
    ("tech_admin", "take", Status.ASSIGNED, IM),
    ("tech_admin", "reject", Status.NEW, IM),
    ("tech_admin", "draft", Status.IN_PROGRESS, IM),
    ("curator", "assign", Status.NEW, IM),
    ("curator", "reject", Status.NEW, IM),
    ("curator", "approve", Status.ON_APPROVAL, POS),
    ("coordinator", "assign", Status.NEW, IM),
    ("coordinator", "close", Status.ANSWERED, IM),
    ("support_officer", "reject", Status.NEW, IM),
    ("support_officer", "assign", Status.NEW, IM),
    ("analyst", "assign", Status.NEW, IM),
    ("analyst", "take", Status.ASSIGNED, IM),
    ("analyst", "reject", Status.NEW, IM),
    ("analyst", "rate", Status.ANSWERED, IM),
    ("sector_curator", "take", Status.ASSIGNED, IM),
    ("sector_curator", "draft", Status.IN_PROGRESS, IM),
    ("sector_curator", "publish", Status.APPROVED, POS),
    ("sector_curator", "reopen", Status.ANSWERED, IM),
    ("sector_owner", "reject", Status.ASSIGNED, IM),
    ("sector_owner", "forward", Status.ASSIGNED, IM),
    ("sector_owner", "merge", Status.ASSIGNED, IM),
    ("sector_owner", "approve", Status.ON_APPROVAL, POS),
    ("sector_owner", "reopen", Status.ANSWERED, IM),
    ("sector_owner", "extend", Status.IN_PROGRESS, APPEAL),
    ("sector_owner", "assign", Status.NEW, IM),  # not of its block (yet)
    ("transport_owner", "take", Status.ASSIGNED, IM),  # another block's incident
    ("transport_owner", "draft", Status.IN_PROGRESS, IM),
    ("transport_owner", "publish", Status.APPROVED, POS),
    ("im_operator", "take", Status.ASSIGNED, IM),
    ("im_operator", "approve", Status.ON_APPROVAL, IM),
    ("im_operator", "postpone", Status.IN_PROGRESS, IM),
    ("im_operator", "extend", Status.IN_PROGRESS, APPEAL),
    ("im_operator", "assign", Status.NEW, POS),  # another channel's message
    ("im_operator", "publish", Status.APPROVED, POS),
    ("pos_operator", "assign", Status.NEW, IM),
    ("pos_operator", "publish", Status.APPROVED, IM),
    ("head", "publish", Status.APPROVED, IM),  # Регламент §2.5: the ИМ operator posts it
    ("head", "take", Status.ASSIGNED, IM),
    ("head", "submit", Status.IN_PROGRESS, IM),
]


@pytest.mark.parametrize(
    ("who", "action", "status", "channel"),
    [pytest.param(*row, id=f"{row[0]} cannot {row[1]} {row[3]}") for row in FORBIDDEN_FOR_ROLE],
)
def test_forbidden_for_the_role(
    people: dict[str, User], staff: Staff, who: str, action: str, status: Status, channel: str
) -> None:
    if action == "submit":
        incident = in_progress_with_draft(staff, channel)
    else:
        incident = incident_at(status, staff, channel=channel)
    before = snapshot(incident)

    with pytest.raises(ActorLacksCapability):
        act(action, incident, people[who], staff)

    assert snapshot(incident) == before


def test_the_sector_curator_cannot_give_the_heads_approval(staff: Staff) -> None:
    incident = incident_at(Status.ON_APPROVAL, staff)  # ИМ: the sector curator, then the head
    approve(incident, staff.sector_curator)
    incident = fresh(incident)
    before = snapshot(incident)

    for action in ("approve", "return"):
        with pytest.raises(ActorLacksCapability):
            act(action, incident, staff.sector_curator, staff)

    assert snapshot(incident) == before


# --- forbidden: the status does not allow it -------------------------------------------------

FORBIDDEN_FROM_STATUS = [
    # (who, action, status, channel)
    ("im_operator", "publish", Status.IN_PROGRESS, IM),  # before approval
    ("im_operator", "publish", Status.ON_APPROVAL, IM),  # before the head's approval
    ("sector_owner", "submit", Status.IN_PROGRESS, IM),  # without a draft
    ("sector_owner", "submit", Status.ASSIGNED, IM),
    ("sector_owner", "take", Status.IN_PROGRESS, IM),
    ("sector_owner", "take", Status.ON_APPROVAL, IM),
    ("sector_owner", "draft", Status.ON_APPROVAL, IM),
    ("sector_owner", "draft", Status.APPROVED, POS),
    ("sector_owner", "draft", Status.POSTPONED, IM),  # take it back into work first
    ("sector_owner", "postpone", Status.ON_APPROVAL, IM),
    ("sector_curator", "approve", Status.IN_PROGRESS, IM),
    ("head", "approve", Status.APPROVED, POS),
    ("sector_curator", "return", Status.APPROVED, POS),
    ("im_operator", "close", Status.IN_PROGRESS, IM),
    ("im_operator", "close", Status.CLOSED, IM),
    ("im_operator", "reopen", Status.IN_PROGRESS, IM),
    ("im_operator", "reject", Status.ANSWERED, IM),
    ("im_operator", "reject", Status.CLOSED, IM),
    ("im_operator", "forward", Status.REJECTED, IM),
    ("im_operator", "merge", Status.CLOSED, IM),
    ("im_operator", "merge", Status.MERGED, IM),
    ("im_operator", "assign", Status.ON_APPROVAL, IM),
    ("im_operator", "assign", Status.ANSWERED, IM),
    ("im_operator", "rate", Status.IN_PROGRESS, IM),
    ("head", "postpone", Status.NEW, IM),
    ("head", "extend", Status.ANSWERED, APPEAL),
]


@pytest.mark.parametrize(
    ("who", "action", "status", "channel"),
    [pytest.param(*row, id=f"{row[1]} from {row[2]}") for row in FORBIDDEN_FROM_STATUS],
)
def test_forbidden_from_the_status(
    people: dict[str, User], staff: Staff, who: str, action: str, status: Status, channel: str
) -> None:
    incident = incident_at(status, staff, channel=channel)
    before = snapshot(incident)

    with pytest.raises(TransitionNotAllowed) as refused:
        act(action, incident, people[who], staff)

    assert refused.value.message
    assert snapshot(incident) == before


# --- bad input to the transitions ---------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        pytest.param(
            lambda i, s: lifecycle.incident_reject(
                incident=i, actor=s.im_operator, expected_version=i.version, reason="boring"
            ),
            "reason",
            id="reject: a reason not on the list",
        ),
        pytest.param(
            lambda i, s: lifecycle.incident_forward(
                incident=i, actor=s.im_operator, expected_version=i.version, target="moscow"
            ),
            "target",
            id="forward: unknown target",
        ),
        pytest.param(
            lambda i, s: lifecycle.incident_assign(
                incident=i, actor=s.im_operator, expected_version=i.version
            ),
            "sector",
            id="assign: to nobody",
        ),
        pytest.param(
            lambda i, s: lifecycle.incident_postpone(
                incident=i,
                actor=s.sector_owner,
                expected_version=i.version,
                until=date(2026, 11, 23),
                interim_answer="Сделаем",
            ),
            "until",
            id="postpone: until today",
        ),
        pytest.param(
            lambda i, s: lifecycle.incident_postpone(
                incident=i,
                actor=s.sector_owner,
                expected_version=i.version,
                until=date(2026, 12, 10),
                interim_answer=" ",
            ),
            "interim_answer",
            id="postpone: no interim answer",
        ),
        pytest.param(
            lambda i, s: lifecycle.incident_merge(
                incident=i, into=i, actor=s.im_operator, expected_version=i.version
            ),
            "into",
            id="merge: into itself",
        ),
        pytest.param(
            lambda i, s: lifecycle.incident_merge(
                incident=i,
                into=incident_at(Status.MERGED, s),
                actor=s.im_operator,
                expected_version=i.version,
            ),
            "into",
            id="merge: into a merged duplicate",
        ),
        pytest.param(
            lambda i, s: lifecycle.incident_reopen(
                incident=i, actor=s.im_operator, expected_version=i.version, reason=""
            ),
            "reason",
            id="reopen: no reason",
        ),
        pytest.param(
            lambda i, s: answers.answer_save_draft(
                incident=i, actor=s.sector_owner, text=" \x00 ", expected_version=i.version
            ),
            "text",
            id="draft: empty text",
        ),
        pytest.param(
            lambda i, s: answers.answer_save_draft(
                incident=i, actor=s.sector_owner, text="я" * 20_001, expected_version=i.version
            ),
            "text",
            id="draft: too long",
        ),
    ],
)
def test_bad_input_is_refused_with_the_field(
    staff: Staff, call: Callable[[Incident, Staff], object], field: str
) -> None:
    incident = incident_at(Status.IN_PROGRESS, staff)
    before = snapshot(incident)

    with pytest.raises(InvalidInput) as refused:
        call(incident, staff)

    assert refused.value.field == field
    assert snapshot(incident) == before


def test_the_responsible_must_be_on_this_municipalitys_roster(
    staff: Staff, other_municipality: Municipality
) -> None:
    incident = incident_at(Status.ASSIGNED, staff)
    lensky_head = seeded_holder(other_municipality, Role.HEAD)
    before = snapshot(incident)

    with pytest.raises(InvalidInput) as refused:
        lifecycle.incident_assign(
            incident=incident,
            actor=staff.im_operator,
            expected_version=1,
            responsible=lensky_head,
        )

    assert refused.value.field == "responsible"
    assert snapshot(incident) == before


# --- two people at once: optimistic locking ---------------------------------------------------


def test_the_second_of_two_people_gets_a_conflict_and_changes_nothing(staff: Staff) -> None:
    loaded_by_operator = incident_at(Status.ASSIGNED, staff)
    loaded_by_owner = Incident.objects.get(pk=loaded_by_operator.pk)  # the same version, 1

    lifecycle.incident_assign(
        incident=loaded_by_operator,
        actor=staff.im_operator,
        expected_version=loaded_by_operator.version,
        sector=staff.transport,
    )
    after_first = snapshot(loaded_by_operator)

    with pytest.raises(StaleVersion) as conflict:
        lifecycle.incident_take(
            incident=loaded_by_owner,
            actor=staff.sector_owner,
            expected_version=loaded_by_owner.version,
        )

    assert conflict.value.code == "conflict"
    assert snapshot(loaded_by_operator) == after_first
    assert (after_first["status"], after_first["sector"], after_first["version"]) == (
        Status.ASSIGNED,
        staff.transport.pk,
        2,
    )


@pytest.mark.parametrize(
    ("status", "first", "second"),
    [
        pytest.param(
            Status.IN_PROGRESS,
            ("draft", "sector_owner"),
            ("draft", "executor"),
            id="two drafts of one answer",
        ),
        pytest.param(
            Status.ON_APPROVAL,
            ("approve", "sector_curator"),
            ("return", "head"),
            id="approve vs return",
        ),
        pytest.param(
            Status.NEW,
            ("reject", "im_operator"),
            ("assign", "head"),
            id="reject vs assign",
        ),
        pytest.param(
            Status.APPROVED,
            ("publish", "im_operator"),
            ("reject", "head"),
            id="publish vs reject",
        ),
    ],
)
def test_concurrent_actions_the_second_is_refused(
    people: dict[str, User],
    staff: Staff,
    status: Status,
    first: tuple[str, str],
    second: tuple[str, str],
) -> None:
    incident = incident_at(status, staff)
    same_version = Incident.objects.get(pk=incident.pk)

    act(first[0], incident, people[first[1]], staff)
    after_first = snapshot(incident)

    with pytest.raises(StaleVersion):
        act(second[0], same_version, people[second[1]], staff)

    assert snapshot(incident) == after_first


# --- tenancy: nothing of another municipality is accepted --------------------------------------


@pytest.fixture
def lensky(other_municipality: Municipality) -> dict[str, Any]:
    with municipality_scope(other_municipality.pk):
        return {
            "incident": make_incident(other_municipality, topic_code=POTHOLE),
            "sector": sector(other_municipality, "production"),
            "org_unit": OrgUnit.objects.get(municipality=other_municipality, code="edds"),
            "head": seeded_holder(other_municipality, Role.HEAD),
            "im_operator": seeded_holder(other_municipality, Role.IM_OPERATOR),
        }


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda i, s, other: lifecycle.incident_assign(
                incident=i, actor=s.im_operator, expected_version=i.version, sector=other["sector"]
            ),
            id="assign to a block of Ленский",
        ),
        pytest.param(
            lambda i, s, other: lifecycle.incident_assign(
                incident=i,
                actor=s.im_operator,
                expected_version=i.version,
                org_unit=other["org_unit"],
            ),
            id="assign to a unit of Ленский",
        ),
        pytest.param(
            lambda i, s, other: lifecycle.incident_merge(
                incident=i, into=other["incident"], actor=s.im_operator, expected_version=i.version
            ),
            id="merge into an incident of Ленский",
        ),
        pytest.param(
            lambda i, s, other: lifecycle.incident_link_repeat(
                incident=i,
                original=other["incident"],
                actor=s.im_operator,
                expected_version=i.version,
            ),
            id="repeat of an incident of Ленский",
        ),
    ],
)
def test_no_service_accepts_an_object_of_another_municipality(
    staff: Staff,
    municipality: Municipality,
    other_municipality: Municipality,
    lensky: dict[str, Any],
    call: Callable[[Incident, Staff, dict[str, Any]], object],
) -> None:
    incident = incident_at(Status.NEW, staff)
    before = snapshot(incident)
    foreign_before = snapshot(lensky["incident"])

    # A user of both municipalities would have both in scope: the service itself must refuse,
    # the tenant manager is only the safety net.
    with (
        municipality_scope(municipality.pk, other_municipality.pk),
        pytest.raises(WrongMunicipality),
    ):
        call(incident, staff, lensky)

    assert snapshot(incident) == before
    assert snapshot(lensky["incident"]) == foreign_before


@pytest.mark.parametrize(
    ("who", "action", "status"),
    [
        ("head", "assign", Status.NEW),
        ("head", "reject", Status.ASSIGNED),
        ("head", "extend", Status.IN_PROGRESS),
        ("head", "approve", Status.ON_APPROVAL),
        ("im_operator", "publish", Status.APPROVED),
        ("im_operator", "close", Status.ANSWERED),
        ("im_operator", "merge", Status.NEW),
    ],
)
def test_an_official_of_another_municipality_has_no_capabilities_here(
    staff: Staff,
    municipality: Municipality,
    other_municipality: Municipality,
    lensky: dict[str, Any],
    who: str,
    action: str,
    status: Status,
) -> None:
    channel = APPEAL if action == "extend" else IM
    incident = incident_at(status, staff, channel=channel)
    before = snapshot(incident)

    with (
        municipality_scope(municipality.pk, other_municipality.pk),
        pytest.raises(ActorLacksCapability),
    ):
        act(action, incident, lensky[who], staff)

    assert snapshot(incident) == before


def test_an_incident_of_another_municipality_is_not_found(
    staff: Staff, lensky: dict[str, Any]
) -> None:
    """In Октябрьский's scope a Ленский incident does not exist: the same answer as missing."""
    foreign = lensky["incident"]
    before = snapshot(foreign)

    for action in ("take", "reject", "draft", "close"):
        with pytest.raises(Incident.DoesNotExist):
            act(action, foreign, staff.head, staff)

    assert snapshot(foreign) == before
