"""The deadline sweep (issue 3 item 7): warn, breach, climb the ladder — each step exactly once.

Incidents are created through ``incident_create`` at a frozen instant, so their terms come from
the seeded SLA policies: ИМ = 3 hours, warned 1 hour before; ПОС = 25 calendar days. Октябрьский
is UTC+5 (Asia/Yekaterinburg), Ленский UTC+9 (Asia/Yakutsk).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction

from incidents.models import (
    Incident,
    IncidentClock,
    IncidentEvent,
    Notification,
    SlaPolicy,
    Status,
)
from incidents.services import clock as clock_module
from incidents.services import sweep as sweep_module
from incidents.services.clock import clocks_sync
from incidents.services.common import lock_incident
from incidents.services.intake import (
    SOCIAL_CHANNELS,
    IncomingMessage,
    incident_create,
)
from incidents.services.lifecycle import incident_postpone, incident_reject, incident_take
from incidents.services.sweep import SweepResult, sweep_tick
from incidents.tasks import sweep_task
from mcu.models import Municipality
from mcu.tenancy import (
    TenantScopeMissing,
    WrongMunicipality,
    dangerously_unscoped,
    municipality_scope,
)
from roles.models import Role, RoleAssignment, Sector, User

# 10:15 local in Октябрьский (UTC+5): an ИМ message is due 13:15 local, warned at 12:15.
T0 = datetime(2025, 4, 2, 5, 15, tzinfo=UTC)
WARN = T0 + timedelta(hours=2)
DUE = T0 + timedelta(hours=3)
HOUR = timedelta(hours=1)
SWEEP_KINDS = (IncidentEvent.Kind.WARNING, IncidentEvent.Kind.BREACH, IncidentEvent.Kind.ESCALATION)
NOTHING = SweepResult(warned=0, breached=0, escalated=0)


# --- helpers ----------------------------------------------------------------------------------


def _create(
    municipality: Municipality,
    external_id: str,
    *,
    channel: str = "im",
    topic: str | None = "roads.potholes",
    received_at: datetime = T0,
) -> Incident:
    with municipality_scope(municipality.pk):
        incident, created = incident_create(
            municipality=municipality,
            message=IncomingMessage(
                channel=channel,
                external_id=external_id,
                text="Яма на дороге у школы",
                received_at=received_at,
                topic_code=topic,
            ),
        )
    assert created
    return incident


def _fresh(incident: Incident) -> Incident:
    with municipality_scope(incident.municipality_id):
        return Incident.objects.get(pk=incident.pk)


def _clock(incident: Incident) -> IncidentClock:
    """The sweep's state of the incident (IncidentClock: the sweep writes nothing else)."""
    with municipality_scope(incident.municipality_id):
        return IncidentClock.objects.get(incident_id=incident.pk)


def _holder(municipality: Municipality, role: Role) -> User:
    with municipality_scope(municipality.pk):
        row = RoleAssignment.objects.get(
            municipality=municipality,
            role=role,
            source=RoleAssignment.Source.ACT,
            user__isnull=False,
        )
    assert row.user is not None
    return row.user


def _sector(municipality: Municipality, code: str) -> Sector:
    with municipality_scope(municipality.pk):
        return Sector.objects.get(municipality=municipality, code=code)


def _production_owner(lensky: Municipality) -> User:
    """Ленский's production deputy: roads are in the production block (Прил. 3)."""
    with municipality_scope(lensky.pk):
        row = RoleAssignment.objects.get(
            municipality=lensky,
            role=Role.SECTOR_OWNER,
            sector__code="production",
            source=RoleAssignment.Source.ACT,
        )
    assert row.user is not None
    return row.user


def _notices() -> dict[str, list[tuple[str, int | None]]]:
    """Sweep notifications per username: [(kind, incident id)] in the order they were made."""
    result: dict[str, list[tuple[str, int | None]]] = {}
    with dangerously_unscoped(reason="test assertions across tenants"):
        rows = Notification.objects.filter(kind__startswith="deadline_").order_by("id")
        for n in rows.select_related("user"):
            # A notice about several incidents lists them (sweep._notify_many): one entry each.
            for incident_id in n.incident_ids or [n.incident_id]:
                result.setdefault(n.user.username, []).append((n.kind, incident_id))
    return result


def _ladder(incident: Incident) -> list[tuple[str, int | None, list[int]]]:
    """The incident's sweep events: (kind, level, notified user ids)."""
    with municipality_scope(incident.municipality_id):
        events = IncidentEvent.objects.filter(incident=incident, kind__in=SWEEP_KINDS)
        return [
            (e.kind, e.data.get("level"), e.data["notified"]) for e in events.order_by("at", "id")
        ]


@pytest.fixture
def okt(municipality: Municipality, make_user: Any) -> dict[str, User]:
    """Октябрьский: the act names the curator and the head; blocks' people are added here."""
    roads = _sector(municipality, "roads")
    waste = _sector(municipality, "waste")
    return {
        "owner": make_user(
            Role.SECTOR_OWNER, municipality, username="okt-roads-owner", sector=roads
        ),
        "sector_curator": make_user(
            Role.SECTOR_CURATOR, municipality, username="okt-roads-curator", sector=roads
        ),
        "waste_owner": make_user(
            Role.SECTOR_OWNER, municipality, username="okt-waste-owner", sector=waste
        ),
        "head": _holder(municipality, Role.HEAD),
        "curator": _holder(municipality, Role.CURATOR),
    }


