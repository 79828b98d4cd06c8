"""The assignment sweep (issue 8 item 1): warn, breach, climb the ladder — each step once.

Октябрьский is UTC+5 (Asia/Yekaterinburg): an assignment due 10.04.2025 ends at 24:00 local,
19:00 UTC; its executor is warned when that day begins (09.04 19:00 UTC). The ladder climbs a
rung a day: executor (breach) → МЦУ head → МЦУ curator.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection

from incidents.models import Notification
from mcu.center import meetings
from mcu.center.assignments_sweep import AssignmentSweepResult, assignments_sweep_tick
from mcu.models import Assignment
from mcu.tasks import assignments_sweep_task
from mcu.tenancy import dangerously_unscoped, municipality_scope
from mcu.tests.center_factories import act_holder, make_assignment, make_meeting
from roles.models import Role

DUE_DATE = date(2025, 4, 10)
DUE = datetime(2025, 4, 10, 19, 0, tzinfo=UTC)  # 11.04 00:00 in Yekaterinburg
WARN = DUE - timedelta(days=1)
DAY = timedelta(days=1)
NOTHING = AssignmentSweepResult()


@pytest.fixture(autouse=True)
def _no_email_tasks(monkeypatch):
    monkeypatch.setattr("incidents.tasks.notifications_email_task.delay", lambda **kwargs: None)


def _notices(kind_prefix: str = "assignment_") -> list[tuple[str, int, str]]:
    with dangerously_unscoped(reason="test assertions across tenants"):
        return sorted(
            Notification.objects.filter(kind__startswith=kind_prefix).values_list(
                "kind", "user_id", "body"
            )
        )


def _fresh(assignment: Assignment) -> Assignment:
    with municipality_scope(assignment.municipality_id):
        return Assignment.objects.get(pk=assignment.pk)


def test_the_term_is_24_00_local_of_the_last_day(municipality, other_municipality, make_user):
    owner = make_user(Role.SECTOR_OWNER, municipality)
    _, decision = make_meeting(municipality)
    assignment = make_assignment(decision, owner, DUE_DATE)
    assert (assignment.due_at, assignment.warn_at) == (DUE, WARN)
    # Ленский is UTC+9: the same local date ends five hours earlier in UTC.
    lensky_owner = make_user(Role.SECTOR_OWNER, other_municipality)
    _, lensky_decision = make_meeting(other_municipality)
    lensky = make_assignment(lensky_decision, lensky_owner, DUE_DATE)
    assert lensky.due_at == datetime(2025, 4, 10, 15, 0, tzinfo=UTC)


def test_warn_breach_and_the_ladder_each_happen_once(municipality, make_user, time_machine):
    owner = make_user(Role.SECTOR_OWNER, municipality)
    head, curator = act_holder(municipality, Role.HEAD), act_holder(municipality, Role.CURATOR)
    _, decision = make_meeting(municipality)
    assignment = make_assignment(decision, owner, DUE_DATE, text="Отремонтировать дорогу")
    new_notice = _notices()
    assert [(kind, user) for kind, user, _ in new_notice] == [("assignment_new", owner.pk)]

    def tick(at: datetime) -> AssignmentSweepResult:
        time_machine.move_to(at, tick=False)
        return assignments_sweep_tick(now=at)

    assert tick(WARN - timedelta(seconds=1)) == NOTHING
    assert tick(WARN) == AssignmentSweepResult(warned=1)
    assert tick(WARN + timedelta(hours=1)) == NOTHING
    assert tick(DUE - timedelta(seconds=1)) == NOTHING
    assert tick(DUE) == AssignmentSweepResult(breached=1)
    assert tick(DUE + timedelta(hours=23)) == NOTHING
    assert tick(DUE + DAY) == AssignmentSweepResult(escalated=1)
    assert tick(DUE + DAY) == NOTHING
    assert tick(DUE + 2 * DAY) == AssignmentSweepResult(escalated=1)
    assert tick(DUE + 10 * DAY) == NOTHING  # the curator is the top rung

    row = _fresh(assignment)
    assert (row.warned_at, row.breached_at, row.escalation_level, row.next_escalation_at) == (
        WARN,
        DUE,
        3,
        None,
    )
    told = [(kind, user) for kind, user, _ in _notices() if kind != "assignment_new"]
    assert sorted(told) == sorted(
        [
            ("assignment_warning", owner.pk),
            ("assignment_breach", owner.pk),
            ("assignment_escalation", head.pk),
            ("assignment_escalation", curator.pk),
        ]
    )
    warning = next(body for kind, _, body in _notices() if kind == "assignment_warning")
    assert "Отремонтировать дорогу" in warning


def test_after_an_outage_one_tick_climbs_every_due_rung_once(municipality, make_user):
    owner = make_user(Role.SECTOR_OWNER, municipality)
    _, decision = make_meeting(municipality)
    assignment = make_assignment(decision, owner, DUE_DATE)
    # The sweep was down for three days: no «истекает» for a term already over.
    assert assignments_sweep_tick(now=DUE + 3 * DAY) == AssignmentSweepResult(
        warned=0, breached=1, escalated=2
    )
    assert assignments_sweep_tick(now=DUE + 3 * DAY) == NOTHING
    assert _fresh(assignment).escalation_level == 3
    kinds = Counter(kind for kind, _, _ in _notices())
    assert kinds == Counter(
        {"assignment_new": 1, "assignment_breach": 1, "assignment_escalation": 2}
    )


def test_done_and_cancelled_assignments_stop_the_clock(municipality, make_user):
    owner = make_user(Role.SECTOR_OWNER, municipality)
    _, decision = make_meeting(municipality)
    done = make_assignment(decision, owner, DUE_DATE)
    cancelled = make_assignment(decision, owner, DUE_DATE)
    assert assignments_sweep_tick(now=DUE) == AssignmentSweepResult(warned=0, breached=2)
    with municipality_scope(municipality.pk):
        meetings.assignment_complete(assignment=done, actor=owner, report="Сделано")
        meetings.assignment_cancel(assignment=cancelled, actor=None, reason="Утратило смысл")
    assert assignments_sweep_tick(now=DUE + 5 * DAY) == NOTHING
    assert (_fresh(done).status, _fresh(done).escalation_level) == ("done", 1)
    assert _fresh(done).is_overdue  # done after the term: late on record


def test_a_new_term_starts_the_sweep_afresh(municipality, make_user):
    owner = make_user(Role.SECTOR_OWNER, municipality)
    _, decision = make_meeting(municipality)
    assignment = make_assignment(decision, owner, DUE_DATE)
    assignments_sweep_tick(now=DUE + DAY)
    assert _fresh(assignment).escalation_level == 2
    with municipality_scope(municipality.pk):
        meetings.assignment_update(
            assignment=assignment,
            actor=None,
            executor=owner,
            text="Сделать",
            due_date=date(2025, 4, 20),
        )
    row = _fresh(assignment)
    assert (row.warned_at, row.breached_at, row.escalation_level) == (None, None, 0)
    assert row.due_at == datetime(2025, 4, 20, 19, 0, tzinfo=UTC)
    assert assignments_sweep_tick(now=DUE + DAY) == NOTHING


def test_the_task_and_the_beat_entry(municipality, make_user, time_machine):
    owner = make_user(Role.SECTOR_OWNER, municipality)
    _, decision = make_meeting(municipality)
    make_assignment(decision, owner, DUE_DATE)
    time_machine.move_to(DUE, tick=False)
    assert assignments_sweep_task() == {"warned": 0, "breached": 1, "escalated": 0}
    assert settings.CELERY_BEAT_SCHEDULE["mcu-assignments-sweep"] == {
        "task": "mcu.tasks.assignments_sweep_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    }


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_do_each_step_once(
    municipality, other_municipality, make_user, monkeypatch
):
    """Two workers' ticks at once, each on its own connection (PostgreSQL: real row locks and
    SKIP LOCKED). SQLite has no row locks and serialises writers: there the ticks run one after
    the other, which still checks that the second finds nothing left to do."""
    monkeypatch.setattr("incidents.tasks.notifications_email_task.delay", lambda **kwargs: None)
    rows = []
    for place in (municipality, other_municipality):
        owner = make_user(Role.SECTOR_OWNER, place)
        _, decision = make_meeting(place)
        rows += [make_assignment(decision, owner, DUE_DATE, text=f"№{i}") for i in range(25)]
    now = max(r.due_at for r in rows) + DAY + timedelta(minutes=1)
    results: list[AssignmentSweepResult] = []
    errors: list[BaseException] = []

    if connection.vendor == "postgresql":
        barrier = threading.Barrier(2)

        def worker() -> None:
            try:
                barrier.wait(timeout=30)
                results.append(assignments_sweep_tick(now=now, batch_size=4))
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
        results = [
            assignments_sweep_tick(now=now, batch_size=4),
            assignments_sweep_tick(now=now, batch_size=4),
        ]

    assert errors == []
    assert sum(r.warned for r in results) == 0  # both terms long over: no «истекает»
    assert sum(r.breached for r in results) == 50
    assert sum(r.escalated for r in results) == 50
    with dangerously_unscoped(reason="test assertions across tenants"):
        levels = set(Assignment.objects.values_list("escalation_level", flat=True))
        notices = Counter(
            Notification.objects.filter(
                kind__in=["assignment_breach", "assignment_escalation"]
            ).values_list("kind", "user_id", "body")
        )
    assert levels == {2}
    assert set(notices.values()) == {1}  # nobody told twice about one assignment
    assert sum(1 for kind, _, _ in notices if kind == "assignment_breach") == 50
