"""The incident card's actions: who may see each one now, its form, and the service it calls.

The card shows exactly the actions this user may take now: the capability (qualified by the
incident's sector block and channel, as the services check it) and the incident's status. The
services check both again under the row lock — this table only decides what to offer, so a
stale page can still post an action and get a clear conflict instead of a change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.utils.translation import gettext_lazy as _

from incidents.exceptions import InvalidInput
from incidents.models import OPEN_STATUSES, Answer, Approval, Incident, Kind, Status
from incidents.services import answers, lifecycle
from incidents.web import forms as f
from roles.models import User
from roles.permissions import ActorCapabilities, Capability

C = Capability


@dataclass(frozen=True)
class CardState:
    """What the offer depends on besides the status: read once per card."""

    answer: Answer | None
    approval_stage: str | None  # which approval the answer waits for, if any


@dataclass(frozen=True)
class Action:
    key: str
    label: Any  # lazy translation
    form: type[f.VersionedForm]
    capability: Capability
    statuses: tuple[str, ...]
    perform: Callable[[Incident, User, dict[str, Any], int], object]
    done: Any  # the success message
    danger: bool = False
    # Extra condition on the incident and card state (e.g. a draft exists to submit).
    when: Callable[[Incident, CardState], bool] = lambda incident, state: True

    def offered(self, incident: Incident, actor: ActorCapabilities, state: CardState) -> bool:
        return (
            self.permitted(incident, actor, state)
            and incident.status in self.statuses
            and self.when(incident, state)
        )

    def permitted(self, incident: Incident, actor: ActorCapabilities, state: CardState) -> bool:
        capability = self.capability
        if capability is C.ANSWER_APPROVE_SECTOR and state.approval_stage == Approval.Stage.HEAD:
            capability = C.ANSWER_APPROVE_HEAD  # approve/return act at the stage pending now
        return actor.can_on(capability, sector_id=incident.sector_id, channel=incident.channel)


def _incident_by_number(incident: Incident, number: int | None, field: str) -> Incident | None:
    if number is None:
        return None
    other = Incident.objects.filter(municipality_id=incident.municipality_id, pk=number).first()
    if other is None:
        raise InvalidInput(str(_("Инцидента с таким номером нет.")), field=field)
    return other


def _assign(incident: Incident, actor: User, data: dict[str, Any], version: int) -> object:
    topic_field = f.TopicField()
    return lifecycle.incident_assign(
        incident=incident,
        actor=actor,
        expected_version=version,
        sector=data["sector"],
        org_unit=data["org_unit"],
        responsible=data["responsible"],
        topic=topic_field.to_topic(data["topic"]),
        note=data["note"],
    )


def _merge(incident: Incident, actor: User, data: dict[str, Any], version: int) -> object:
    into = _incident_by_number(incident, data["into"], "into")
    assert into is not None  # the field is required
    return lifecycle.incident_merge(
        incident=incident, into=into, actor=actor, expected_version=version
    )


def _link_repeat(incident: Incident, actor: User, data: dict[str, Any], version: int) -> object:
    return lifecycle.incident_link_repeat(
        incident=incident,
        original=_incident_by_number(incident, data["original"], "original"),
        actor=actor,
        expected_version=version,
    )


def _has_draft(incident: Incident, state: CardState) -> bool:
    return state.answer is not None and state.answer.state in (
        Answer.State.DRAFT,
        Answer.State.RETURNED,
    )


DRAFTABLE = (Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED)
ANSWERED = (Status.ANSWERED, Status.CLOSED)

ACTIONS: dict[str, Action] = {
    a.key: a
    for a in [
        Action(
            "assign",
            _("Назначить"),
            f.AssignForm,
            C.INCIDENT_TRIAGE,
            lifecycle.TRIAGE_FROM,
            _assign,
            _("Ответственный назначен."),
        ),
        Action(
            "take",
            _("Взять в работу"),
            f.EmptyForm,
            C.INCIDENT_TAKE,
            (Status.ASSIGNED, Status.REOPENED, Status.POSTPONED),
            lambda i, u, d, v: lifecycle.incident_take(incident=i, actor=u, expected_version=v),
            _("Инцидент взят в работу."),
        ),
        Action(
            "draft",
            _("Сохранить ответ"),
            f.DraftForm,
            C.ANSWER_DRAFT,
            DRAFTABLE,
            lambda i, u, d, v: answers.answer_save_draft(
                incident=i, actor=u, text=d["text"], expected_version=v
            ),
            _("Черновик ответа сохранён."),
        ),
        Action(
            "submit",
            _("Отправить на согласование"),
            f.EmptyForm,
            C.ANSWER_SUBMIT,
            (Status.IN_PROGRESS,),
            lambda i, u, d, v: answers.answer_submit(incident=i, actor=u, expected_version=v),
            _("Ответ отправлен на согласование."),
            when=_has_draft,
        ),
        Action(
            "approve",
            _("Согласовать"),
            f.CommentForm,
            C.ANSWER_APPROVE_SECTOR,
            (Status.ON_APPROVAL,),
            lambda i, u, d, v: answers.answer_approve(
                incident=i, actor=u, expected_version=v, comment=d["comment"]
            ),
            _("Ответ согласован."),
            when=lambda i, s: s.approval_stage is not None,
        ),
        Action(
            "return",
            _("Вернуть на доработку"),
            f.ReasonForm,
            C.ANSWER_APPROVE_SECTOR,
            (Status.ON_APPROVAL,),
            lambda i, u, d, v: answers.answer_return(
                incident=i, actor=u, expected_version=v, reason=d["reason"]
            ),
            _("Ответ возвращён на доработку."),
            danger=True,
            when=lambda i, s: s.approval_stage is not None,
        ),
        Action(
            "publish",
            _("Опубликовать ответ"),
            f.EmptyForm,
            C.ANSWER_PUBLISH,
            (Status.APPROVED,),
            lambda i, u, d, v: answers.answer_publish(incident=i, actor=u, expected_version=v),
            _("Ответ опубликован."),
        ),
        Action(
            "postpone",
            _("Отложить с промежуточным ответом"),
            f.PostponeForm,
            C.INCIDENT_POSTPONE,
            DRAFTABLE,
            lambda i, u, d, v: lifecycle.incident_postpone(
                incident=i,
                actor=u,
                expected_version=v,
                until=d["until"],
                interim_answer=d["interim_answer"],
            ),
            _("Решение отложено, промежуточный ответ дан."),
        ),
        Action(
            "extend",
            _("Продлить срок (59-ФЗ)"),
            f.ExtendForm,
            C.INCIDENT_EXTEND_DEADLINE,
            OPEN_STATUSES,
            lambda i, u, d, v: lifecycle.incident_extend_deadline(
                incident=i, actor=u, expected_version=v, days=d["days"], reason=d["reason"]
            ),
            _("Срок продлён."),
            when=lambda i, s: i.kind == Kind.APPEAL and i.extension_count == 0,
        ),
        Action(
            "forward",
            _("Перенаправить"),
            f.ForwardForm,
            C.INCIDENT_FORWARD,
            OPEN_STATUSES,
            lambda i, u, d, v: lifecycle.incident_forward(
                incident=i, actor=u, expected_version=v, target=d["target"], note=d["note"]
            ),
            _("Инцидент перенаправлен."),
        ),
        Action(
            "merge",
            _("Объединить с дубликатом"),
            f.MergeForm,
            C.INCIDENT_MERGE,
            OPEN_STATUSES,
            _merge,
            _("Инцидент объединён."),
        ),
        Action(
            "link_repeat",
            _("Отметить повтор"),
            f.LinkRepeatForm,
            C.INCIDENT_TRIAGE,
            (*OPEN_STATUSES, *ANSWERED),
            _link_repeat,
            _("Связь с повтором обновлена."),
        ),
        Action(
            "reject",
            _("Не является инцидентом"),
            f.RejectForm,
            C.INCIDENT_REJECT,
            OPEN_STATUSES,
            lambda i, u, d, v: lifecycle.incident_reject(
                incident=i, actor=u, expected_version=v, reason=d["reason"], note=d["note"]
            ),
            _("Инцидент отклонён."),
            danger=True,
        ),
        Action(
            "rate",
            _("Записать оценку заявителя"),
            f.RateForm,
            C.INCIDENT_TRIAGE,
            ANSWERED,
            lambda i, u, d, v: lifecycle.incident_rate(
                incident=i, actor=u, expected_version=v, rating=d["rating"]
            ),
            _("Оценка записана."),
        ),
        Action(
            "close",
            _("Закрыть"),
            f.EmptyForm,
            C.INCIDENT_TRIAGE,
            (Status.ANSWERED,),
            lambda i, u, d, v: lifecycle.incident_close(incident=i, actor=u, expected_version=v),
            _("Инцидент закрыт."),
        ),
        Action(
            "reopen",
            _("Возобновить"),
            f.ReasonForm,
            C.INCIDENT_REOPEN,
            ANSWERED,
            lambda i, u, d, v: lifecycle.incident_reopen(
                incident=i, actor=u, expected_version=v, reason=d["reason"]
            ),
            _("Инцидент возобновлён."),
            danger=True,
        ),
    ]
}


def action_or_404(key: str) -> Action:
    try:
        return ACTIONS[key]
    except KeyError:
        raise Http404("action") from None
