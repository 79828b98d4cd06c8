"""Intake: a message becomes an incident — routed, given its terms, checked for repeats, on record.

Every incident here comes through ``incident_create`` as a channel adapter would send it. Time
is frozen at Monday 23 Nov 2026, 10:15 in Октябрьский (UTC+5); expected due times are written
as local wall time and checked against the stored UTC instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from time_machine import TimeMachineFixture

from incidents.exceptions import ActorLacksCapability, InvalidInput
from incidents.models import (
    Incident,
    IncidentClock,
    IncidentEvent,
    Kind,
    Notification,
    SlaPolicy,
    Status,
    Topic,
)
from incidents.services.intake import incident_create
from incidents.tests.factories import (
    NOW,
    POTHOLE,
    UNMAPPED_TOPIC,
    Staff,
    event_log,
    make_incident,
    message,
    notified,
    oktyabrsky_staff,
    sector,
    seeded_holder,
    seeded_once,
)
from mcu.models import Municipality
from mcu.seeding import SeedLog
from mcu.tenancy import WrongMunicipality, dangerously_unscoped, municipality_scope
from roles.models import Channel, OrgUnit, Role, User

YEKATERINBURG = ZoneInfo("Asia/Yekaterinburg")  # Октябрьский
YAKUTSK = ZoneInfo("Asia/Yakutsk")  # Ленский


def local(
    tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


@pytest.fixture(scope="module")
def _seed_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with seeded_once(django_db_blocker):
        yield


@pytest.fixture
def seeded(_seed_once: None, db: None) -> SeedLog:
    """The conftest's seed, made once per module (see ``seeded_once``)."""
    return SeedLog()


@pytest.fixture(autouse=True)
def frozen(time_machine: TimeMachineFixture) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture(autouse=True)
def scope(municipality: Municipality) -> Iterator[None]:
    with municipality_scope(municipality.pk):
        yield


@pytest.fixture
def staff(municipality: Municipality, make_user: Callable[..., User]) -> Staff:
    return oktyabrsky_staff(municipality, make_user)


def written() -> dict[str, int]:
    """Rows of every municipality: a refused message must leave no trace anywhere."""
    with dangerously_unscoped(reason="test: nothing written in any municipality"):
        return {
            "incidents": Incident.objects.count(),
            "events": IncidentEvent.objects.count(),
            "notifications": Notification.objects.count(),
        }


# --- routing ----------------------------------------------------------------------------


def test_a_subtopic_lands_in_the_block_mapped_to_its_topic(municipality: Municipality) -> None:
    incident = make_incident(municipality, topic_code=POTHOLE)

    assert (incident.sector, incident.org_unit, incident.responsible) == (
        sector(municipality, "roads"),
        None,
        None,
    )
    assert (incident.status, incident.auto_routed) == (Status.ASSIGNED, True)
    assert incident.topic is not None
    assert incident.topic.code == POTHOLE


def test_a_topic_no_block_covers_waits_for_an_operator(municipality: Municipality) -> None:
    incident = make_incident(municipality, topic_code=UNMAPPED_TOPIC)

    assert (incident.status, incident.sector, incident.auto_routed) == (Status.NEW, None, None)


def test_a_message_without_topic_waits_for_an_operator(municipality: Municipality) -> None:
    incident = make_incident(municipality, topic_code=None)

    assert (incident.status, incident.topic, incident.sector) == (Status.NEW, None, None)


def test_an_unknown_topic_code_is_left_unclassified(municipality: Municipality) -> None:
    """A stale adapter mapping must not lose the citizen's message: an operator classifies it."""
    incident = make_incident(municipality, topic_code="roads.no_such_subtopic")

    assert (incident.status, incident.topic, incident.sector) == (Status.NEW, None, None)


def test_an_explicit_sector_code_wins_over_the_topic(municipality: Municipality) -> None:
    incident = make_incident(municipality, topic_code=POTHOLE, sector_code="transport")

    assert (incident.sector, incident.status, incident.auto_routed) == (
        sector(municipality, "transport"),
        Status.ASSIGNED,
        True,
    )


