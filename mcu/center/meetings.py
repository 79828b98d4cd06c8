"""Writes of meetings, their protocols and protocol assignments (issue 8 item 1).

Сосновоборский §3.2: a meeting's decisions are recorded in a protocol that the curator signs
(the head in the curator's absence) and that is sent to officials for execution; Ленский Прил. 3
п. 2.7: the head records «протокольные поручения». A signed protocol is a document: its meeting
and decisions no longer change. Assignments live on — their executor reports, the manager may
move the term or withdraw one — and every change is a service here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import Incident, Topic
from incidents.services.common import notify
from mcu.center.access import roster_users
from mcu.center.exceptions import CenterInvalid
from mcu.models import Assignment, AssignmentStatus, Meeting, MeetingDecision, Municipality
from mcu.tenancy import WrongMunicipality
from roles.models import User
from roles.permissions import Capability
from roles.selectors import actor_capabilities

# Warn the executor when the last day begins (00:00 local): a day term's warning a day ahead.
WARN_BEFORE = timedelta(days=1)


def local_day_end(day: date, municipality: Municipality) -> datetime:
    """24:00 local of ``day`` — the next local midnight — in UTC (ГК РФ ст. 194)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=municipality.tz).astimezone(
        UTC
    )


def _require(actor: User | None, municipality: Municipality, capability: Capability) -> None:
    if actor is None:  # the system (seeding)
        return
    if not actor_capabilities(user=actor, municipality=municipality).can(capability):
        raise CenterInvalid(_("Ваша роль в МЦУ не позволяет выполнить это действие."))


def _same_municipality(municipality: Municipality, *objects: object) -> None:
    for obj in objects:
        if obj is not None and getattr(obj, "municipality_id", municipality.pk) != municipality.pk:
            raise WrongMunicipality(f"{obj!r} belongs to another municipality")


def _check_people(
    municipality: Municipality, people: Iterable[User | None], *, on: date, field: str
) -> None:
    """Participants and executors come from the roster (of the day, or of today)."""
    wanted = {person.pk for person in people if person is not None}
    if not wanted:
        return
    members = set(
        roster_users(municipality=municipality, on=on).values_list("pk", flat=True)
    ) | set(roster_users(municipality=municipality).values_list("pk", flat=True))
    if not wanted <= members:
        raise CenterInvalid(_("Можно выбрать только сотрудников из состава МЦУ."), field=field)


def _check_incidents(municipality: Municipality, incidents: Iterable[Incident]) -> list[Incident]:
    rows = list(incidents)
    _same_municipality(municipality, *rows)
    return rows


def _lock_meeting(meeting: Meeting) -> Meeting:
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.municipality_id != meeting.municipality_id:
        raise WrongMunicipality("meeting moved between municipalities")
    return locked


def _refuse_signed(meeting: Meeting) -> None:
    if meeting.is_signed:
        raise CenterInvalid(_("Протокол подписан: заседание и его решения больше не меняются."))


@transaction.atomic
def meeting_create(
    *,
    municipality: Municipality,
    actor: User | None,
    title: str,
    held_on: date,
    form: str,
    agenda: str,
    chair: User | None = None,
    participants: Iterable[User] = (),
    topics: Iterable[Topic] = (),
    incidents: Iterable[Incident] = (),
) -> Meeting:
    _require(actor, municipality, Capability.MEETINGS_MANAGE)
    people = list(participants)
    _check_people(municipality, [chair], on=held_on, field="chair")
    _check_people(municipality, people, on=held_on, field="participants")
    linked = _check_incidents(municipality, incidents)
    meeting = Meeting.objects.create(
        municipality=municipality,
        title=title,
        held_on=held_on,
        form=form,
        agenda=agenda,
        chair=chair,
        created_by=actor,
    )
    meeting.participants.set(people)
    meeting.topics.set(list(topics))
    meeting.incidents.set(linked)
    return meeting


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    actor: User | None,
    title: str,
    held_on: date,
    form: str,
    agenda: str,
    chair: User | None = None,
    participants: Iterable[User] = (),
    topics: Iterable[Topic] = (),
    incidents: Iterable[Incident] = (),
) -> Meeting:
    municipality = meeting.municipality
    _require(actor, municipality, Capability.MEETINGS_MANAGE)
    locked = _lock_meeting(meeting)
    _refuse_signed(locked)
    people = list(participants)
    _check_people(municipality, [chair], on=held_on, field="chair")
    _check_people(municipality, people, on=held_on, field="participants")
    linked = _check_incidents(municipality, incidents)
    locked.title, locked.held_on, locked.form = title, held_on, form
    locked.agenda, locked.chair = agenda, chair
    locked.save(update_fields=["title", "held_on", "form", "agenda", "chair", "updated_at"])
    locked.participants.set(people)
    locked.topics.set(list(topics))
    locked.incidents.set(linked)
    return locked


