"""The answer flow (Регламент Октябрьского района §2.4–2.5).

The sector owner drafts and submits; the sector curator approves or returns; for social networks
(ИМ, госпаблики) the МЦУ head approves too, and the channel's operator publishes; a ПОС answer is
published by the owner (or the ПОС operator). Every edit of the text is a new version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from incidents.exceptions import InvalidInput, TransitionNotAllowed
from incidents.models import Answer, AnswerVersion, Approval, Incident, IncidentEvent, Status
from incidents.services.common import bump, lock_incident, notify, record_event, require_capability
from incidents.services.intake import OPERATOR_ROLE, SOCIAL_CHANNELS
from incidents.services.lifecycle import _require_status, _transition
from roles.models import Role, User
from roles.permissions import Capability
from roles.selectors import actor_capabilities, role_holders

C = Capability
MAX_ANSWER_LENGTH = 20_000


def current_answer(incident: Incident) -> Answer | None:
    """The final (non-interim) answer being worked on or published, if any."""
    return (
        Answer.objects.filter(incident=incident, is_interim=False)
        .order_by("-created_at", "-pk")
        .first()
    )


def _latest_version(answer: Answer) -> AnswerVersion:
    return AnswerVersion.objects.filter(answer=answer).order_by("-number").first()  # type: ignore[return-value]  # an answer always has its first version


@transaction.atomic
def answer_save_draft(
    *, incident: Incident, actor: User, text: str, expected_version: int | None
) -> Answer:
    text = text.replace("\x00", "").strip()
    if not text:
        raise InvalidInput(_("Текст ответа пуст."), field="text")
    if len(text) > MAX_ANSWER_LENGTH:
        raise InvalidInput(
            _("Ответ длиннее %(MAX_ANSWER_LENGTH)s символов.")
            % {"MAX_ANSWER_LENGTH": MAX_ANSWER_LENGTH},
            field="text",
        )
    incident = lock_incident(incident, expected_version=expected_version)
    require_capability(actor=actor, incident=incident, capability=C.ANSWER_DRAFT)
    _require_status(
        incident, (Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED), _("готовить ответ")
    )
    answer = current_answer(incident)
    if answer is None or answer.state not in (Answer.State.DRAFT, Answer.State.RETURNED):
        answer = Answer.objects.create(
            municipality_id=incident.municipality_id, incident=incident, text=text, author=actor
        )
        number = 1
    else:
        if answer.text == text:
            return answer  # saving the same text twice is not a new version
        answer.text = text
        answer.state = Answer.State.DRAFT
        answer.save(update_fields=["text", "state", "updated_at"])
        number = _latest_version(answer).number + 1
    AnswerVersion.objects.create(
        municipality_id=incident.municipality_id,
        answer=answer,
        number=number,
        text=text,
        author=actor,
    )
    if incident.status in (Status.ASSIGNED, Status.REOPENED):
        if incident.responsible_id is None:
            incident.responsible = actor
        _transition(incident, Status.IN_PROGRESS, actor=actor, fields=["responsible"])
    else:
        bump(incident, [])
    record_event(
        incident,
        IncidentEvent.Kind.ANSWER_VERSION,
        actor=actor,
        note=f"Версия ответа {number}",
        data={"answer": answer.pk, "version": number},
    )
    return answer


@transaction.atomic
def answer_submit(*, incident: Incident, actor: User, expected_version: int | None) -> Answer:
    incident = lock_incident(incident, expected_version=expected_version)
    require_capability(actor=actor, incident=incident, capability=C.ANSWER_SUBMIT)
    _require_status(incident, (Status.IN_PROGRESS,), _("отправить ответ на согласование"))
    answer = current_answer(incident)
    if answer is None or answer.state not in (Answer.State.DRAFT, Answer.State.RETURNED):
        raise TransitionNotAllowed(_("Сначала подготовьте текст ответа."))
    answer.state = Answer.State.ON_APPROVAL
    answer.sector_approved_at = None
    answer.head_approved_at = None
    answer.save(update_fields=["state", "sector_approved_at", "head_approved_at", "updated_at"])
    _transition(incident, Status.ON_APPROVAL, actor=actor, fields=[])
    curators = role_holders(
        municipality=incident.municipality,
        roles=[Role.SECTOR_CURATOR],
        sector_id=incident.sector_id,
    ) or role_holders(municipality=incident.municipality, roles=[Role.HEAD])
    notify(
        municipality=incident.municipality,
        users=curators,
        kind="answer_on_approval",
        title=f"Ответ по инциденту № {incident.pk} ждёт согласования",
        body=answer.text[:500],
        incident=incident,
        exclude=actor,
    )
    return answer


def _pending_stage(incident: Incident, answer: Answer) -> str:
    if answer.sector_approved_at is None:
        return Approval.Stage.SECTOR
    if incident.channel in SOCIAL_CHANNELS and answer.head_approved_at is None:
        return Approval.Stage.HEAD
    raise TransitionNotAllowed(_("Ответ уже согласован."))


_STAGE_CAPABILITY: dict[str, Capability] = {
    Approval.Stage.SECTOR: C.ANSWER_APPROVE_SECTOR,
    Approval.Stage.HEAD: C.ANSWER_APPROVE_HEAD,
}


def pending_approval_stage(incident: Incident) -> str | None:
    """Which approval the answer waits for now (for «Мои задачи» and the card), if any."""
    if incident.status != Status.ON_APPROVAL:
        return None
    answer = current_answer(incident)
    if answer is None or answer.state != Answer.State.ON_APPROVAL:
        return None
    try:
        return _pending_stage(incident, answer)
    except TransitionNotAllowed:
        return None


@transaction.atomic
def answer_approve(
    *, incident: Incident, actor: User, expected_version: int | None, comment: str = ""
) -> Answer:
    incident = lock_incident(incident, expected_version=expected_version)
    _require_status(incident, (Status.ON_APPROVAL,), _("согласовать ответ"))
    answer = current_answer(incident)
    if answer is None or answer.state != Answer.State.ON_APPROVAL:
        raise TransitionNotAllowed(_("Нет ответа, ожидающего согласования."))
    stage = _pending_stage(incident, answer)
    require_capability(actor=actor, incident=incident, capability=_STAGE_CAPABILITY[stage])
    now = timezone.now()
    Approval.objects.create(
        municipality_id=incident.municipality_id,
        answer=answer,
        version=_latest_version(answer),
        stage=stage,
        decision=Approval.Decision.APPROVED,
        actor=actor,
        comment=comment,
    )
    data: dict[str, object] = {"stage": stage, "answer": answer.pk}
    if stage == Approval.Stage.SECTOR:
        answer.sector_approved_at = now
        if incident.stage_due_at is not None and incident.channel in SOCIAL_CHANNELS:
            # Регламент §2.5: the agreed answer must reach the ИМ curator within 3 hours.
            data["agreed_stage_on_time"] = now < incident.stage_due_at
    else:
        answer.head_approved_at = now
    fully_approved = stage == Approval.Stage.HEAD or incident.channel not in SOCIAL_CHANNELS
    if fully_approved:
        answer.state = Answer.State.APPROVED
    answer.save(update_fields=["sector_approved_at", "head_approved_at", "state", "updated_at"])
    if fully_approved:
        _transition(
            incident,
            Status.APPROVED,
            actor=actor,
            fields=[],
            kind=IncidentEvent.Kind.APPROVAL,
            note=comment,
            data=data,
        )
        publishers = role_holders(
            municipality=incident.municipality,
            roles=[OPERATOR_ROLE.get(incident.channel, Role.HEAD)],
            channel=incident.channel,
        )
        if incident.channel not in SOCIAL_CHANNELS:
            publishers += role_holders(
                municipality=incident.municipality,
                roles=[Role.SECTOR_OWNER],
                sector_id=incident.sector_id,
            )
        notify(
            municipality=incident.municipality,
            users=publishers,
            kind="answer_approved",
            title=f"Ответ по инциденту № {incident.pk} согласован — можно публиковать",
            body=answer.text[:500],
            incident=incident,
            exclude=actor,
        )
    else:
        bump(incident, [])
        record_event(incident, IncidentEvent.Kind.APPROVAL, actor=actor, note=comment, data=data)
        notify(
            municipality=incident.municipality,
            users=role_holders(municipality=incident.municipality, roles=[Role.HEAD]),
            kind="answer_head_approval",
            title=f"Ответ в соцсети по инциденту № {incident.pk} ждёт утверждения руководителем",
            body=answer.text[:500],
            incident=incident,
            exclude=actor,
        )
    return answer


@transaction.atomic
def answer_return(
    *, incident: Incident, actor: User, expected_version: int | None, reason: str
) -> Answer:
    if not reason.strip():
        raise InvalidInput(_("Укажите, что доработать."), field="reason")
    incident = lock_incident(incident, expected_version=expected_version)
    _require_status(incident, (Status.ON_APPROVAL,), _("вернуть ответ на доработку"))
    answer = current_answer(incident)
    if answer is None or answer.state != Answer.State.ON_APPROVAL:
        raise TransitionNotAllowed(_("Нет ответа, ожидающего согласования."))
    stage = _pending_stage(incident, answer)
    require_capability(actor=actor, incident=incident, capability=_STAGE_CAPABILITY[stage])
    Approval.objects.create(
        municipality_id=incident.municipality_id,
        answer=answer,
        version=_latest_version(answer),
        stage=stage,
        decision=Approval.Decision.RETURNED,
        actor=actor,
        comment=reason,
    )
    answer.state = Answer.State.RETURNED
    answer.save(update_fields=["state", "updated_at"])
    _transition(
        incident,
        Status.IN_PROGRESS,
        actor=actor,
        fields=[],
        kind=IncidentEvent.Kind.APPROVAL,
        note=reason,
        data={"stage": stage, "decision": "returned", "answer": answer.pk},
    )
    notify(
        municipality=incident.municipality,
        users=[u for u in (answer.author, incident.responsible) if u is not None],
        kind="answer_returned",
        title=f"Ответ по инциденту № {incident.pk} возвращён на доработку",
        body=reason,
        incident=incident,
        exclude=actor,
    )
    return answer


@transaction.atomic
def answer_publish(*, incident: Incident, actor: User, expected_version: int | None) -> Answer:
    """Publish the approved answer: the clock stops; merged duplicates are answered with it."""
    incident = lock_incident(incident, expected_version=expected_version)
    require_capability(actor=actor, incident=incident, capability=C.ANSWER_PUBLISH)
    _require_status(incident, (Status.APPROVED,), _("опубликовать ответ"))
    answer = current_answer(incident)
    if answer is None or answer.state != Answer.State.APPROVED:
        raise TransitionNotAllowed(_("Опубликовать можно только согласованный ответ."))
    now = timezone.now()
    answer.state = Answer.State.PUBLISHED
    answer.published_at = now
    answer.published_by = actor
    answer.save(update_fields=["state", "published_at", "published_by", "updated_at"])
    targets = [incident, *Incident.objects.select_for_update().filter(merged_into=incident)]
    for target in targets:
        _mark_answered(target, actor=actor, at=now, answer=answer)
    for hook in _published_hooks():
        # In this transaction: the channels app writes its outbox row here, so an answer is
        # never published without being queued for delivery, nor queued without being published.
        hook(answer=answer, incidents=targets)
    return answer


def _published_hooks() -> list[Callable[..., None]]:
    """``settings.MCU_ANSWER_PUBLISHED_HOOKS``: apps built on incidents (the channels' outbox)
    join the publishing transaction without incidents importing them."""
    return [import_string(path) for path in getattr(settings, "MCU_ANSWER_PUBLISHED_HOOKS", ())]


def _mark_answered(incident: Incident, *, actor: User, at: datetime, answer: Answer) -> None:
    incident.answered_at = at
    if incident.first_answer_at is None:
        incident.first_answer_at = at
    incident.answered_late = bool(incident.due_at is not None and at >= incident.due_at)
    fields = ["answered_at", "first_answer_at", "answered_late"]
    if incident.status == Status.MERGED:
        # A duplicate stays merged but carries the answer time, so its on-time share is right.
        bump(incident, fields)
        record_event(
            incident,
            IncidentEvent.Kind.NOTE,
            actor=actor,
            note=f"Отвечено ответом на инцидент № {answer.incident_id}",
        )
        return
    _transition(
        incident,
        Status.ANSWERED,
        actor=actor,
        fields=fields,
        data={"answer": answer.pk, "on_time": not incident.answered_late},
    )


def actor_can_publish(incident: Incident, actor: User) -> bool:
    caps = actor_capabilities(user=actor, municipality=incident.municipality)
    return caps.can_on(C.ANSWER_PUBLISH, sector_id=incident.sector_id, channel=incident.channel)
