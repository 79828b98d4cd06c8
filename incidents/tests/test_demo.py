"""``seed_demo``'s incidents: a living system in every municipality, made through the services,
history consistent with the terms, no side effects, idempotent, and never across tenants."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from incidents.models import (
    OPEN_STATUSES,
    Answer,
    Approval,
    Incident,
    IncidentEvent,
    Notification,
    SectorTopic,
    Status,
    Topic,
)
from incidents.services import demo
from incidents.services.sweep import SweepResult, sweep_tick
from mcu.models import Municipality
from mcu.seeding import SeedLog
from mcu.tenancy import dangerously_unscoped, municipality_scope
from roles.models import Channel, OrgUnit, RoleAssignment

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
SLUGS = ["askiz", "lensky", "lovozero", "oktyabrsky", "sosnovoborsk"]


class _Null:
    def write(self, *_: object) -> None:
        pass


def test_demo_incidents_follow_debug_unless_the_setting_says(db, settings, monkeypatch):
    """``make run`` sets DEBUG; the suite (production settings) seeds demo accounts only."""
    call_command("seed", stdout=_Null())
    monkeypatch.setattr(demo, "PREFIX", "demo-switch-")
    monkeypatch.setattr(demo, "TARGETS", dict.fromkeys(SLUGS, 0) | {"lovozero": 60})
    before = len(_all(Incident))
    settings.DEBUG = False
    call_command("seed_demo", stdout=_Null())
    assert len(_all(Incident)) == before
    settings.MCU_DEMO_INCIDENTS = True
    call_command("seed_demo", stdout=_Null())
    assert len(_all(Incident)) == before + 60


@pytest.fixture(scope="module")
def seeded_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[datetime]:
    """``seed`` and ``seed_demo`` once for the module (they cost more than every test here).

    They run inside an outer transaction; each test's own is a savepoint within it and rolls
    back its writes; the whole seed is rolled back when the module ends, so other modules
    start from an empty database.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed", stdout=_Null())
            started = timezone.now()
            with override_settings(MCU_DEMO_INCIDENTS=True):
                call_command("seed_demo", stdout=_Null())
            yield started
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def started(seeded_demo: datetime, db: None) -> datetime:
    """When the demo seeding started: nothing of its history may be later."""
    return seeded_demo


def _incidents(slug: str) -> list[Incident]:
    municipality = Municipality.objects.get(slug=slug)
    with municipality_scope(municipality.pk):
        return list(
            Incident.objects.filter(municipality=municipality).select_related(
                "sector", "org_unit", "topic", "clock"
            )
        )


def _all(model: Any) -> list[Any]:
    with dangerously_unscoped(reason="test: every municipality's demo rows"):
        return list(model.objects.order_by("pk"))


@pytest.mark.parametrize("slug", SLUGS)
def test_each_municipality_has_a_few_hundred_incidents(started, slug):
    incidents = _incidents(slug)
    assert 250 <= len(incidents) <= 400
    assert len(incidents) == demo.TARGETS[slug]
    assert all(i.external_id.startswith(f"demo-{slug}-") for i in incidents)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_status_occurs_in_every_municipality(started, slug):
    """The act of every municipality gives it the roles for each transition (where a step has
    no member to do it, the platform administrator stands in — see ``demo._Cast``)."""
    statuses = Counter(i.status for i in _incidents(slug))
    assert set(statuses) == set(Status.values)
    # Most are answered or closed; every other status is there, but a minority.
    assert statuses[Status.ANSWERED] + statuses[Status.CLOSED] > len(_incidents(slug)) / 2


@pytest.mark.parametrize("slug", SLUGS)
def test_every_channel_social_networks_and_pos_most(started, slug):
    incidents = _incidents(slug)
    channels = Counter(i.channel for i in incidents)
    assert set(channels) == set(Channel.values)
    assert channels[Channel.IM] + channels[Channel.POS] > len(incidents) / 2
    pos = [i for i in incidents if i.channel == Channel.POS]
    assert 0.05 <= sum(i.fast_track for i in pos) / len(pos) <= 0.3  # ~15 % fast-track


@pytest.mark.parametrize("slug", SLUGS)
def test_a_handful_open_past_the_term_flagged_as_the_sweep_flags_them(started, slug):
    overdue = [i for i in _incidents(slug) if i.is_open and i.due_at and i.due_at < started]
    assert 3 <= len(overdue) <= 15
    for incident in overdue:
        assert incident.clock.breached_at == incident.due_at
        assert 1 <= incident.clock.escalation_level <= 4
        assert incident.clock.warned_at is not None
    with municipality_scope(overdue[0].municipality_id):
        breach = IncidentEvent.objects.get(incident=overdue[0], kind=IncidentEvent.Kind.BREACH)
    assert breach.at == overdue[0].due_at


