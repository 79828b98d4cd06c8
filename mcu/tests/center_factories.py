"""Test data for the center's work, made through its services (issue 8)."""

from __future__ import annotations

from datetime import date, datetime

from incidents.models import Incident, Topic
from incidents.services.intake import IncomingMessage, incident_create
from mcu.center import meetings, roadmaps
from mcu.models import Assignment, Meeting, MeetingDecision, Municipality, PublicHearing, Roadmap
from mcu.tenancy import municipality_scope
from roles.models import Role, RoleAssignment, Sector, User


def act_holder(municipality: Municipality, role: Role) -> User:
    """The named chair of the act (Октябрьский: head Аксёнова, curator Габдулисманов)."""
    with municipality_scope(municipality.pk):
        row = RoleAssignment.objects.filter(
            municipality=municipality,
            role=role,
            source=RoleAssignment.Source.ACT,
            user__isnull=False,
        ).first()
    assert row is not None
    assert row.user is not None
    return row.user


def make_meeting(
    municipality: Municipality, *, title: str = "Заседание", held_on: date = date(2025, 4, 1)
) -> tuple[Meeting, MeetingDecision]:
    with municipality_scope(municipality.pk):
        meeting = meetings.meeting_create(
            municipality=municipality,
            actor=None,
            title=title,
            held_on=held_on,
            form=Meeting.Form.IN_PERSON,
            agenda="Повестка",
        )
        decision = meetings.decision_add(meeting=meeting, actor=None, text="Решили")
    return meeting, decision


def make_assignment(
    decision: MeetingDecision, executor: User, due_date: date, *, text: str = "Сделать"
) -> Assignment:
    with municipality_scope(decision.municipality_id):
        return meetings.assignment_create(
            decision=decision, actor=None, executor=executor, text=text, due_date=due_date
        )


def make_roadmap(
    municipality: Municipality, *, sector_code: str = "roads", topic_code: str = "roads"
) -> Roadmap:
    with municipality_scope(municipality.pk):
        sector = Sector.objects.get(municipality=municipality, code=sector_code)
        return roadmaps.roadmap_create(
            municipality=municipality,
            actor=None,
            title="Ямы",
            sector=sector,
            topics=list(Topic.objects.filter(code=topic_code)),
            goal="Меньше ям",
        )


def make_hearing(municipality: Municipality, **values: object) -> PublicHearing:
    defaults: dict[str, object] = {
        "kind": PublicHearing.Kind.HEARING,
        "title": "Слушания",
        "starts_on": date(2025, 3, 1),
        "ends_on": date(2025, 3, 10),
        "state": PublicHearing.State.HELD,
        "on_pos": True,
    }
    defaults.update(values)
    with municipality_scope(municipality.pk):
        return PublicHearing.objects.create(municipality=municipality, **defaults)


_counter = iter(range(1, 1_000_000))


def make_incident(
    municipality: Municipality, *, received_at: datetime, topic: str = "roads.potholes"
) -> Incident:
    with municipality_scope(municipality.pk):
        incident, created = incident_create(
            municipality=municipality,
            message=IncomingMessage(
                channel="im",
                external_id=f"center-{next(_counter)}",
                text="Яма на дороге",
                received_at=received_at,
                topic_code=topic,
            ),
        )
    assert created
    return incident
