"""Transitions of an incident (DESIGN §4). Each one: check the capability (permission matrix),
lock the row and check its version, change it, write the timeline event, notify — in one
transaction, so a refused or failed request leaves nothing half-applied."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents import deadlines
from incidents.exceptions import InvalidInput, TransitionNotAllowed
from incidents.models import (
    OPEN_STATUSES,
    Answer,
    ForwardTarget,
    Incident,
    IncidentEvent,
    Kind,
    RejectReason,
    SlaPolicy,
    Status,
    Topic,
)
from incidents.services import policies
from incidents.services.common import (
    bump,
    lock_incident,
    notify,
    record_event,
    require_capability,
    require_same_municipality,
)
from incidents.services.intake import SOCIAL_CHANNELS
from roles.models import OrgUnit, Role, Sector, User
from roles.permissions import Capability
from roles.selectors import role_holders

C = Capability

TRIAGE_FROM = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED)


def _require_status(incident: Incident, allowed: tuple[str, ...], action: str) -> None:
    if incident.status not in allowed:
        raise TransitionNotAllowed(
            _("Нельзя %(action)s: инцидент в статусе «%(status)s».")
            % {"action": action, "status": incident.get_status_display()}
        )


def _transition(
    incident: Incident,
    to_status: str,
    *,
    actor: User | None,
    fields: list[str],
    note: str = "",
    data: dict[str, object] | None = None,
    kind: str = IncidentEvent.Kind.TRANSITION,
) -> Incident:
    from_status = incident.status
    incident.status = to_status
    bump(incident, ["status", *fields])
    record_event(
        incident,
        kind,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data,
    )
    return incident


def _restart_clock(incident: Incident, *, start: datetime) -> list[str]:
    """New terms from ``start`` (a reopened incident is a new round of work). Saving a new
    ``due_at`` through ``bump`` resets the sweep's flags and ladder on the clock row."""
    terms = policies.answer_terms(incident, start=start)
    incident.sla_policy = terms.policy
    incident.due_at = terms.due_at
    incident.warn_at = terms.warn_at
    return ["sla_policy", "due_at", "warn_at"]


@transaction.atomic
def incident_assign(
    *,
    incident: Incident,
    actor: User,
    expected_version: int | None,
    sector: Sector | None = None,
    org_unit: OrgUnit | None = None,
    responsible: User | None = None,
    topic: Topic | None = None,
    note: str = "",
) -> Incident:
    """Route to a sector block / unit / person (the operator's hand-over, Регламент §2.4).

    The deadline clock keeps running: routing does not buy time.
    """
    require_same_municipality(incident, sector, org_unit)
    if sector is None and org_unit is None and responsible is None:
        raise InvalidInput(
            _("Укажите отраслевой блок, подразделение или ответственного."), field="sector"
        )
    incident = lock_incident(incident, expected_version=expected_version)
    require_capability(actor=actor, incident=incident, capability=C.INCIDENT_TRIAGE)
    _require_status(incident, TRIAGE_FROM, _("назначить ответственного"))
    if responsible is not None and not _holds_role_here(responsible, incident):
        raise InvalidInput(
            _("Ответственный должен входить в состав МЦУ этого муниципального образования."),
            field="responsible",
        )
    fields = ["sector", "org_unit", "responsible", "topic", "auto_routed", "stage_due_at"]
    incident.sector = sector or incident.sector
    incident.org_unit = org_unit if org_unit is not None else incident.org_unit
    incident.responsible = responsible
    incident.topic = topic or incident.topic
    if incident.auto_routed is None:
        incident.auto_routed = False  # reached its executor by a human hand
    if incident.channel in SOCIAL_CHANNELS:
        incident.stage_due_at = policies.stage_terms(
            incident, stage=SlaPolicy.Stage.AGREED_TO_OPERATOR, start=timezone.now()
        ).due_at
    to_status = Status.ASSIGNED if incident.status == Status.NEW else incident.status
    _transition(
        incident,
        to_status,
        actor=actor,
        fields=fields,
        note=note,
        kind=IncidentEvent.Kind.ASSIGNED,
        data={
            "sector": incident.sector_id,
            "org_unit": incident.org_unit_id,
            "responsible": incident.responsible_id,
            "topic": incident.topic_id,
        },
    )
    recipients = (
        [responsible]
        if responsible
        else role_holders(
            municipality=incident.municipality,
            roles=[Role.SECTOR_OWNER, Role.EXECUTOR],
            sector_id=incident.sector_id,
        )
    )
    notify(
        municipality=incident.municipality,
        users=recipients,
        kind="incident_assigned",
        title=f"Вам передан инцидент № {incident.pk}",
        body=incident.text[:500],
        incident=incident,
        exclude=actor,
    )
    return incident