@pytest.mark.parametrize("slug", SLUGS)
def test_every_clock_is_in_step_and_the_first_live_sweep_has_nothing_to_catch_up(started, slug):
    incidents = _incidents(slug)
    assert all(
        (i.clock.due_at, i.clock.warn_at, i.clock.stage_due_at, i.clock.is_open)
        == (i.due_at, i.warn_at, i.stage_due_at, i.status in OPEN_STATUSES)
        for i in incidents
    )
    assert sweep_tick(now=started) == SweepResult()


@pytest.mark.parametrize("slug", SLUGS)
def test_history_covers_eight_weeks_and_nothing_is_stamped_after_the_run(started, slug):
    incidents = _incidents(slug)
    weeks = Counter(int((started - i.received_at) / timedelta(days=7)) for i in incidents)
    assert set(weeks) == set(range(8))  # the 8-week chart has data in every column
    assert min(weeks.values()) >= 10
    municipality = Municipality.objects.get(slug=slug)
    with municipality_scope(municipality.pk):
        events = list(IncidentEvent.objects.filter(municipality=municipality))
        answers = list(Answer.objects.filter(municipality=municipality))
        # The incidents' history; the center's demo (meetings, assignments) notifies today.
        notes = list(Notification.objects.filter(municipality=municipality, incident__isnull=False))
    received = {i.pk: i.received_at for i in incidents}
    assert all(received[e.incident_id] <= e.at < started for e in events)
    assert all(a.created_at < started for a in answers)
    assert all(a.published_at is None or a.created_at <= a.published_at for a in answers)
    assert all(n.created_at < started for n in notes)
    for i in incidents:
        assert i.created_at < started
        assert i.updated_at < started
        if i.answered_at:
            assert i.received_at < i.answered_at < started
            assert i.first_answer_at is not None
            assert i.first_answer_at <= i.answered_at


@pytest.mark.parametrize("slug", SLUGS)
def test_each_timeline_is_one_chain_of_transitions_in_time_order(started, slug):
    incidents = {i.pk: i for i in _incidents(slug)}
    with municipality_scope(next(iter(incidents.values())).municipality_id):
        events = IncidentEvent.objects.filter(incident_id__in=incidents).order_by("at", "pk")
        status: dict[int, str] = {}
        for event in events:
            if event.kind == IncidentEvent.Kind.CREATED:
                status[event.incident_id] = Status.NEW
            elif event.from_status and event.to_status:
                assert status[event.incident_id] == event.from_status, event.incident_id
                status[event.incident_id] = event.to_status
    assert {pk: i.status for pk, i in incidents.items()} == status


@pytest.mark.parametrize("slug", SLUGS)
def test_late_answers_and_breaches_agree_with_the_term(started, slug):
    answered = [i for i in _incidents(slug) if i.answered_at is not None]
    late = [i for i in answered if i.answered_late]
    assert late, "some answers are late"
    assert len(late) < len(answered) / 4
    for incident in answered:
        assert incident.due_at is not None
        assert incident.answered_at is not None
        assert incident.answered_late == (incident.answered_at >= incident.due_at)
        if incident.answered_late:
            assert incident.clock.breached_at == incident.due_at
            assert incident.clock.next_escalation_at is None


@pytest.mark.parametrize("slug", SLUGS)
def test_the_rest_of_the_life(started, slug):
    """Ratings, repeats, reasons, promised dates, merges — each where its status says."""
    incidents = _incidents(slug)
    by_status: dict[str, list[Incident]] = {}
    for incident in incidents:
        by_status.setdefault(incident.status, []).append(incident)
    assert all(i.reject_reason for i in by_status[Status.REJECTED])
    assert all(i.forward_target for i in by_status[Status.FORWARDED])
    assert all(
        i.postponed_until and i.postponed_until > started.date()
        for i in by_status[Status.POSTPONED]
    )
    assert all(i.merged_into_id and i.is_repeat for i in by_status[Status.MERGED])
    assert all(i.is_repeat for i in by_status[Status.REOPENED])
    assert sum(i.satisfaction is not None for i in incidents) >= 20
    assert sum(i.is_repeat and i.status != Status.MERGED for i in incidents) >= 10


@pytest.mark.parametrize("slug", SLUGS)
def test_texts_are_russian_and_places_are_the_municipalitys_own(started, slug):
    incidents = _incidents(slug)
    places = [place.name for place in demo._GEOGRAPHY[slug].places]
    for incident in incidents:
        assert CYRILLIC.search(incident.text), incident.text
        assert CYRILLIC.search(incident.citizen_name), incident.citizen_name
        if incident.address:
            assert any(place in incident.address for place in places), incident.address
    assert sum(i.latitude is not None for i in incidents) >= 20
    with municipality_scope(incidents[0].municipality_id):
        texts = list(Answer.objects.values_list("text", flat=True))
        # The acts name no settlements: none is created as an org unit.
        assert not OrgUnit.objects.filter(kind=OrgUnit.Kind.SETTLEMENT).exists()
    assert texts
    assert all(CYRILLIC.search(text) for text in texts)