@pytest.mark.parametrize(
    "sector_code",
    [
        pytest.param("production", id="a block of Ленский"),
        pytest.param("no-such-block", id="unknown"),
    ],
)
def test_a_sector_code_that_is_not_ours_falls_back_to_the_topic(
    municipality: Municipality, sector_code: str
) -> None:
    incident = make_incident(municipality, topic_code=POTHOLE, sector_code=sector_code)

    assert incident.sector == sector(municipality, "roads")


# --- deadlines --------------------------------------------------------------------------


def test_im_answer_is_due_three_hours_after_receipt(municipality: Municipality) -> None:
    incident = make_incident(municipality, channel=Channel.IM, topic_code=POTHOLE)

    # Регламент §2.5: received 10:15 local → due 13:15 local; the agreed answer reaches the ИМ
    # operator by the same time; warned an hour before.
    assert incident.received_at == local(YEKATERINBURG, 2026, 11, 23, 10, 15)
    assert incident.due_at == local(YEKATERINBURG, 2026, 11, 23, 13, 15)
    assert incident.final_due_at == incident.due_at
    assert incident.stage_due_at == local(YEKATERINBURG, 2026, 11, 23, 13, 15)
    assert incident.warn_at == local(YEKATERINBURG, 2026, 11, 23, 12, 15)
    assert incident.sla_policy is not None
    assert (incident.sla_policy.channel, incident.sla_policy.stage) == ("im", "answer")
    assert incident.due_at == datetime(2026, 11, 23, 8, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fast_track", "due_local", "warn_before"),
    [
        # Received 22 Nov: 25 calendar days end at 24:00 of 17 Dec (ГК РФ ст. 191, 194).
        pytest.param(False, (2026, 12, 18), timedelta(days=3), id="25 days"),
        # Fast-track: 10 calendar days end at 24:00 of 2 Dec.
        pytest.param(True, (2026, 12, 3), timedelta(days=2), id="fast-track 10 days"),
    ],
)
def test_pos_answer_is_due_at_the_end_of_the_last_local_day(
    municipality: Municipality,
    fast_track: bool,
    due_local: tuple[int, int, int],
    warn_before: timedelta,
) -> None:
    incident = make_incident(
        municipality,
        channel=Channel.POS,
        fast_track=fast_track,
        topic_code=POTHOLE,
        received_at=local(YEKATERINBURG, 2026, 11, 22, 10, 15),
    )

    assert incident.due_at == local(YEKATERINBURG, *due_local)
    assert incident.final_due_at == incident.due_at
    assert incident.warn_at == incident.due_at - warn_before
    assert incident.sla_policy is not None
    assert (incident.sla_policy.amount, incident.sla_policy.fast_track) == (
        10 if fast_track else 25,
        fast_track,
    )
    assert incident.stage_due_at is None  # no ИМ hand-over stage on the platform


def test_pos_term_counts_the_local_date_not_the_utc_one(municipality: Municipality) -> None:
    # 20:30 UTC on 22 Nov is already 01:30 on 23 Nov in Октябрьский: the term starts a day later.
    incident = make_incident(
        municipality,
        channel=Channel.POS,
        topic_code=POTHOLE,
        received_at=datetime(2026, 11, 22, 20, 30, tzinfo=UTC),
    )

    assert incident.due_at == local(YEKATERINBURG, 2026, 12, 19)
    assert incident.due_at == datetime(2026, 12, 18, 19, 0, tzinfo=UTC)


def test_pos_term_in_lensky_runs_in_yakutsk_time(other_municipality: Municipality) -> None:
    with municipality_scope(other_municipality.pk):
        incident = make_incident(
            other_municipality,
            channel=Channel.POS,
            topic_code=POTHOLE,
            received_at=local(YAKUTSK, 2026, 11, 22, 10, 15),
        )

    assert incident.sector is not None
    assert incident.sector.code == "production"
    assert incident.due_at == local(YAKUTSK, 2026, 12, 18)
    assert incident.due_at == datetime(2026, 12, 17, 15, 0, tzinfo=UTC)


