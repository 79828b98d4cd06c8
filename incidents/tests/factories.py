"""Test data for the incident domain, made the way production makes it.

Incidents are created through ``incident_create`` with an ``IncomingMessage`` and moved on
through the real services, so deadlines, routing, events and notifications are the ones a
municipality would get. Helpers take the municipality and enter its scope themselves: tenant
managers fail closed without one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import factory
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents.models import (
    Answer,
    AnswerVersion,
    Approval,
    ForwardTarget,
    Incident,
    IncidentEvent,
    Notification,
    RejectReason,
    Status,
)
from incidents.services import answers, lifecycle
from incidents.services.intake import IncomingMessage, incident_create
from mcu.models import Municipality
from mcu.tenancy import municipality_scope
from roles.models import Channel, RegionMembership, Role, RoleAssignment, Sector, User

# Monday 23 Nov 2026, 10:15 in Октябрьский (Asia/Yekaterinburg, UTC+5): a working morning.
NOW = datetime(2026, 11, 23, 5, 15, tzinfo=UTC)

POTHOLE = "roads.potholes"
UNMAPPED_TOPIC = "ecology.air"  # no sector block of Октябрьский covers ecology


class _Null:
    def write(self, *_: object) -> None:
        pass


@contextmanager
def seeded_once(django_db_blocker: Any) -> Iterator[None]:
    """Seed once for a whole test module, as Django's ``setUpTestData`` does.

    ``manage.py seed`` costs more than most tests here. It runs inside an outer transaction;
    each test's own transaction is a savepoint within it, so a test still sees exactly the seed
    and rolls its own writes back, and the seed itself is rolled back when the module ends —
    other modules start from an empty database as before.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed", verbosity=0, stdout=_Null())
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


class IncomingMessageFactory(factory.Factory):
    """What a channel adapter hands to intake: an ИМ post about a pothole, received now."""

    class Meta:
        model = IncomingMessage

    channel = Channel.IM
    external_id = factory.Sequence(lambda n: f"msg-{n:05d}")
    text = "Яма на дороге по ул. Ленина у дома 5, машины объезжают по встречной."
    received_at = factory.LazyFunction(timezone.now)
    citizen_name = "Иванова Мария Петровна"
    citizen_profile_url = "https://vk.com/id100500"


def message(**fields: Any) -> IncomingMessage:
    """A message as an adapter would hand it over; ``fields`` override the defaults."""
    built: IncomingMessage = IncomingMessageFactory.build(**fields)
    return built


def make_incident(
    municipality: Municipality, *, actor: User | None = None, **message_fields: Any
) -> Incident:
    """A new incident from a fresh message (``message_fields`` override the message)."""
    with municipality_scope(municipality.pk):
        incident, created = incident_create(
            municipality=municipality, message=message(**message_fields), actor=actor
        )
    assert created, "a fresh external id must create an incident"
    return incident


def fresh(incident: Incident) -> Incident:
    """The row as stored now (answer services lock and change their own copy)."""
    with municipality_scope(incident.municipality_id):
        return Incident.objects.get(pk=incident.pk)


def sector(municipality: Municipality, code: str) -> Sector:
    with municipality_scope(municipality.pk):
        return Sector.objects.get(municipality=municipality, code=code)


def seeded_holder(municipality: Municipality, role: Role) -> User:
    """The one named official the act's roster gives ``role`` (group rows have no user)."""
    with municipality_scope(municipality.pk):
        (assignment,) = RoleAssignment.objects.filter(
            municipality=municipality, role=role, user__isnull=False
        ).select_related("user")
    assert assignment.user is not None
    return assignment.user


