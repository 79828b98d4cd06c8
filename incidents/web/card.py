"""The incident card: the message as received, its terms, its timeline, and the actions this
user may take now (issue 5 item 4)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents.exceptions import (
    ActorLacksCapability,
    IncidentError,
    InvalidInput,
    StaleVersion,
    TransitionNotAllowed,
)
from incidents.models import OPEN_STATUSES, Incident
from incidents.selectors import incident_card, incident_citizen_for_actor, incident_get_for_actor
from incidents.services.answers import current_answer, pending_approval_stage
from incidents.web.actions import ACTIONS, Action, CardState, action_or_404
from incidents.web.forms import VersionedForm
from roles.access import capability_required, request_actor, signed_in_user
from roles.permissions import Capability

C = Capability


def _incident(request: HttpRequest, pk: int) -> Incident:
    return incident_get_for_actor(
        municipality=request.municipality,  # type: ignore[attr-defined]
        incident_id=pk,
        capabilities=request_actor(request),
    )


def _state(incident: Incident) -> CardState:
    return CardState(
        answer=current_answer(incident), approval_stage=pending_approval_stage(incident)
    )


def _render_card(
    request: HttpRequest,
    incident: Incident,
    *,
    bound: tuple[Action, VersionedForm] | None = None,
    citizen: Any = None,
    status: int = 200,
) -> HttpResponse:
    actor = request_actor(request)
    state = _state(incident)
    municipality = request.municipality  # type: ignore[attr-defined]
    offered = [a for a in ACTIONS.values() if a.offered(incident, actor, state)]
    forms: list[tuple[Action, VersionedForm]] = []
    for action in offered:
        if bound is not None and bound[0].key == action.key:
            forms.append(bound)
            continue
        initial: dict[str, Any] = {}
        if (
            action.key == "draft"
            and state.answer is not None
            and state.answer.state
            in (
                "draft",
                "returned",
            )
        ):
            initial["text"] = state.answer.text
        forms.append(
            (
                action,
                action.form(
                    municipality=municipality,
                    incident=incident,
                    initial=initial,
                    auto_id=_auto_id(action),
                ),
            )
        )
    now = timezone.now()
    is_open = incident.status in OPEN_STATUSES
    context = {
        "incident": incident,
        "card": incident_card(incident=incident),
        "state": state,
        "action_forms": forms,
        "open_action": bound[0].key if bound else None,
        "citizen": citizen,
        "may_see_citizen": actor.can_on(
            C.INCIDENT_VIEW_PERSONAL_DATA, sector_id=incident.sector_id, channel=incident.channel
        ),
        "is_open": is_open,
        "overdue": bool(is_open and incident.due_at and incident.due_at <= now),
        "seconds_left": int((incident.due_at - now).total_seconds())
        if is_open and incident.due_at
        else None,
    }
    return render(request, "incidents/card.html", context, status=status)


@capability_required(C.INCIDENT_VIEW)
def incident_detail(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    return _render_card(request, _incident(request, pk))


@require_POST
@capability_required(C.INCIDENT_VIEW)
def incident_citizen(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    """Reveal the citizen's personal data: on a click, so that the audit records real views."""
    incident = _incident(request, pk)
    citizen = incident_citizen_for_actor(
        incident=incident, actor=signed_in_user(request), capabilities=request_actor(request)
    )
    if citizen is None:
        raise PermissionDenied(C.INCIDENT_VIEW_PERSONAL_DATA.value)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "incidents/card/citizen.html", {"citizen": citizen})
    return _render_card(request, incident, citizen=citizen)


@require_POST
@capability_required(C.INCIDENT_VIEW)
def incident_act(
    request: HttpRequest, municipality_slug: str, pk: int, action: str
) -> HttpResponse:
    """One action on the card. A domain refusal comes back as the card with the error beside
    the field (400), a conflict with a newer version or status as 409, a missing right as 403."""
    incident = _incident(request, pk)
    todo = action_or_404(action)
    if not todo.permitted(incident, request_actor(request), _state(incident)):
        raise PermissionDenied(todo.capability.value)
    form = todo.form(
        request.POST,
        municipality=request.municipality,  # type: ignore[attr-defined]
        incident=incident,
        auto_id=_auto_id(todo),
    )
    if not form.is_valid():
        return _render_card(request, incident, bound=(todo, form), status=400)
    try:
        todo.perform(
            incident, signed_in_user(request), form.cleaned_data, form.cleaned_data["version"]
        )
    except ActorLacksCapability as error:
        raise PermissionDenied(error.message) from None
    except InvalidInput as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _render_card(request, incident, bound=(todo, form), status=400)
    except (StaleVersion, TransitionNotAllowed) as error:
        messages.error(request, _conflict_message(error))
        return _render_card(request, _incident(request, pk), status=409)
    except IncidentError as error:
        form.add_error(None, error.message)
        return _render_card(request, incident, bound=(todo, form), status=400)
    messages.success(request, str(todo.done))
    return redirect("incident_detail", municipality_slug=municipality_slug, pk=pk)


def _auto_id(action: Action) -> str:
    # Several action forms share a page and field names (reason, note): ids stay unique.
    return f"id_{action.key}_%s"


def _conflict_message(error: IncidentError) -> str:
    if isinstance(error, StaleVersion):
        return _(
            "Пока вы работали, инцидент изменил другой сотрудник. Ниже — актуальное состояние; "
            "проверьте и повторите действие, если оно ещё нужно."
        )
    return error.message