@transaction.atomic
def decision_add(*, meeting: Meeting, actor: User | None, text: str) -> MeetingDecision:
    _require(actor, meeting.municipality, Capability.MEETINGS_MANAGE)
    locked = _lock_meeting(meeting)  # numbers are given out one at a time
    _refuse_signed(locked)
    last = MeetingDecision.objects.filter(meeting=locked).aggregate(n=Max("number"))["n"] or 0
    return MeetingDecision.objects.create(
        municipality_id=locked.municipality_id, meeting=locked, number=last + 1, text=text
    )


@transaction.atomic
def decision_update(*, decision: MeetingDecision, actor: User | None, text: str) -> MeetingDecision:
    meeting = decision.meeting
    _require(actor, meeting.municipality, Capability.MEETINGS_MANAGE)
    _refuse_signed(_lock_meeting(meeting))
    decision.text = text
    decision.save(update_fields=["text"])
    return decision


@transaction.atomic
def protocol_sign(*, meeting: Meeting, actor: User | None, number: str, signed_on: date) -> Meeting:
    """Сосновоборский §3.2: the curator signs (the head, in the curator's absence)."""
    _require(actor, meeting.municipality, Capability.MEETINGS_MANAGE)
    locked = _lock_meeting(meeting)
    if locked.is_signed:
        raise CenterInvalid(_("Протокол уже подписан."))
    if not MeetingDecision.objects.filter(meeting=locked).exists():
        raise CenterInvalid(_("В протоколе нет ни одного решения."))
    if signed_on < locked.held_on:
        raise CenterInvalid(
            _("Протокол не может быть подписан раньше заседания."), field="signed_on"
        )
    locked.protocol_number = number
    locked.protocol_signed_on = signed_on
    locked.protocol_signed_by = actor
    locked.save(
        update_fields=[
            "protocol_number",
            "protocol_signed_on",
            "protocol_signed_by",
            "updated_at",
        ]
    )
    return locked


# --- assignments ------------------------------------------------------------------------------


def _set_term(assignment: Assignment, municipality: Municipality, due_date: date) -> None:
    assignment.due_date = due_date
    assignment.due_at = local_day_end(due_date, municipality)
    assignment.warn_at = assignment.due_at - WARN_BEFORE
    # A new term starts the sweep afresh: nothing about it has been warned or missed yet.
    assignment.warned_at = None
    assignment.breached_at = None
    assignment.escalation_level = 0
    assignment.next_escalation_at = None


def _notify_executor(assignment: Assignment, *, actor: User | None, title: str) -> None:
    meeting = assignment.decision.meeting
    notify(
        municipality=meeting.municipality,
        users=[assignment.executor],
        kind="assignment_new",
        title=title,
        body=_(
            "Заседание %(date)s «%(meeting)s», решение %(number)s: %(text)s\n"
            "Срок исполнения: до %(due)s включительно."
        )
        % {
            "date": f"{meeting.held_on:%d.%m.%Y}",
            "meeting": meeting.title,
            "number": assignment.decision.number,
            "text": assignment.text,
            "due": f"{assignment.due_date:%d.%m.%Y}",
        },
        exclude=actor,
    )