# --- the ladder -------------------------------------------------------------------------------


def test_warn_breach_and_every_rung_exactly_once(okt, municipality, time_machine):
    time_machine.move_to(T0, tick=False)
    incident = _create(municipality, "im-1")
    assert (incident.due_at, incident.warn_at) == (DUE, WARN)
    version, updated_at = incident.version, incident.updated_at

    ticks = {}
    for label, at in [
        ("before warn", WARN - timedelta(seconds=1)),
        ("warn", WARN),
        ("before due", DUE - timedelta(seconds=1)),
        ("breach", DUE),
        ("rung 2", DUE + HOUR),
        ("rung 3", DUE + 2 * HOUR + timedelta(minutes=1)),
        ("rung 4", DUE + 3 * HOUR),
        ("after the top", DUE + 30 * HOUR),
    ]:
        time_machine.move_to(at, tick=False)
        ticks[label] = sweep_tick()

    assert ticks == {
        "before warn": NOTHING,
        "warn": SweepResult(warned=1, breached=0, escalated=0),
        "before due": NOTHING,
        "breach": SweepResult(warned=0, breached=1, escalated=0),
        "rung 2": SweepResult(warned=0, breached=0, escalated=1),
        "rung 3": SweepResult(warned=0, breached=0, escalated=1),
        "rung 4": SweepResult(warned=0, breached=0, escalated=1),
        "after the top": NOTHING,
    }
    assert _notices() == {
        "okt-roads-owner": [("deadline_warning", incident.pk), ("deadline_breach", incident.pk)],
        "okt-roads-curator": [("deadline_escalation", incident.pk)],
        okt["head"].username: [("deadline_escalation", incident.pk)],
        okt["curator"].username: [("deadline_escalation", incident.pk)],
    }
    assert _ladder(incident) == [
        (IncidentEvent.Kind.WARNING, None, [okt["owner"].pk]),
        (IncidentEvent.Kind.BREACH, 1, [okt["owner"].pk]),
        (IncidentEvent.Kind.ESCALATION, 2, [okt["sector_curator"].pk]),
        (IncidentEvent.Kind.ESCALATION, 3, [okt["head"].pk]),
        (IncidentEvent.Kind.ESCALATION, 4, [okt["curator"].pk]),
    ]
    clock = _clock(incident)
    assert clock.warned_at == WARN
    # The moment it became late, not the (later) sweep that noticed it.
    assert clock.breached_at == DUE
    assert (clock.escalation_level, clock.next_escalation_at) == (4, None)
    # Sweep flags are not a user's edit: an open form must not go stale, and the wide incident
    # row is not rewritten at all — readers compute "overdue" from due_at (see sweep.py).
    incident = _fresh(incident)
    assert (incident.version, incident.updated_at) == (version, updated_at)
    assert incident.is_overdue


def test_texts_say_the_term_in_local_time(okt, municipality, time_machine):
    time_machine.move_to(T0, tick=False)
    incident = _create(municipality, "im-1")
    time_machine.move_to(WARN, tick=False)
    sweep_tick()
    time_machine.move_to(DUE + HOUR, tick=False)
    sweep_tick()

    with municipality_scope(municipality.pk):
        notices = list(
            Notification.objects.filter(kind__startswith="deadline_")
            .order_by("id")
            .values_list("user__username", "title", "body")
        )
        breach = IncidentEvent.objects.get(incident=incident, kind=IncidentEvent.Kind.BREACH)
    n = incident.pk
    term = "02.04.2025 в 13:15 по местному времени (UTC+5)"
    assert notices == [
        (
            "okt-roads-owner",
            f"Срок ответа по инциденту № {n} истекает {term}",
            "Подготовьте и согласуйте ответ заявителю до истечения срока.",
        ),
        (
            "okt-roads-owner",
            f"Просрочен ответ по инциденту № {n}",
            f"Срок ответа истёк {term}. Вы получили это уведомление как ответственный за "
            "отраслевой блок (уровень эскалации 1 из 4).",
        ),
        (
            "okt-roads-curator",
            f"Эскалация (уровень 2): просрочен ответ по инциденту № {n}",
            f"Срок ответа истёк {term}. Вы получили это уведомление как куратор отраслевого "
            "блока (уровень эскалации 2 из 4).",
        ),
    ]
    assert breach.actor is None
    assert breach.note == (
        f"Срок ответа истёк {term}. Уровень эскалации 1 из 4: ответственный за отраслевой блок. "
        f"Уведомлены: {okt['owner'].display_name}."
    )


def test_a_day_term_ends_at_24_00_local_and_escalates_daily(okt, municipality, time_machine):
    # ПОС, received 22 Nov 10:15 local: due by the end of 17 Dec local (ГК РФ ст. 191–194).
    received = datetime(2025, 11, 22, 5, 15, tzinfo=UTC)
    time_machine.move_to(received, tick=False)
    incident = _create(municipality, "pos-1", channel="pos", received_at=received)
    due = datetime(2025, 12, 17, 19, 0, tzinfo=UTC)  # 18 Dec 00:00 in UTC+5
    assert incident.due_at == due

    time_machine.move_to(due, tick=False)
    assert sweep_tick() == SweepResult(warned=0, breached=1, escalated=0)
    clock = _clock(incident)
    assert (clock.breached_at, clock.next_escalation_at) == (due, due + timedelta(days=1))
    with municipality_scope(municipality.pk):
        titles = list(
            Notification.objects.filter(kind__startswith="deadline_").values_list("body", flat=True)
        )
    assert titles == [
        "Срок ответа истёк 17.12.2025 в 24:00 по местному времени (UTC+5). Вы получили это "
        "уведомление как ответственный за отраслевой блок (уровень эскалации 1 из 4)."
    ]
    time_machine.move_to(due + timedelta(hours=23), tick=False)
    assert sweep_tick() == NOTHING
    time_machine.move_to(due + timedelta(days=1), tick=False)
    assert sweep_tick() == SweepResult(warned=0, breached=0, escalated=1)