def _holds_role_here(user: User, incident: Incident) -> bool:
    from roles.selectors import actor_capabilities

    return bool(actor_capabilities(user=user, municipality=incident.municipality).roles)


@transaction.atomic
def incident_take(*, incident: Incident, actor: User, expected_version: int | None) -> Incident:
    """Take into work: assigned / reopened / postponed → in progress; the taker is responsible."""
    incident = lock_incident(incident, expected_version=expected_version)
    require_capability(actor=actor, incident=incident, capability=C.INCIDENT_TAKE)
    _require_status(
        incident, (Status.ASSIGNED, Status.REOPENED, Status.POSTPONED), _("взять в работу")
    )
    incident.responsible = actor
    # A postponed incident keeps its promised date's term: nothing to recompute.
    return _transition(incident, Status.IN_PROGRESS, actor=actor, fields=["responsible"])


@transaction.atomic
def incident_reject(
    *,
    incident: Incident,
    actor: User,
    expected_version: int | None,
    reason: str,
    note: str = "",
) -> Incident:
    """Not an incident (spam, insults, no substance…): closed with a reason from the fixed list."""
    if reason not in RejectReason.values:
        raise InvalidInput(_("Выберите причину из списка."), field="reason")
    incident = lock_incident(incident, expected_version=expected_version)
    require_capability(actor=actor, incident=incident, capability=C.INCIDENT_REJECT)
    _require_status(incident, OPEN_STATUSES, _("отклонить"))
    incident.reject_reason = reason
    incident.closed_at = timezone.now()
    return _transition(
        incident,
        Status.REJECTED,
        actor=actor,
        fields=["reject_reason", "closed_at"],
        note=note or str(RejectReason(reason).label),
        data={"reason": reason},
    )


@transaction.atomic
def incident_forward(
    *,
    incident: Incident,
    actor: User,
    expected_version: int | None,
    target: str,
    note: str = "",
) -> Incident:
    """A regional incident to the ЦУР / Coordination Center, or outside municipal competence.

    59-ФЗ ст. 8 ч. 3: an appeal outside competence is forwarded within 7 days of registration;
    the timeline records whether that term was kept.
    """
    if target not in ForwardTarget.values:
        raise InvalidInput(_("Выберите, куда перенаправить."), field="target")
    incident = lock_incident(incident, expected_version=expected_version)
    require_capability(actor=actor, incident=incident, capability=C.INCIDENT_FORWARD)
    _require_status(incident, OPEN_STATUSES, _("перенаправить"))
    now = timezone.now()
    incident.forward_target = target
    incident.closed_at = now
    fields = ["forward_target", "closed_at"]
    if target in (ForwardTarget.CUR, ForwardTarget.COORDINATION_CENTER):
        incident.scope = "regional"
        fields.append("scope")
    late = (
        incident.kind == Kind.APPEAL
        and incident.stage_due_at is not None
        and now >= incident.stage_due_at
    )
    return _transition(
        incident,
        Status.FORWARDED,
        actor=actor,
        fields=fields,
        note=note,
        data={"target": target, "forwarding_term_missed": late},
    )