@dataclass(frozen=True)
class Staff:
    """Октябрьский's МЦУ as the tests need it.

    The named chairs come from the act (head, curator, ИМ operator, ПОС/appeals operator,
    tech admin); the sector roles are group rows without a person in the act, so the tests
    give the «Дороги» block its own owner, curator and executor.
    """

    municipality: Municipality
    roads: Sector
    transport: Sector
    head: User
    curator: User
    im_operator: User
    pos_operator: User  # the same chair is the 59-ФЗ appeals officer (Прил. 1 п. 7)
    tech_admin: User
    sector_owner: User  # «Дороги»
    sector_curator: User  # «Дороги»
    executor: User  # «Дороги»
    transport_owner: User

    def publisher(self, channel: str) -> User:
        """Регламент §2.5: the ИМ operator posts social-network answers, the owner posts ПОС;
        the appeals officer answers 59-ФЗ appeals and e-mail; the head any channel with no
        operator of its own (Октябрьский has no ЕДДС chair)."""
        if channel in (Channel.IM, Channel.GOSPUBLIC):
            return self.im_operator
        if channel == Channel.POS:
            return self.sector_owner
        if channel in (Channel.APPEAL, Channel.EMAIL):
            return self.pos_operator
        return self.head


def oktyabrsky_staff(municipality: Municipality, make_user: Callable[..., User]) -> Staff:
    roads = sector(municipality, "roads")
    transport = sector(municipality, "transport")
    return Staff(
        municipality=municipality,
        roads=roads,
        transport=transport,
        head=seeded_holder(municipality, Role.HEAD),
        curator=seeded_holder(municipality, Role.CURATOR),
        im_operator=seeded_holder(municipality, Role.IM_OPERATOR),
        pos_operator=seeded_holder(municipality, Role.POS_OPERATOR),
        tech_admin=seeded_holder(municipality, Role.TECH_ADMIN),
        sector_owner=make_user(Role.SECTOR_OWNER, municipality, sector=roads, username="owner"),
        sector_curator=make_user(
            Role.SECTOR_CURATOR, municipality, sector=roads, username="curator-roads"
        ),
        executor=make_user(Role.EXECUTOR, municipality, sector=roads, username="executor"),
        transport_owner=make_user(
            Role.SECTOR_OWNER, municipality, sector=transport, username="owner-transport"
        ),
    )


def regional_analyst(municipality: Municipality) -> User:
    """A ЦУР analyst of the municipality's region: reads everything, may change nothing."""
    user = User.objects.create_user(username=f"analyst-{municipality.slug}", password="x-Пароль-1")
    RegionMembership.objects.create(user=user, region=municipality.region)
    return user


# --- moving an incident along the real flow -------------------------------------------------


def draft(incident: Incident, actor: User, text: str) -> Answer:
    with municipality_scope(incident.municipality_id):
        current = fresh(incident)
        return answers.answer_save_draft(
            incident=current, actor=actor, text=text, expected_version=current.version
        )


def submit(incident: Incident, actor: User) -> None:
    current = fresh(incident)
    with municipality_scope(incident.municipality_id):
        answers.answer_submit(incident=current, actor=actor, expected_version=current.version)


def approve(incident: Incident, actor: User, comment: str = "") -> None:
    current = fresh(incident)
    with municipality_scope(incident.municipality_id):
        answers.answer_approve(
            incident=current, actor=actor, expected_version=current.version, comment=comment
        )


def publish(incident: Incident, actor: User) -> Answer:
    current = fresh(incident)
    with municipality_scope(incident.municipality_id):
        return answers.answer_publish(
            incident=current, actor=actor, expected_version=current.version
        )