def test_a_second_tick_at_the_same_instant_changes_nothing(okt, municipality, time_machine):
    time_machine.move_to(T0, tick=False)
    incidents = [_create(municipality, f"im-{i}") for i in range(3)]
    time_machine.move_to(DUE + HOUR, tick=False)

    # The tick catches up: no warning once the term is over, breach and rung 2 at once.
    assert sweep_tick() == SweepResult(warned=0, breached=3, escalated=3)
    with dangerously_unscoped(reason="test assertions across tenants"):
        before = (
            list(Incident.objects.order_by("id").values()),
            list(IncidentClock.objects.order_by("incident_id").values()),
            IncidentEvent.objects.count(),
            Notification.objects.count(),
        )
    assert sweep_tick() == NOTHING
    with dangerously_unscoped(reason="test assertions across tenants"):
        after = (
            list(Incident.objects.order_by("id").values()),
            list(IncidentClock.objects.order_by("incident_id").values()),
            IncidentEvent.objects.count(),
            Notification.objects.count(),
        )
    assert after == before
    for incident in incidents:
        assert _ladder(incident) == [
            (IncidentEvent.Kind.BREACH, 1, [okt["owner"].pk]),
            (IncidentEvent.Kind.ESCALATION, 2, [okt["sector_curator"].pk]),
        ]
        # The warning was due but is moot: marked, so it leaves the warn index, and not sent.
        assert _clock(incident).warned_at == DUE + HOUR


def test_after_an_outage_one_tick_climbs_every_due_rung_once(okt, municipality, time_machine):
    time_machine.move_to(T0, tick=False)
    incident = _create(municipality, "im-1")
    time_machine.move_to(DUE + 5 * HOUR, tick=False)

    assert sweep_tick(batch_size=1) == SweepResult(warned=0, breached=1, escalated=3)
    assert [level for _kind, level, _users in _ladder(incident)] == [1, 2, 3, 4]
    assert sweep_tick(batch_size=1) == NOTHING


def test_a_rung_nobody_holds_still_counts(other_municipality, time_machine):
    """Ленский names no sector curators: rung 2 is recorded with nobody told."""
    lensky = other_municipality
    time_machine.move_to(T0, tick=False)
    incident = _create(lensky, "im-1")
    owner = _production_owner(lensky)
    head, curator = _holder(lensky, Role.HEAD), _holder(lensky, Role.CURATOR)

    for at in (DUE, DUE + HOUR, DUE + 2 * HOUR, DUE + 3 * HOUR):
        time_machine.move_to(at, tick=False)
        sweep_tick()

    assert _ladder(incident) == [
        (IncidentEvent.Kind.BREACH, 1, [owner.pk]),
        (IncidentEvent.Kind.ESCALATION, 2, []),
        (IncidentEvent.Kind.ESCALATION, 3, [head.pk]),
        (IncidentEvent.Kind.ESCALATION, 4, [curator.pk]),
    ]
    with municipality_scope(lensky.pk):
        rung_2 = IncidentEvent.objects.get(incident=incident, data__level=2)
    assert rung_2.note.endswith("Уведомить некого: в составе МЦУ нет (куратор отраслевого блока).")
    # 14:15 local in Ленский (UTC+9): due 17:15.
    assert "02.04.2025 в 17:15 по местному времени (UTC+9)" in rung_2.note


# --- who is rung 1 ----------------------------------------------------------------------------


def test_the_responsible_person_is_rung_one_while_still_in_the_roster(
    okt, municipality, make_user, time_machine
):
    time_machine.move_to(T0, tick=False)
    assigned = _create(municipality, "im-1")
    left = _create(municipality, "im-2")
    roads = _sector(municipality, "roads")
    person = make_user(Role.EXECUTOR, municipality, username="okt-executor", sector=roads)
    gone = make_user(
        Role.EXECUTOR, municipality, username="okt-gone", sector=roads, valid_to=date(2025, 3, 1)
    )
    with municipality_scope(municipality.pk):
        Incident.objects.filter(pk=assigned.pk).update(responsible=person)
        Incident.objects.filter(pk=left.pk).update(responsible=gone)

    time_machine.move_to(DUE, tick=False)
    sweep_tick()

    assert _notices() == {
        # Only the responsible person, while they are in the roster…
        "okt-executor": [("deadline_breach", assigned.pk), ("deadline_breach", left.pk)],
        # …someone whose role has ended hears nothing: the block's owners and executors do.
        "okt-roads-owner": [("deadline_breach", left.pk)],
    }