@transaction.atomic
def incident_postpone(
    *,
    incident: Incident,
    actor: User,
    expected_version: int | None,
    until: date,
    interim_answer: str,
) -> Incident:
    """An interim answer now, the resolution on a promised date; judged against that date."""
    if not interim_answer.strip():
        raise InvalidInput(_("Нужен промежуточный ответ заявителю."), field="interim_answer")
    incident = lock_incident(incident, expected_version=expected_version)
    require_capability(actor=actor, incident=incident, capability=C.INCIDENT_POSTPONE)
    _require_status(
        incident,
        (Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED),
        _("отложить"),
    )
    today = incident.municipality.local_time().date()
    if until <= today:
        raise InvalidInput(_("Дата решения должна быть позже сегодняшней."), field="until")
    now = timezone.now()
    Answer.objects.create(
        municipality_id=incident.municipality_id,
        incident=incident,
        is_interim=True,
        state=Answer.State.PUBLISHED,
        text=interim_answer,
        author=actor,
        published_at=now,
        published_by=actor,
    )
    old_due = incident.due_at
    incident.postponed_until = until
    # The promised date is met until 24:00 local of that day (ГК РФ ст. 194, as in deadlines.py).
    incident.due_at = _end_of_day(until, incident)
    incident.warn_at = incident.due_at - timedelta(days=1)
    if incident.first_answer_at is None:
        incident.first_answer_at = now
    _transition(
        incident,
        Status.POSTPONED,
        actor=actor,
        fields=[
            "postponed_until",
            "due_at",
            "warn_at",
            "first_answer_at",
        ],
        note=interim_answer[:500],
        data={"until": until.isoformat()},
    )
    record_event(
        incident,
        IncidentEvent.Kind.DEADLINE,
        actor=actor,
        note="Срок перенесён на обещанную дату",
        data={"from": old_due.isoformat() if old_due else None, "to": incident.due_at.isoformat()},
    )
    return incident


def _end_of_day(day: date, incident: Incident) -> datetime:
    return deadlines.due_at(
        start=datetime.combine(
            day - timedelta(days=1), datetime.min.time(), incident.municipality.tz
        ),
        rule=deadlines.DeadlineRule(1, deadlines.Unit.CALENDAR_DAYS),
        tz=incident.municipality.tz,
    )


@transaction.atomic
def incident_extend_deadline(
    *,
    incident: Incident,
    actor: User,
    expected_version: int | None,
    days: int,
    reason: str,
) -> Incident:
    """59-ФЗ ст. 12 ч. 2: one extension of up to 30 days, with a reason, by the head."""
    if not reason.strip():
        raise InvalidInput(_("Укажите причину продления."), field="reason")
    if not 1 <= days <= deadlines.MAX_EXTENSION_DAYS:
        raise InvalidInput(
            _("Продлить можно на 1–%(MAX_EXTENSION_DAYS)s дней.")
            % {"MAX_EXTENSION_DAYS": deadlines.MAX_EXTENSION_DAYS},
            field="days",
        )
    incident = lock_incident(incident, expected_version=expected_version)
    require_capability(actor=actor, incident=incident, capability=C.INCIDENT_EXTEND_DEADLINE)
    if incident.kind != Kind.APPEAL:
        raise TransitionNotAllowed(_("Продлить срок можно только обращению по 59-ФЗ."))
    _require_status(incident, OPEN_STATUSES, _("продлить срок"))
    if incident.extension_count >= 1:
        raise TransitionNotAllowed(
            _("Срок по обращению уже продлевался: 59-ФЗ допускает одно продление.")
        )
    if incident.due_at is None:
        raise TransitionNotAllowed(_("У обращения нет срока, продлевать нечего."))
    old_due = incident.due_at
    try:
        incident.due_at = deadlines.extend(due=old_due, days=days, tz=incident.municipality.tz)
    except ValueError:
        # deadlines.extend counts whole days from a day-term's end; an hour-based term has none.
        raise TransitionNotAllowed(
            _("Срок этого обращения считается в часах; продление по 59-ФЗ считается в днях.")
        ) from None
    incident.extension_count += 1
    incident.warn_at = incident.due_at - (
        incident.sla_policy.warn_before if incident.sla_policy else timedelta(days=1)
    )
    bump(incident, ["due_at", "extension_count", "warn_at"])
    record_event(
        incident,
        IncidentEvent.Kind.DEADLINE,
        actor=actor,
        note=reason,
        data={"from": old_due.isoformat(), "to": incident.due_at.isoformat(), "days": days},
    )
    return incident