@transaction.atomic
def assignment_create(
    *, decision: MeetingDecision, actor: User | None, executor: User, text: str, due_date: date
) -> Assignment:
    meeting = decision.meeting
    municipality = meeting.municipality
    _require(actor, municipality, Capability.MEETINGS_MANAGE)
    _check_people(municipality, [executor], on=meeting.held_on, field="executor")
    if due_date < meeting.held_on:
        raise CenterInvalid(_("Срок не может быть раньше даты заседания."), field="due_date")
    assignment = Assignment(
        municipality_id=municipality.pk,
        decision=decision,
        executor=executor,
        text=text,
        created_by=actor,
    )
    _set_term(assignment, municipality, due_date)
    assignment.save()
    _notify_executor(assignment, actor=actor, title=_("Вам поручение по протоколу заседания МЦУ"))
    return assignment


def _lock_assignment(assignment: Assignment) -> Assignment:
    locked = (
        Assignment.objects.select_for_update()
        .select_related("decision__meeting__municipality")
        .get(pk=assignment.pk)
    )
    if locked.municipality_id != assignment.municipality_id:
        raise WrongMunicipality("assignment moved between municipalities")
    return locked


@transaction.atomic
def assignment_update(
    *, assignment: Assignment, actor: User | None, executor: User, text: str, due_date: date
) -> Assignment:
    """Move the term or hand it to another executor (only while it is being executed)."""
    locked = _lock_assignment(assignment)
    meeting = locked.decision.meeting
    municipality = meeting.municipality
    _require(actor, municipality, Capability.MEETINGS_MANAGE)
    if not locked.is_open:
        raise CenterInvalid(_("Поручение уже не на исполнении: изменить его нельзя."))
    _check_people(municipality, [executor], on=meeting.held_on, field="executor")
    if due_date < meeting.held_on:
        raise CenterInvalid(_("Срок не может быть раньше даты заседания."), field="due_date")
    fields = ["text"]
    locked.text = text
    if due_date != locked.due_date:
        _set_term(locked, municipality, due_date)
        fields += [
            "due_date",
            "due_at",
            "warn_at",
            "warned_at",
            "breached_at",
            "escalation_level",
            "next_escalation_at",
        ]
    new_executor = executor.pk != locked.executor_id
    if new_executor:
        locked.executor = executor
        fields.append("executor")
    locked.save(update_fields=fields)
    if new_executor:
        _notify_executor(locked, actor=actor, title=_("Вам передано поручение МЦУ"))
    return locked


def can_report(*, assignment: Assignment, user: User) -> bool:
    """The executor reports on their own assignment; whoever runs the meetings may close any."""
    return assignment.executor_id == user.pk or actor_capabilities(
        user=user, municipality=assignment.decision.meeting.municipality
    ).can(Capability.MEETINGS_MANAGE)


@transaction.atomic
def assignment_complete(*, assignment: Assignment, actor: User, report: str) -> Assignment:
    locked = _lock_assignment(assignment)
    if not can_report(assignment=locked, user=actor):
        raise CenterInvalid(_("Отчитаться об исполнении может только исполнитель поручения."))
    if not locked.is_open:
        raise CenterInvalid(_("Поручение уже не на исполнении."))
    if not report.strip():
        raise CenterInvalid(_("Опишите, что сделано."), field="report")
    locked.status = AssignmentStatus.DONE
    locked.report = report
    locked.done_at = timezone.now()
    locked.next_escalation_at = None  # the ladder stops; the breach, if any, stays on record
    locked.save(update_fields=["status", "report", "done_at", "next_escalation_at"])
    return locked


@transaction.atomic
def assignment_cancel(*, assignment: Assignment, actor: User | None, reason: str) -> Assignment:
    locked = _lock_assignment(assignment)
    _require(actor, locked.decision.meeting.municipality, Capability.MEETINGS_MANAGE)
    if not locked.is_open:
        raise CenterInvalid(_("Поручение уже не на исполнении."))
    if not reason.strip():
        raise CenterInvalid(_("Укажите основание снятия с контроля."), field="report")
    locked.status = AssignmentStatus.CANCELLED
    locked.report = reason
    locked.next_escalation_at = None
    locked.save(update_fields=["status", "report", "next_escalation_at"])
    return locked