def test_no_incident_references_another_municipalitys_rows(started):
    with dangerously_unscoped(reason="test: compare rows across municipalities"):
        members: dict[int, set[int]] = {}
        for municipality_id, user_id in RoleAssignment.objects.filter(
            user__isnull=False
        ).values_list("municipality_id", "user_id"):
            members.setdefault(municipality_id, set()).add(user_id)
        mapping = {
            (link.municipality_id, link.topic_id): link.sector_id
            for link in SectorTopic.objects.all()
        }
        incidents = {i.pk: i for i in Incident.objects.select_related("sector", "org_unit")}
        events = list(IncidentEvent.objects.all())
        answers = list(Answer.objects.all())
        approvals = list(Approval.objects.select_related("answer"))
        notes = list(Notification.objects.all())
    superusers = set(
        apps.get_model("roles", "User")
        .objects.filter(is_superuser=True)
        .values_list("pk", flat=True)
    )

    def allowed(municipality_id: int) -> set[int]:
        return members[municipality_id] | superusers

    for incident in incidents.values():
        own = incident.municipality_id
        assert incident.sector is None or incident.sector.municipality_id == own
        assert incident.org_unit is None or incident.org_unit.municipality_id == own
        assert incident.responsible_id is None or incident.responsible_id in members[own]
        for linked in (incident.merged_into_id, incident.repeat_of_id):
            assert linked is None or incidents[linked].municipality_id == own
        if incident.auto_routed and incident.topic:
            topic = incident.topic
            routed = mapping.get((own, topic.pk)) or mapping.get((own, topic.parent_id or 0))
            assert routed == incident.sector_id
    for event in events:
        assert event.municipality_id == incidents[event.incident_id].municipality_id
        assert event.actor_id is None or event.actor_id in allowed(event.municipality_id)
    for answer in answers:
        assert answer.municipality_id == incidents[answer.incident_id].municipality_id
        assert answer.author_id in allowed(answer.municipality_id)
    for approval in approvals:
        assert approval.municipality_id == approval.answer.municipality_id
        assert approval.actor_id in allowed(approval.municipality_id)
    for note in notes:
        assert note.incident_id is None or incidents[note.incident_id].municipality_id == (
            note.municipality_id
        )
        assert note.user_id in allowed(note.municipality_id)


def test_demo_history_sends_nothing(started, django_capture_on_commit_callbacks, monkeypatch):
    """Notifications are e-mailed history; the services' after-commit work is discarded."""
    history = [n for n in _all(Notification) if n.incident_id is not None]
    assert all(n.emailed_at is not None for n in history)
    unread = Counter(n.user_id for n in history if n.read_at is None)
    assert unread
    assert max(unread.values()) < 60  # the bell shows the last days only
    # One more small batch (under another prefix), to watch what it queues.
    monkeypatch.setattr(demo, "PREFIX", "demo-again-")
    monkeypatch.setattr(demo, "TARGETS", dict.fromkeys(SLUGS, 0) | {"askiz": 60})
    log = SeedLog()
    with django_capture_on_commit_callbacks() as callbacks:
        demo.incidents_demo_seed(log=log)
    assert log.created == Counter({"incidents.Incident": 60})
    assert callbacks == []


def _snapshot() -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    with dangerously_unscoped(reason="test: snapshot of all tenants' demo data"):
        for model in apps.get_app_config("incidents").get_models():
            tables[model._meta.label] = list(model._base_manager.order_by("pk").values())
    return tables


def test_a_second_run_changes_nothing(started, settings):
    settings.MCU_DEMO_INCIDENTS = True
    before = _snapshot()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert out.getvalue().strip().endswith("без изменений")
    assert _snapshot() == before


def test_the_plan_is_the_same_every_time(started):
    """The same messages and fates every run, whatever the day; only their dates follow it."""
    municipality = Municipality.objects.get(slug="lovozero")

    def plan(now: datetime) -> list[tuple[str, str, str, str, str]]:
        specs = demo._Planner(municipality, now=now).plan(demo.TARGETS["lovozero"])
        return sorted((s.external_id, s.fate, s.channel, s.text, s.citizen.full) for s in specs)

    now = timezone.now()
    assert plan(now) == plan(now)
    assert plan(now) == plan(now - timedelta(days=3, hours=5))


def test_every_message_is_about_a_topic_of_the_rubricator_and_renders(started):
    codes = set(Topic.objects.values_list("code", flat=True))
    assert set(demo._MESSAGES) <= codes
    assert {c for c in demo._ANSWERS if c} <= codes
    geo = demo._GEOGRAPHY["lensky"]
    fmt = demo._Planner(Municipality.objects.get(slug="lensky"), now=timezone.now())._fmt(
        geo.places[0], geo.places[0].streets[0], "5"
    )
    for template in [t for pool in demo._MESSAGES.values() for t in pool]:
        assert "{" not in template.format_map(fmt)


def test_open_incidents_are_open(started):
    """Sanity of the fates: open statuses have no answer time and no closing time."""
    for incident in _all(Incident):
        if incident.status in OPEN_STATUSES:
            assert incident.answered_at is None
            assert incident.closed_at is None