@transaction.atomic
def incident_merge(
    *, incident: Incident, into: Incident, actor: User, expected_version: int | None
) -> Incident:
    """A duplicate joins its parent: counted as a repeat, answered by the parent's one answer."""
    require_same_municipality(incident, into)
    if incident.pk == into.pk:
        raise InvalidInput(_("Нельзя объединить инцидент с самим собой."), field="into")
    incident = lock_incident(incident, expected_version=expected_version)
    into = Incident.objects.select_for_update().get(pk=into.pk)
    require_capability(actor=actor, incident=incident, capability=C.INCIDENT_MERGE)
    _require_status(incident, OPEN_STATUSES, _("объединить"))
    if into.status == Status.MERGED:
        raise InvalidInput(
            _("Этот инцидент сам объединён с другим; выберите основной."), field="into"
        )
    if into.status in (Status.REJECTED, Status.FORWARDED):
        # Its citizen would never get an answer from this МЦУ: handle the duplicate on its own.
        raise InvalidInput(
            _("Основной инцидент отклонён или перенаправлен; объединять с ним нельзя."),
            field="into",
        )
    incident.merged_into = into
    incident.is_repeat = True
    incident.repeat_of = into.repeat_of or into
    _transition(
        incident,
        Status.MERGED,
        actor=actor,
        fields=["merged_into", "is_repeat", "repeat_of"],
        kind=IncidentEvent.Kind.MERGE,
        note=f"Объединено с инцидентом № {into.pk}",
        data={"into": into.pk},
    )
    record_event(
        into,
        IncidentEvent.Kind.MERGE,
        actor=actor,
        note=f"Присоединён дубликат № {incident.pk}",
        data={"duplicate": incident.pk},
    )
    if into.answered_at is not None:
        # The parent is already answered: its one answer answers the duplicate now.
        incident.answered_at = incident.first_answer_at = timezone.now()
        incident.answered_late = bool(incident.due_at and incident.answered_at >= incident.due_at)
        bump(incident, ["answered_at", "first_answer_at", "answered_late"])
        record_event(
            incident,
            IncidentEvent.Kind.NOTE,
            actor=actor,
            note=f"Отвечено ответом на инцидент № {into.pk}",
        )
    # Duplicates hang on a parent one level deep: answer_publish answers the parent's direct
    # duplicates, so this incident's own duplicates move to the new parent with it — otherwise
    # their citizens would never get the one answer.
    for child in Incident.objects.select_for_update().filter(merged_into_id=incident.pk):
        child.merged_into = into
        child.repeat_of = incident.repeat_of
        bump(child, ["merged_into", "repeat_of"])
        record_event(
            child,
            IncidentEvent.Kind.MERGE,
            actor=actor,
            note=f"Объединено с инцидентом № {into.pk}",
            data={"into": into.pk, "via": incident.pk},
        )
    return incident