def test_an_unrouted_incident_goes_to_the_channel_operator(okt, municipality, time_machine):
    time_machine.move_to(T0, tick=False)
    incident = _create(municipality, "im-1", topic=None)
    assert (incident.status, incident.sector_id) == (Status.NEW, None)
    operator = _holder(municipality, Role.IM_OPERATOR)

    time_machine.move_to(DUE + HOUR, tick=False)
    sweep_tick()

    assert _ladder(incident) == [
        (IncidentEvent.Kind.BREACH, 1, [operator.pk]),
        # No block, so no block curator: the rung counts, the head is next.
        (IncidentEvent.Kind.ESCALATION, 2, []),
    ]


# --- what is never flagged --------------------------------------------------------------------


def test_answered_closed_and_rejected_incidents_are_never_flagged(
    okt, municipality, make_user, time_machine
):
    from incidents.services.answers import (
        answer_approve,
        answer_publish,
        answer_save_draft,
        answer_submit,
    )
    from incidents.services.lifecycle import incident_close

    time_machine.move_to(T0, tick=False)
    answered, closed, rejected, open_one = (
        _create(municipality, f"pos-{i}", channel="pos") for i in range(4)
    )
    operator = _holder(municipality, Role.POS_OPERATOR)
    time_machine.move_to(T0 + HOUR, tick=False)
    with municipality_scope(municipality.pk):
        for incident in (answered, closed):
            answer_save_draft(
                incident=incident,
                actor=okt["owner"],
                text="Яму заделают до пятницы.",
                expected_version=None,
            )
            answer_submit(incident=incident, actor=okt["owner"], expected_version=None)
            answer_approve(incident=incident, actor=okt["sector_curator"], expected_version=None)
            answer_publish(incident=incident, actor=okt["owner"], expected_version=None)
        incident_close(incident=closed, actor=okt["owner"], expected_version=None)
        incident_reject(incident=rejected, actor=operator, expected_version=None, reason="spam")
    assert [_fresh(i).status for i in (answered, closed, rejected, open_one)] == [
        Status.ANSWERED,
        Status.CLOSED,
        Status.REJECTED,
        Status.ASSIGNED,
    ]

    # Long after the 25 days: the open one is caught up (no moot warning, the whole ladder).
    time_machine.move_to(T0 + timedelta(days=40), tick=False)
    assert sweep_tick() == SweepResult(warned=0, breached=1, escalated=3)
    assert _notices()["okt-roads-owner"] == [("deadline_breach", open_one.pk)]
    assert [level for _kind, level, _users in _ladder(open_one)] == [1, 2, 3, 4]
    for incident in (answered, closed, rejected):
        assert _ladder(incident) == []
        clock = _clock(incident)
        assert (clock.is_open, clock.warned_at, clock.breached_at, clock.escalation_level) == (
            False,
            None,
            None,
            0,
        )


def test_a_postponed_incident_is_judged_by_its_promised_date(okt, municipality, time_machine):
    time_machine.move_to(T0, tick=False)
    incident = _create(municipality, "im-1")
    time_machine.move_to(T0 + HOUR, tick=False)
    with municipality_scope(municipality.pk):
        incident_postpone(
            incident=incident,
            actor=okt["owner"],
            expected_version=None,
            until=date(2025, 4, 7),
            interim_answer="Ремонт дороги запланирован на 7 апреля.",
        )
    promised = datetime(2025, 4, 7, 19, 0, tzinfo=UTC)  # 8 Apr 00:00 in UTC+5
    assert _fresh(incident).due_at == promised

    # Long past the original 3 hours, still before the promised date: nothing.
    time_machine.move_to(T0 + timedelta(days=2), tick=False)
    assert sweep_tick() == NOTHING
    # A day before it ends, the warning says the promised date.
    time_machine.move_to(promised - timedelta(days=1), tick=False)
    assert sweep_tick() == SweepResult(warned=1, breached=0, escalated=0)
    time_machine.move_to(promised, tick=False)
    assert sweep_tick() == SweepResult(warned=0, breached=1, escalated=0)

    assert (_fresh(incident).status, _clock(incident).breached_at) == (Status.POSTPONED, promised)
    with municipality_scope(municipality.pk):
        warning = IncidentEvent.objects.get(incident=incident, kind=IncidentEvent.Kind.WARNING)
    assert "07.04.2025 в 24:00 по местному времени (UTC+5)" in warning.note


# --- tenancy ----------------------------------------------------------------------------------


def test_notifications_stay_in_their_municipality(
    okt, municipality, other_municipality, make_user, time_machine
):
    lensky = other_municipality
    make_user(
        Role.SECTOR_OWNER, lensky, username="lensky-owner", sector=_sector(lensky, "production")
    )
    # One person in both rosters: a sector curator in Ленский, and a former head of Октябрьский
    # (the role ended before these incidents): hears about Ленский's incidents only.
    both = make_user(Role.SECTOR_CURATOR, lensky, username="both")
    with municipality_scope(municipality.pk):
        RoleAssignment.objects.create(
            municipality=municipality, user=both, role=Role.HEAD, valid_to=date(2025, 1, 1)
        )
    time_machine.move_to(T0, tick=False)
    okt_incident = _create(municipality, "im-1")
    lensky_incident = _create(lensky, "im-1")

    time_machine.move_to(DUE + 2 * HOUR, tick=False)
    assert sweep_tick() == SweepResult(warned=0, breached=2, escalated=4)

    with dangerously_unscoped(reason="test assertions across tenants"):
        rows = set(
            Notification.objects.filter(kind__startswith="deadline_").values_list(
                "incident_id", "municipality_id", "user__username"
            )
        )
    okt_, lensky_ = (okt_incident.pk, municipality.pk), (lensky_incident.pk, lensky.pk)
    assert rows == {
        (*okt_, "okt-roads-owner"),
        (*okt_, "okt-roads-curator"),
        (*okt_, okt["head"].username),
        (*lensky_, _production_owner(lensky).username),
        (*lensky_, "lensky-owner"),
        (*lensky_, "both"),
        (*lensky_, _holder(lensky, Role.HEAD).username),
    }