def test_appeal_is_due_thirty_days_from_registration(municipality: Municipality) -> None:
    incident = make_incident(
        municipality,
        channel=Channel.APPEAL,
        topic_code=POTHOLE,
        received_at=local(YEKATERINBURG, 2026, 11, 20, 9, 0),
        registered_at=local(YEKATERINBURG, 2026, 11, 23, 9, 0),
    )

    # 59-ФЗ ст. 12 ч. 1: 30 days from registration (23 Nov), not from receipt (20 Nov).
    assert incident.kind == Kind.APPEAL
    assert incident.due_at == local(YEKATERINBURG, 2026, 12, 24)
    assert incident.final_due_at == incident.due_at
    assert incident.warn_at == local(YEKATERINBURG, 2026, 12, 19)
    # ст. 8 ч. 3: forwarding outside competence within 7 days of registration.
    assert incident.stage_due_at == local(YEKATERINBURG, 2026, 12, 1)


def test_appeal_without_registration_time_is_registered_on_receipt(
    municipality: Municipality,
) -> None:
    received = local(YEKATERINBURG, 2026, 11, 20, 9, 0)
    incident = make_incident(
        municipality, channel=Channel.APPEAL, topic_code=POTHOLE, received_at=received
    )

    assert (incident.kind, incident.registered_at) == (Kind.APPEAL, received)
    assert incident.due_at == local(YEKATERINBURG, 2026, 12, 21)


def test_a_topic_specific_policy_beats_the_channel_default(municipality: Municipality) -> None:
    SlaPolicy.objects.create(
        municipality=municipality,
        channel=Channel.POS,
        topic=Topic.objects.get(code="roads"),
        amount=5,
        unit="calendar_days",
    )

    incident = make_incident(
        municipality,
        channel=Channel.POS,
        topic_code=POTHOLE,
        received_at=local(YEKATERINBURG, 2026, 11, 22, 10, 15),
    )

    assert incident.due_at == local(YEKATERINBURG, 2026, 11, 28)


# --- redelivery -------------------------------------------------------------------------


def test_a_redelivered_message_is_the_same_incident(municipality: Municipality) -> None:
    delivered = message(external_id="im-777", topic_code=POTHOLE)
    first, created_first = incident_create(municipality=municipality, message=delivered)
    before = written()

    again, created_again = incident_create(
        municipality=municipality,
        message=message(external_id="im-777", text="Тот же пост, доставлен снова"),
    )

    assert (created_first, created_again, again.pk) == (True, False, first.pk)
    assert again.text == first.text
    assert written() == before


def test_a_redelivery_with_padded_external_id_is_the_same_incident(
    municipality: Municipality,
) -> None:
    """The stored id is stripped; a redelivery with spaces around it must find it (was a 500)."""
    first, _ = incident_create(municipality=municipality, message=message(external_id="im-778"))

    again, created = incident_create(
        municipality=municipality, message=message(external_id=" im-778 ")
    )

    assert (created, again.pk) == (False, first.pk)