def incident_at(status: Status, staff: Staff, **message_fields: Any) -> Incident:
    """An incident of the «Дороги» block brought to ``status`` by the people who would do it.

    The default message is an ИМ post about a pothole, routed to «Дороги» by the рубрикатор.
    """
    message_fields.setdefault("topic_code", POTHOLE)
    municipality = staff.municipality
    channel = message_fields.get("channel", Channel.IM)
    operator = staff.im_operator if channel == Channel.IM else staff.pos_operator
    if status == Status.NEW:
        message_fields["topic_code"] = UNMAPPED_TOPIC
        return make_incident(municipality, **message_fields)
    incident = make_incident(municipality, **message_fields)
    assert incident.status == Status.ASSIGNED
    with municipality_scope(municipality.pk):
        if status == Status.ASSIGNED:
            return incident
        if status == Status.REJECTED:
            return lifecycle.incident_reject(
                incident=incident,
                actor=operator,
                expected_version=incident.version,
                reason=RejectReason.SPAM,
            )
        if status == Status.FORWARDED:
            return lifecycle.incident_forward(
                incident=incident,
                actor=operator,
                expected_version=incident.version,
                target=ForwardTarget.CUR,
            )
        if status == Status.MERGED:
            parent_fields = {k: v for k, v in message_fields.items() if k != "external_id"}
            parent = make_incident(municipality, **parent_fields)
            return lifecycle.incident_merge(
                incident=incident, into=parent, actor=operator, expected_version=incident.version
            )
        incident = lifecycle.incident_take(
            incident=incident, actor=staff.sector_owner, expected_version=incident.version
        )
        if status == Status.IN_PROGRESS:
            return incident
        if status == Status.POSTPONED:
            return lifecycle.incident_postpone(
                incident=incident,
                actor=staff.sector_owner,
                expected_version=incident.version,
                until=staff.municipality.local_time().date() + timedelta(days=7),
                interim_answer="Ремонт покрытия запланирован, сообщим о результате.",
            )
        draft(incident, staff.sector_owner, "Яму засыплют щебнем до конца недели.")
        submit(incident, staff.sector_owner)
        if status == Status.ON_APPROVAL:
            return fresh(incident)
        approve(incident, staff.sector_curator)
        if channel in (Channel.IM, Channel.GOSPUBLIC):
            approve(incident, staff.head)
        if status == Status.APPROVED:
            return fresh(incident)
        publish(incident, staff.publisher(channel))
        incident = fresh(incident)
        if status == Status.ANSWERED:
            return incident
        if status == Status.CLOSED:
            return lifecycle.incident_close(
                incident=incident, actor=operator, expected_version=incident.version
            )
        if status == Status.REOPENED:
            return lifecycle.incident_reopen(
                incident=incident,
                actor=operator,
                expected_version=incident.version,
                reason="Яма осталась",
            )
    raise AssertionError(f"no recipe for {status}")


def snapshot(incident: Incident) -> dict[str, object]:
    """Everything a refused call must leave as it was."""
    with municipality_scope(incident.municipality_id):
        row = Incident.objects.get(pk=incident.pk)
        return {
            "status": row.status,
            "version": row.version,
            "sector": row.sector_id,
            "responsible": row.responsible_id,
            "due_at": row.due_at,
            "closed_at": row.closed_at,
            "merged_into": row.merged_into_id,
            "repeat_of": row.repeat_of_id,
            "is_repeat": row.is_repeat,
            "satisfaction": row.satisfaction,
            "extension_count": row.extension_count,
            "events": IncidentEvent.objects.filter(incident=row).count(),
            "answers": list(
                Answer.objects.filter(incident=row).order_by("pk").values_list("pk", "state")
            ),
            "answer_versions": AnswerVersion.objects.filter(answer__incident=row).count(),
            "approvals": Approval.objects.filter(answer__incident=row).count(),
            "notifications": Notification.objects.filter(incident=row).count(),
        }


def event_log(incident: Incident) -> list[tuple[str, str, str, str | None]]:
    """The timeline as (kind, from, to, actor's username) in order."""
    with municipality_scope(incident.municipality_id):
        return [
            (
                event.kind,
                event.from_status,
                event.to_status,
                event.actor.username if event.actor else None,
            )
            for event in IncidentEvent.objects.filter(incident_id=incident.pk)
            .select_related("actor")
            .order_by("at", "pk")
        ]


def notified(incident: Incident, kind: str | None = None) -> dict[str, list[str]]:
    """Who got which notifications about the incident: {username: [kind, …]} in order."""
    with municipality_scope(incident.municipality_id):
        # Its own notices, and the sweep's notices listing several incidents (incident_ids).
        rows = Notification.objects.filter(
            Q(incident_id=incident.pk) | Q(incident__isnull=True)
        ).select_related("user")
        if kind is not None:
            rows = rows.filter(kind=kind)
        result: dict[str, list[str]] = {}
        for row in rows.order_by("pk"):
            if row.incident_id == incident.pk or incident.pk in row.incident_ids:
                result.setdefault(row.user.username, []).append(row.kind)
        return result