# --- exactly once under failure and concurrency -----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_crash_mid_batch_rolls_back_the_whole_batch(
    okt, municipality, other_municipality, time_machine, monkeypatch
):
    queued: list[dict[str, Any]] = []
    monkeypatch.setattr(
        "incidents.tasks.notifications_email_task.delay", lambda **kwargs: queued.append(kwargs)
    )
    time_machine.move_to(T0, tick=False)
    incidents = [
        _create(m, f"im-{i}") for m in (municipality, other_municipality) for i in range(3)
    ]
    queued.clear()  # intake's own «new incident» e-mails
    time_machine.move_to(DUE, tick=False)

    real_notify = sweep_module._notify_many
    calls: list[str] = []

    def dies_on_the_second_municipality(*, municipality, notices):
        calls.append(municipality.slug)
        if len(calls) == 2:
            raise RuntimeError("worker killed")  # the first municipality's rows are written
        return real_notify(municipality=municipality, notices=notices)

    monkeypatch.setattr(sweep_module, "_notify_many", dies_on_the_second_municipality)
    with pytest.raises(RuntimeError, match="worker killed"):
        sweep_tick()
    assert len(calls) == 2

    with dangerously_unscoped(reason="test assertions across tenants"):
        assert IncidentEvent.objects.filter(kind__in=SWEEP_KINDS).count() == 0
        assert Notification.objects.filter(kind__startswith="deadline_").count() == 0
        assert set(IncidentClock.objects.values_list("breached_at", "escalation_level")) == {
            (None, 0)
        }
    assert queued == []

    monkeypatch.setattr(sweep_module, "_notify_many", real_notify)
    assert sweep_tick() == SweepResult(warned=0, breached=6, escalated=0)
    assert sweep_tick() == NOTHING
    for incident in incidents:
        assert [kind for kind, _level, _users in _ladder(incident)] == [IncidentEvent.Kind.BREACH]
    # One e-mail task per municipality for the batch, queued after commit.
    assert sorted(q["municipality_id"] for q in queued) == sorted(
        [municipality.pk, other_municipality.pk]
    )


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_flag_each_incident_once(
    okt, municipality, other_municipality, time_machine, monkeypatch
):
    """Two workers' ticks at once, each on its own connection (PostgreSQL in CI: real row locks
    and SKIP LOCKED). SQLite has no row locks and serialises writers: there the two ticks run
    one after the other, which still checks that the second finds nothing to do twice."""
    monkeypatch.setattr("incidents.tasks.notifications_email_task.delay", lambda **kwargs: None)
    time_machine.move_to(T0, tick=False)
    incidents = [
        _create(m, f"im-{i}") for m in (municipality, other_municipality) for i in range(100)
    ]
    now = DUE + HOUR + timedelta(minutes=1)
    results: list[SweepResult] = []
    errors: list[BaseException] = []

    if connection.vendor == "postgresql":
        barrier = threading.Barrier(2)

        def worker() -> None:
            try:
                barrier.wait(timeout=30)
                results.append(sweep_tick(now=now, batch_size=7))
            except BaseException as error:  # reported by the main thread
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
    else:
        results = [sweep_tick(now=now, batch_size=7), sweep_tick(now=now, batch_size=7)]

    assert errors == []
    assert sum(r.breached for r in results) == 200
    assert sum(r.escalated for r in results) == 200
    assert sum(r.warned for r in results) == 0
    with dangerously_unscoped(reason="test assertions across tenants"):
        per_incident = Counter(
            IncidentEvent.objects.filter(kind__in=SWEEP_KINDS).values_list("incident_id", "kind")
        )
        levels = set(IncidentClock.objects.values_list("escalation_level", "breached_at"))
        notices = Counter(
            (incident_id, user_id)
            for single, listed, user_id in Notification.objects.filter(
                kind__startswith="deadline_"
            ).values_list("incident_id", "incident_ids", "user_id")
            for incident_id in listed or [single]
        )
    assert per_incident == Counter(
        {(i.pk, kind): 1 for i in incidents for kind in ("breach", "escalation")}
    )
    assert levels == {(2, DUE)}
    assert set(notices.values()) == {1}  # nobody told twice about one incident


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="the plan is PostgreSQL's: SQLite's planner scans an empty table whatever the index",
)
@pytest.mark.parametrize(
    ("step", "index"),
    [
        (sweep_module._WARN, "clock_sweep_warn"),
        (sweep_module._BREACH, "clock_sweep_breach"),
        (sweep_module._ESCALATE, "clock_sweep_escalate"),
        (sweep_module._STAGE_WARN, "clock_sweep_stage_warn"),
        (sweep_module._STAGE_BREACH, "clock_sweep_stage_breach"),
    ],
)
def test_each_step_reads_its_partial_index(municipality, step, index):
    """The candidate query implies the index's predicate, so the planner can use the index
    (with sequential scans off on PostgreSQL, an unusable index would show as a Seq Scan).

    Sorts are off too: the partial index hands the candidates over in the step's order, but on
    a near-empty table the planner may price the primary key plus a sort the same, and which
    one it took depended on the statistics earlier tests had left (the full suite once took
    the primary key for two steps). An index whose predicate the query does not imply still
    cannot be chosen, so the assertion means what it meant."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
    with dangerously_unscoped(reason="test: the sweep's own cross-tenant candidate query"):
        plan = sweep_module._candidates(step, now=T0, batch_size=1000).explain()
    assert index in plan


# --- the task ---------------------------------------------------------------------------------


def test_the_task_runs_the_tick_and_beat_runs_it_every_minute(okt, municipality, time_machine):
    time_machine.move_to(T0, tick=False)
    _create(municipality, "im-1")
    time_machine.move_to(DUE, tick=False)

    assert sweep_task() == {
        "warned": 0,
        "breached": 1,
        "escalated": 0,
        "stage_warned": 0,
        "stage_breached": 0,
    }
    assert settings.CELERY_BEAT_SCHEDULE["incidents-deadline-sweep"] == {
        "task": "incidents.tasks.sweep_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    }
    assert sweep_task.acks_late is True


# --- the clock: in step with the incident -----------------------------------------------------


def test_the_clock_keeps_its_flags_while_the_term_stands_and_resets_with_a_new_term(
    okt, municipality, time_machine
):
    time_machine.move_to(T0, tick=False)
    incident = _create(municipality, "im-1")
    time_machine.move_to(DUE + HOUR, tick=False)
    sweep_tick()
    assert (_clock(incident).breached_at, _clock(incident).escalation_level) == (DUE, 2)

    # Taken into work: a change of status, not of the term — the ladder stays where it is.
    with municipality_scope(municipality.pk):
        incident_take(incident=incident, actor=okt["owner"], expected_version=None)
    clock = _clock(incident)
    assert (clock.is_open, clock.breached_at, clock.escalation_level) == (True, DUE, 2)

    # Postponed: a new term, not yet warned about or missed.
    with municipality_scope(municipality.pk):
        incident_postpone(
            incident=incident,
            actor=okt["owner"],
            expected_version=None,
            until=date(2025, 4, 7),
            interim_answer="Ремонт дороги запланирован на 7 апреля.",
        )
    clock = _clock(incident)
    promised = datetime(2025, 4, 7, 19, 0, tzinfo=UTC)
    assert (clock.due_at, clock.warn_at) == (promised, promised - timedelta(days=1))
    assert (clock.warned_at, clock.breached_at, clock.escalation_level) == (None, None, 0)
    assert clock.next_escalation_at is None


def test_a_closed_clock_keeps_its_history_and_leaves_the_sweep(okt, municipality, time_machine):
    time_machine.move_to(T0, tick=False)
    incident = _create(municipality, "im-1")
    time_machine.move_to(DUE, tick=False)
    sweep_tick()
    operator = _holder(municipality, Role.IM_OPERATOR)
    with municipality_scope(municipality.pk):
        incident_reject(incident=incident, actor=operator, expected_version=None, reason="spam")

    clock = _clock(incident)
    assert (clock.is_open, clock.breached_at, clock.escalation_level) == (False, DUE, 1)
    time_machine.move_to(DUE + 10 * HOUR, tick=False)
    assert sweep_tick() == NOTHING  # its next rung was due: a closed clock climbs nothing


def test_clocks_sync_needs_the_incidents_municipality_in_scope(
    okt, municipality, other_municipality
):
    incident = _create(municipality, "im-1")
    with pytest.raises(TenantScopeMissing):
        clocks_sync([incident])
    with municipality_scope(other_municipality.pk), pytest.raises(WrongMunicipality):
        clocks_sync([incident])


@pytest.mark.parametrize("count", [1, 12])
def test_clocks_sync_costs_the_same_statements_for_one_incident_or_many(
    okt, municipality, count, django_assert_num_queries, time_machine
):
    time_machine.move_to(T0, tick=False)
    incidents = [
        _create(municipality, f"{channel}-{i}", channel=channel)
        for i in range(count)
        for channel in ("im", "appeal")
    ]
    with municipality_scope(municipality.pk):
        with django_assert_num_queries(2):  # the clocks read (locked), one upsert
            clocks_sync(incidents)
        for incident in incidents:
            incident.stage_due_at = T0 + 2 * HOUR  # a changed stage term: its policy is read
        with django_assert_num_queries(3):
            clocks_sync(incidents)


def test_the_clock_names_the_same_social_channels_as_intake():
    assert clock_module.SOCIAL_CHANNELS == SOCIAL_CHANNELS


# --- stage terms: told once, never a ladder of their own --------------------------------------


def _appeal(municipality: Municipality, external_id: str) -> Incident:
    return _create(municipality, external_id, channel="appeal")


def test_the_59_fz_forwarding_term_is_warned_and_flagged_once(okt, municipality, time_machine):
    time_machine.move_to(T0, tick=False)
    incident = _appeal(municipality, "appeal-1")
    assert incident.status == Status.ASSIGNED
    # 59-ФЗ ст. 8 ч. 3: 7 days from registration (2 Apr 10:15 local) — by 24:00 on 9 Apr local;
    # the policy warns 2 days ahead. The answer itself is due in 30 days.
    stage_due = datetime(2025, 4, 9, 19, 0, tzinfo=UTC)
    assert incident.stage_due_at == stage_due
    assert incident.due_at == datetime(2025, 5, 2, 19, 0, tzinfo=UTC)  # 30 days
    assert _clock(incident).stage_warn_at == stage_due - timedelta(days=2)

    ticks = []
    for at in (stage_due - timedelta(days=2), stage_due - HOUR, stage_due, stage_due + HOUR):
        time_machine.move_to(at, tick=False)
        ticks.append(sweep_tick())
    assert ticks == [
        SweepResult(stage_warned=1),
        NOTHING,
        SweepResult(stage_breached=1),
        NOTHING,
    ]
    owner = okt["owner"].pk
    term = "09.04.2025 в 24:00 по местному времени (UTC+5)"
    with municipality_scope(municipality.pk):
        events = list(
            IncidentEvent.objects.filter(incident=incident, kind__in=SWEEP_KINDS)
            .order_by("at", "id")
            .values_list("kind", "data", "note")
        )
    name = "Срок переадресации обращения по компетенции (59-ФЗ ст. 8 ч. 3)"
    assert events == [
        (
            IncidentEvent.Kind.WARNING,
            {"stage": "forwarding", "stage_due_at": stage_due.isoformat(), "notified": [owner]},
            f"{name} истекает {term}. Уведомлены: {okt['owner'].display_name}.",
        ),
        (
            IncidentEvent.Kind.BREACH,
            {"stage": "forwarding", "stage_due_at": stage_due.isoformat(), "notified": [owner]},
            f"{name} истёк {term}. Уведомлены: {okt['owner'].display_name}.",
        ),
    ]
    assert _notices() == {
        "okt-roads-owner": [
            ("deadline_stage_warning", incident.pk),
            ("deadline_stage_breach", incident.pk),
        ]
    }
    clock = _clock(incident)
    # No ladder: the answer's own term (30 days) has not run out.
    assert (clock.stage_breached_at, clock.breached_at, clock.escalation_level) == (
        stage_due,
        None,
        0,
    )


def test_an_appeal_taken_into_work_is_not_forwarded_so_its_term_is_not_swept(
    okt, municipality, time_machine
):
    time_machine.move_to(T0, tick=False)
    incident = _appeal(municipality, "appeal-1")
    with municipality_scope(municipality.pk):
        incident_take(incident=incident, actor=okt["owner"], expected_version=None)
    assert _clock(incident).stage_open is False

    time_machine.move_to(T0 + timedelta(days=8), tick=False)
    assert sweep_tick() == NOTHING


@pytest.fixture
def im_answer_in_five_hours(municipality):
    """A municipality whose ИМ answer term is longer than the agreed-answer stage (3 hours)."""
    with municipality_scope(municipality.pk):
        SlaPolicy.objects.filter(
            municipality=municipality, channel="im", stage=SlaPolicy.Stage.ANSWER
        ).update(amount=5)


def test_the_im_agreed_answer_stage_is_told_once_and_the_ladder_starts_once(
    okt, municipality, im_answer_in_five_hours, time_machine
):
    time_machine.move_to(T0, tick=False)
    incident = _create(municipality, "im-1")
    assert (incident.stage_due_at, incident.due_at) == (DUE, T0 + 5 * HOUR)

    ticks = {}
    for label, at in [
        ("stage warn", WARN),
        ("stage breach", DUE),
        ("answer warn", T0 + 4 * HOUR),
        ("answer breach", T0 + 5 * HOUR),
        ("rung 2", T0 + 6 * HOUR),
    ]:
        time_machine.move_to(at, tick=False)
        ticks[label] = sweep_tick()

    assert ticks == {
        "stage warn": SweepResult(stage_warned=1),
        "stage breach": SweepResult(stage_breached=1),
        "answer warn": SweepResult(warned=1),
        "answer breach": SweepResult(breached=1),
        "rung 2": SweepResult(escalated=1),
    }
    assert [(kind, level) for kind, level, _users in _ladder(incident)] == [
        (IncidentEvent.Kind.WARNING, None),
        (IncidentEvent.Kind.BREACH, None),  # the stage: no level, no rung
        (IncidentEvent.Kind.WARNING, None),
        (IncidentEvent.Kind.BREACH, 1),
        (IncidentEvent.Kind.ESCALATION, 2),
    ]


def test_the_sector_curators_approval_meets_the_im_stage(
    okt, municipality, im_answer_in_five_hours, time_machine
):
    from incidents.services.answers import answer_approve, answer_save_draft, answer_submit

    time_machine.move_to(T0, tick=False)
    incident = _create(municipality, "im-1")
    time_machine.move_to(T0 + HOUR, tick=False)
    with municipality_scope(municipality.pk):
        answer_save_draft(
            incident=incident, actor=okt["owner"], text="Яму заделают.", expected_version=None
        )
        answer_submit(incident=incident, actor=okt["owner"], expected_version=None)
        assert _clock(incident).stage_open is True  # on approval, not yet agreed
        answer_approve(incident=incident, actor=okt["sector_curator"], expected_version=None)
    # Agreed by the block's curator; the ИМ answer still waits for the head (Регламент §2.5).
    assert (_fresh(incident).status, _clock(incident).stage_open) == (Status.ON_APPROVAL, False)

    # Past the stage's 3 hours: only the answer's own warning (due in 5 hours) is told.
    time_machine.move_to(DUE + HOUR, tick=False)
    assert sweep_tick() == SweepResult(warned=1)


# --- a user and the sweep on one incident at once ---------------------------------------------


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="row locks: SQLite serialises whole transactions",
)
@pytest.mark.django_db(transaction=True)
def test_a_user_holding_an_incident_is_skipped_and_neither_waits_for_ever(
    okt, municipality, time_machine, monkeypatch
):
    """The user locks the incident, then its clock (``clocks_sync``); the sweep locks the clock
    and the incident at pick time, ``SKIP LOCKED``. Its event and notification rows would take
    a key-share lock on their incidents at COMMIT — were the incident not already its own,
    that wait against the user's wait for the clock would be a deadlock."""
    monkeypatch.setattr("incidents.tasks.notifications_email_task.delay", lambda **kwargs: None)
    time_machine.move_to(T0, tick=False)
    held, *others = [_create(municipality, f"im-{i}") for i in range(3)]
    operator = _holder(municipality, Role.IM_OPERATOR)
    locked, sweeping = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def user() -> None:
        try:
            with municipality_scope(municipality.pk), transaction.atomic():
                lock_incident(held, expected_version=None)
                locked.set()
                assert sweeping.wait(timeout=30)
                # The sweep's batch is open now: this reaches for the clock row it may hold.
                incident_reject(incident=held, actor=operator, expected_version=None, reason="spam")
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    real_notify = sweep_module._notify_many

    def slow_notify(*, municipality, notices):
        sweeping.set()
        time.sleep(0.5)  # the user's transaction runs into the open batch meanwhile
        return real_notify(municipality=municipality, notices=notices)

    monkeypatch.setattr(sweep_module, "_notify_many", slow_notify)
    thread = threading.Thread(target=user)
    thread.start()
    assert locked.wait(timeout=30)
    assert sweep_tick(now=DUE) == SweepResult(breached=2)
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert errors == []

    assert sweep_tick(now=DUE + timedelta(minutes=1)) == NOTHING  # rejected: nothing to catch up
    assert _ladder(held) == []
    assert (_fresh(held).status, _clock(held).is_open) == (Status.REJECTED, False)
    for incident in others:
        assert [kind for kind, _level, _users in _ladder(incident)] == [IncidentEvent.Kind.BREACH]