def test_the_same_external_id_in_another_channel_or_municipality_is_another_incident(
    municipality: Municipality, other_municipality: Municipality
) -> None:
    im = make_incident(municipality, channel=Channel.IM, external_id="42")
    pos = make_incident(municipality, channel=Channel.POS, external_id="42")
    with municipality_scope(other_municipality.pk):
        lensky = make_incident(other_municipality, channel=Channel.IM, external_id="42")

    assert len({im.pk, pos.pk, lensky.pk}) == 3
    assert (im.municipality_id, pos.municipality_id, lensky.municipality_id) == (
        municipality.pk,
        municipality.pk,
        other_municipality.pk,
    )


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"channel": "telegram"}, "channel", id="unknown channel"),
        pytest.param({"external_id": "   "}, "external_id", id="blank external id"),
        pytest.param({"text": " \n "}, "text", id="blank text"),
        pytest.param(
            {"received_at": datetime(2026, 11, 23, 10, 15)}, "received_at", id="naive time"
        ),
        pytest.param({"kind": "complaint"}, "kind", id="unknown kind"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_written(
    municipality: Municipality, fields: dict[str, object], field: str
) -> None:
    before = written()

    with pytest.raises(InvalidInput) as refused:
        incident_create(municipality=municipality, message=message(**fields))

    assert refused.value.field == field
    assert refused.value.message  # says what was wrong, in Russian
    assert written() == before


def test_registering_by_hand_needs_the_register_capability(
    municipality: Municipality, staff: Staff, make_user: Callable[..., User]
) -> None:
    before = written()

    with pytest.raises(ActorLacksCapability):
        incident_create(municipality=municipality, message=message(), actor=staff.tech_admin)
    with pytest.raises(ActorLacksCapability):  # a ПОС operator registers ПОС messages only
        incident_create(
            municipality=municipality,
            message=message(channel=Channel.IM),
            actor=make_user(Role.POS_OPERATOR, municipality, channel=Channel.POS),
        )

    assert written() == before


def test_an_official_of_another_municipality_cannot_register_here(
    municipality: Municipality, other_municipality: Municipality
) -> None:
    lensky_operator = seeded_holder(other_municipality, Role.IM_OPERATOR)
    before = written()

    with (
        municipality_scope(municipality.pk, other_municipality.pk),
        pytest.raises(ActorLacksCapability),
    ):
        incident_create(municipality=municipality, message=message(), actor=lensky_operator)

    assert written() == before


def test_creating_for_a_municipality_outside_the_scope_writes_nothing(
    other_municipality: Municipality,
) -> None:
    before = written()

    with pytest.raises(WrongMunicipality):  # the scope is Октябрьский's (autouse fixture)
        incident_create(municipality=other_municipality, message=message())

    assert written() == before


def test_a_message_registered_by_hand_records_who(municipality: Municipality, staff: Staff) -> None:
    incident = make_incident(municipality, topic_code=None, actor=staff.im_operator)

    assert event_log(incident) == [
        (IncidentEvent.Kind.CREATED, "", Status.NEW, staff.im_operator.username)
    ]


# --- repeats ----------------------------------------------------------------------------


def test_same_topic_and_address_within_thirty_days_is_a_repeat(
    municipality: Municipality,
) -> None:
    original = make_incident(
        municipality,
        topic_code=POTHOLE,
        address="ул. Ленина, 5",
        received_at=NOW - timedelta(days=10),
    )

    repeat = make_incident(municipality, topic_code=POTHOLE, address="ул. Ленина, 5")

    assert (repeat.is_repeat, repeat.repeat_of_id) == (True, original.pk)
    assert (original.is_repeat, original.repeat_of_id) == (False, None)
    link = IncidentEvent.objects.get(incident=repeat, kind=IncidentEvent.Kind.REPEAT_LINK)
    assert (link.actor, link.data) == (None, {"repeat_of": original.pk, "automatic": True})


def test_address_spelling_does_not_matter(municipality: Municipality) -> None:
    original = make_incident(
        municipality,
        topic_code=POTHOLE,
        address="ул. Ленина, 5",
        received_at=NOW - timedelta(days=1),
    )

    repeat = make_incident(municipality, topic_code=POTHOLE, address="УЛ ЛЕНИНА 5")

    assert (original.address_key, repeat.address_key) == ("ул ленина 5", "ул ленина 5")
    assert repeat.repeat_of_id == original.pk


@pytest.mark.parametrize(
    ("days_ago", "topic", "address", "is_repeat"),
    [
        pytest.param(30, POTHOLE, "ул. Ленина, 5", True, id="day 30: still within the window"),
        pytest.param(31, POTHOLE, "ул. Ленина, 5", False, id="day 31: outside the window"),
        pytest.param(1, POTHOLE, "ул. Ленина, 7", False, id="another address"),
        pytest.param(1, "roads.lighting", "ул. Ленина, 5", False, id="another topic"),
        pytest.param(1, None, "ул. Ленина, 5", False, id="no topic"),
    ],
)
def test_the_repeat_window_place_and_topic(
    municipality: Municipality,
    days_ago: int,
    topic: str | None,
    address: str,
    is_repeat: bool,
) -> None:
    original = make_incident(
        municipality,
        topic_code=POTHOLE,
        address="ул. Ленина, 5",
        received_at=NOW - timedelta(days=days_ago),
    )

    incident = make_incident(municipality, topic_code=topic, address=address)

    assert (incident.is_repeat, incident.repeat_of_id) == (
        is_repeat,
        original.pk if is_repeat else None,
    )


def test_a_third_report_points_at_the_original_not_at_the_repeat(
    municipality: Municipality,
) -> None:
    original = make_incident(
        municipality,
        topic_code=POTHOLE,
        address="ул. Ленина, 5",
        received_at=NOW - timedelta(days=5),
    )
    second = make_incident(
        municipality,
        topic_code=POTHOLE,
        address="ул. Ленина, 5",
        received_at=NOW - timedelta(days=2),
    )

    third = make_incident(municipality, topic_code=POTHOLE, address="ул. Ленина, 5")

    assert (second.repeat_of_id, third.repeat_of_id) == (original.pk, original.pk)


def test_without_an_address_the_same_settlement_makes_a_repeat(
    municipality: Municipality,
) -> None:
    OrgUnit.objects.create(
        municipality=municipality, code="priobye", name="пгт Приобье", kind=OrgUnit.Kind.SETTLEMENT
    )
    original = make_incident(
        municipality,
        topic_code=POTHOLE,
        settlement_code="priobye",
        received_at=NOW - timedelta(days=3),
    )

    repeat = make_incident(municipality, topic_code=POTHOLE, settlement_code="priobye")
    elsewhere = make_incident(municipality, topic_code=POTHOLE)

    assert repeat.settlement is not None
    assert (repeat.repeat_of_id, elsewhere.repeat_of_id) == (original.pk, None)


def test_a_repeat_in_another_municipality_does_not_count(
    municipality: Municipality, other_municipality: Municipality
) -> None:
    with municipality_scope(other_municipality.pk):
        make_incident(
            other_municipality,
            topic_code=POTHOLE,
            address="ул. Ленина, 5",
            received_at=NOW - timedelta(days=1),
        )

    incident = make_incident(municipality, topic_code=POTHOLE, address="ул. Ленина, 5")

    assert (incident.is_repeat, incident.repeat_of_id) == (False, None)


# --- events and notifications -----------------------------------------------------------


def test_a_routed_message_is_created_then_assigned_by_the_system(
    municipality: Municipality,
) -> None:
    incident = make_incident(municipality, topic_code=POTHOLE)

    assert event_log(incident) == [
        (IncidentEvent.Kind.CREATED, "", Status.NEW, None),
        (IncidentEvent.Kind.ASSIGNED, Status.NEW, Status.ASSIGNED, None),
    ]
    created, assigned = IncidentEvent.objects.filter(incident=incident).order_by("at", "pk")
    assert created.data == {"channel": "im", "external_id": incident.external_id}
    assert assigned.data == {
        "sector": sector(municipality, "roads").pk,
        "org_unit": None,
        "automatic": True,
    }
    assert (created.at, assigned.at) == (NOW, NOW)


def test_an_unrouted_message_has_only_its_created_event(municipality: Municipality) -> None:
    incident = make_incident(municipality, topic_code=UNMAPPED_TOPIC)

    assert event_log(incident) == [(IncidentEvent.Kind.CREATED, "", Status.NEW, None)]


def test_a_routed_message_notifies_the_blocks_owners_and_executors(
    municipality: Municipality, staff: Staff, make_user: Callable[..., User]
) -> None:
    # The act's sector-owner row is a group with no person: only real users hear anything.
    every_block_owner = make_user(Role.SECTOR_OWNER, municipality, username="owner-all-blocks")

    incident = make_incident(municipality, topic_code=POTHOLE)

    assert notified(incident) == {
        staff.sector_owner.username: ["incident_new"],
        staff.executor.username: ["incident_new"],
        every_block_owner.username: ["incident_new"],
    }
    titles = set(Notification.objects.filter(incident=incident).values_list("title", flat=True))
    assert titles == {f"Новый инцидент № {incident.pk} в вашем блоке"}


@pytest.mark.parametrize(
    ("channel", "operator"),
    [
        pytest.param(Channel.IM, "oktyabrsky.kic-pr-specialist", id="ИМ"),
        pytest.param(Channel.POS, "oktyabrsky.appeals-dept-head", id="ПОС"),
    ],
)
def test_an_unrouted_message_notifies_the_channel_operator(
    municipality: Municipality, staff: Staff, channel: str, operator: str
) -> None:
    incident = make_incident(municipality, channel=channel, topic_code=UNMAPPED_TOPIC)

    assert notified(incident) == {operator: ["incident_new"]}
    assert Notification.objects.get(incident=incident).title == (
        f"Новое сообщение № {incident.pk} ждёт распределения"
    )


def test_e_mail_is_sent_only_after_the_incident_is_committed(
    municipality: Municipality,
    staff: Staff,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        incident = make_incident(municipality, topic_code=POTHOLE)

    assert len(callbacks) == 1  # one e-mail task for the notifications of this incident
    assert notified(incident) == {
        staff.sector_owner.username: ["incident_new"],
        staff.executor.username: ["incident_new"],
    }


# --- the sweep's clock ----------------------------------------------------------------------


def _clock_view(incident: Incident) -> tuple[Any, ...]:
    clock = IncidentClock.objects.get(municipality=incident.municipality, incident=incident)
    return (
        clock.due_at,
        clock.warn_at,
        clock.stage_due_at,
        clock.is_open,
        clock.warned_at,
        clock.breached_at,
        clock.escalation_level,
    )


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"channel": Channel.IM, "topic_code": POTHOLE}, id="ИМ routed"),
        pytest.param({"channel": Channel.IM, "topic_code": UNMAPPED_TOPIC}, id="ИМ unrouted"),
        pytest.param({"channel": Channel.POS, "topic_code": POTHOLE}, id="ПОС"),
        pytest.param({"channel": Channel.APPEAL, "topic_code": POTHOLE}, id="59-ФЗ"),
    ],
)
def test_incident_create_gives_every_incident_its_clock(
    municipality: Municipality, fields: dict[str, Any]
) -> None:
    """The sweep sees an incident only through its clock: one missing is a term never swept."""
    incident = make_incident(municipality, **fields)

    assert incident.due_at is not None
    assert _clock_view(incident) == (
        incident.due_at,
        incident.warn_at,
        incident.stage_due_at,
        True,
        None,
        None,
        0,
    )


def test_incident_create_many_gives_every_incident_its_clock(municipality: Municipality) -> None:
    from incidents.services.intake import incident_create_many

    results = incident_create_many(
        municipality=municipality,
        messages=[
            message(channel=Channel.IM, topic_code=POTHOLE),
            message(channel=Channel.POS, topic_code=UNMAPPED_TOPIC),
            message(channel=Channel.APPEAL, topic_code=POTHOLE),
        ],
    )

    incidents = [result.incident for result in results]
    assert all(result.created for result in results)
    for incident in incidents:
        assert incident is not None
        assert _clock_view(incident) == (
            incident.due_at,
            incident.warn_at,
            incident.stage_due_at,
            True,
            None,
            None,
            0,
        )