@transaction.atomic
def incident_reopen(
    *,
    incident: Incident,
    actor: User | None,
    expected_version: int | None,
    reason: str,
) -> Incident:
    """The citizen is not satisfied (or the answer did not solve it): a new round, a repeat."""
    if not reason.strip():
        raise InvalidInput(_("Укажите причину возобновления."), field="reason")
    incident = lock_incident(incident, expected_version=expected_version)
    require_capability(actor=actor, incident=incident, capability=C.INCIDENT_REOPEN)
    _require_status(incident, (Status.ANSWERED, Status.CLOSED), _("возобновить"))
    incident.is_repeat = True
    incident.closed_at = None
    incident.answered_at = None
    incident.answered_late = None
    now = timezone.now()
    fields = [
        "is_repeat",
        "closed_at",
        "answered_at",
        "answered_late",
        *_restart_clock(incident, start=now),
    ]
    if incident.channel in SOCIAL_CHANNELS:
        # Регламент §2.5: the new round's agreed answer is due to the ИМ operator within 3 hours
        # of now, not of the first hand-over (which would mark every reopened round late).
        incident.stage_due_at = policies.stage_terms(
            incident, stage=SlaPolicy.Stage.AGREED_TO_OPERATOR, start=now
        ).due_at
        fields.append("stage_due_at")
    _transition(incident, Status.REOPENED, actor=actor, fields=fields, note=reason)
    notify(
        municipality=incident.municipality,
        users=[incident.responsible]
        if incident.responsible
        else role_holders(
            municipality=incident.municipality,
            roles=[Role.SECTOR_OWNER],
            sector_id=incident.sector_id,
        ),
        kind="incident_reopened",
        title=f"Инцидент № {incident.pk} возобновлён",
        body=reason,
        incident=incident,
        exclude=actor,
    )
    return incident


@transaction.atomic
def incident_close(
    *, incident: Incident, actor: User | None, expected_version: int | None
) -> Incident:
    incident = lock_incident(incident, expected_version=expected_version)
    require_capability(actor=actor, incident=incident, capability=C.INCIDENT_TRIAGE)
    _require_status(incident, (Status.ANSWERED,), _("закрыть"))
    incident.closed_at = timezone.now()
    return _transition(incident, Status.CLOSED, actor=actor, fields=["closed_at"])


@transaction.atomic
def incident_link_repeat(
    *, incident: Incident, original: Incident | None, actor: User, expected_version: int | None
) -> Incident:
    """Staff link a repeat by hand, or unlink one (``original=None``) the rule linked wrongly."""
    require_same_municipality(incident, original)
    if original is not None and original.pk == incident.pk:
        raise InvalidInput(_("Инцидент не может быть повтором самого себя."), field="original")
    incident = lock_incident(incident, expected_version=expected_version)
    require_capability(actor=actor, incident=incident, capability=C.INCIDENT_TRIAGE)
    previous = incident.repeat_of_id
    incident.repeat_of = original
    incident.is_repeat = original is not None
    bump(incident, ["repeat_of", "is_repeat"])
    record_event(
        incident,
        IncidentEvent.Kind.REPEAT_LINK,
        actor=actor,
        note=(f"Отмечен повтором № {original.pk}" if original else "Связь с повтором снята"),
        data={"repeat_of": original.pk if original else None, "previous": previous},
    )
    return incident


@transaction.atomic
def incident_rate(
    *, incident: Incident, rating: int, actor: User | None, expected_version: int | None = None
) -> Incident:
    """The citizen's rating of the answer (from the channel, or entered by staff).

    A rating of 2 or less means the problem is not solved: the incident reopens and counts as a
    repeat (issue: «rating ≤ 2 reopens and counts as repeat»).
    """
    if not 1 <= rating <= 5:
        raise InvalidInput(_("Оценка — от 1 до 5."), field="rating")
    incident = lock_incident(incident, expected_version=expected_version)
    require_capability(actor=actor, incident=incident, capability=C.INCIDENT_TRIAGE)
    _require_status(incident, (Status.ANSWERED, Status.CLOSED), _("оценить ответ"))
    incident.satisfaction = rating
    bump(incident, ["satisfaction"])
    record_event(incident, IncidentEvent.Kind.SATISFACTION, actor=actor, data={"rating": rating})
    if rating <= 2:
        return incident_reopen(
            incident=incident,
            actor=None,
            expected_version=incident.version,
            reason=f"Заявитель не удовлетворён ответом (оценка {rating})",
        )
    return incident