def test_the_admin_shows_the_clock_read_only(okt, municipality, client, time_machine):
    time_machine.move_to(T0, tick=False)
    incident = _create(municipality, "im-1")
    time_machine.move_to(DUE, tick=False)
    sweep_tick()
    admin = User.objects.create_superuser(username="root", password="x", email="root@example.ru")
    client.force_login(admin)

    response = client.get(f"/admin/incidents/incident/{incident.pk}/change/")

    assert response.status_code == 200
    (clock_formset,) = [
        f for f in response.context["inline_admin_formsets"] if f.opts.model is IncidentClock
    ]
    assert clock_formset.formset.forms[0].instance.breached_at == DUE
    assert not clock_formset.has_add_permission


def test_one_person_gets_one_notice_for_a_minutes_breaches(okt, municipality, time_machine):
    """21 incidents of one block run out in the same minute: its owner gets one notification
    (and one e-mail) listing them, not 21; the incident pages still show each breach."""
    from django.core import mail

    from incidents.services.notifications import notifications_email

    time_machine.move_to(T0, tick=False)
    incidents = [_create(municipality, f"im-{i}") for i in range(21)]
    okt["owner"].email = "roads@oktyabrsky.example.ru"
    okt["owner"].save()
    time_machine.move_to(DUE, tick=False)
    assert sweep_tick() == SweepResult(warned=0, breached=21, escalated=0)

    with municipality_scope(municipality.pk):
        notes = list(Notification.objects.filter(kind="deadline_breach"))
    assert len(notes) == 1
    note = notes[0]
    assert note.user == okt["owner"]
    assert note.incident_id is None
    assert note.incident_ids == [i.pk for i in incidents]
    assert note.title == "Просрочены ответы по 21 инциденту"
    term = "02.04.2025 в 13:15 по местному времени (UTC+5)"
    lines = note.body.split("\n")
    assert lines[0] == (
        "Вы получили это уведомление как ответственный за отраслевой блок "
        "(уровень эскалации 1 из 4)."
    )
    assert lines[1:] == [f"№ {i.pk}: срок ответа истёк {term}" for i in incidents]
    for incident in incidents:  # the timeline still records each breach and whom it told
        assert _ladder(incident) == [(IncidentEvent.Kind.BREACH, 1, [okt["owner"].pk])]
    assert notifications_email(municipality_id=municipality.pk, notification_ids=[note.pk]) == 1
    assert [m.subject for m in mail.outbox] == ["[МЦУ] Просрочены ответы по 21 инциденту"]


def test_a_group_lists_fifty_incidents_and_counts_the_rest(okt, municipality, time_machine):
    time_machine.move_to(T0, tick=False)
    incidents = [_create(municipality, f"im-{i}") for i in range(52)]
    time_machine.move_to(DUE, tick=False)
    sweep_tick()
    with municipality_scope(municipality.pk):
        note = Notification.objects.get(kind="deadline_breach")
    assert note.title == "Просрочены ответы по 52 инцидентам"
    assert note.incident_ids == [i.pk for i in incidents]
    lines = note.body.split("\n")
    assert len(lines) == 1 + 50 + 1
    assert lines[-1] == "… и ещё 2"
