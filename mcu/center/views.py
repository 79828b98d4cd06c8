"""Pages of the center's own work under /m/<slug>/center/ (issue 8 items 1–3).

Thin: a form parses, a service writes, a selector reads. Every object is looked up inside
``request.municipality`` — a foreign or missing id is the same 404 — and a member lacking the
section's capability gets 403. A form with errors answers 400 with the errors beside the fields.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mcu.center import hearings as hearing_services
from mcu.center import meetings as meeting_services
from mcu.center import roadmaps as roadmap_services
from mcu.center.access import covers_sector
from mcu.center.exceptions import CenterInvalid
from mcu.center.forms import (
    AssignmentForm,
    CenterForm,
    DecisionForm,
    HearingForm,
    LinkIncidentForm,
    MeasureForm,
    MeetingForm,
    ReportForm,
    RoadmapForm,
    SignForm,
)
from mcu.center.protocol import protocol_docx, protocol_for_meeting
from mcu.center.selectors import (
    ROADMAP_WINDOW_DAYS,
    assignments_for_municipality,
    meetings_for_municipality,
    roadmap_effect,
)
from mcu.models import (
    Assignment,
    AssignmentStatus,
    MeasureIncident,
    Meeting,
    MeetingDecision,
    Municipality,
    PublicHearing,
    Roadmap,
    RoadmapMeasure,
)
from roles.access import capability_required, request_actor, signed_in_user
from roles.permissions import Capability

C = Capability
GET_POST = require_http_methods(["GET", "POST"])
CENTER_CAPABILITIES = (
    C.MEETINGS_MANAGE,
    C.ASSIGNMENTS_EXECUTE,
    C.ROADMAPS_MANAGE,
    C.ROADMAPS_APPROVE,
    C.HEARINGS_MANAGE,
)
_M = TypeVar("_M", bound=Model)
_View = TypeVar("_View", bound=Callable[..., HttpResponse])


def any_capability_required(*capabilities: Capability) -> Callable[[_View], _View]:
    """403 unless the member holds one of these (non-members were answered 404 already)."""

    def decorator(view: _View) -> _View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            actor = request_actor(request)
            if not any(actor.can(c) for c in capabilities):
                raise PermissionDenied(capabilities[0].value)
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def _municipality(request: HttpRequest) -> Municipality:
    municipality: Municipality = request.municipality  # type: ignore[attr-defined]
    return municipality


def _get(request: HttpRequest, queryset: QuerySet[_M], pk: int) -> _M:
    """The object of this municipality, or 404 — the same for a missing and a foreign id."""
    return get_object_or_404(queryset.filter(municipality=_municipality(request)), pk=pk)


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], *forms: CenterForm | None
) -> HttpResponse:
    bad = any(f is not None and f.is_bound and f.errors for f in forms)
    return render(request, template, context, status=400 if bad else 200)


def _saved(form: CenterForm, write: Callable[[], object]) -> bool:
    if not form.is_valid():
        return False
    try:
        write()
    except CenterInvalid as error:
        form.add_service_error(error)
        return False
    return True


def _today(request: HttpRequest) -> date:
    return _municipality(request).local_time().date()


# --- index ------------------------------------------------------------------------------------


@require_GET
@any_capability_required(*CENTER_CAPABILITIES)
def index(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    actor = request_actor(request)
    municipality = _municipality(request)
    user = signed_in_user(request)
    return render(
        request,
        "center/index.html",
        {
            "can_meetings": actor.can(C.MEETINGS_MANAGE),
            "can_roadmaps": actor.can(C.ROADMAPS_MANAGE) or actor.can(C.ROADMAPS_APPROVE),
            "can_hearings": actor.can(C.HEARINGS_MANAGE),
            "my_open": assignments_for_municipality(
                municipality=municipality, status=AssignmentStatus.OPEN, executor=user
            ).count(),
        },
    )


# --- meetings ---------------------------------------------------------------------------------


@require_GET
@capability_required(C.MEETINGS_MANAGE)
def meeting_list(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    rows = meetings_for_municipality(municipality=_municipality(request))[:200]
    return render(request, "center/meeting_list.html", {"meetings": rows})


def _meeting_values(form: MeetingForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "held_on": data["held_on"],
        "form": data["form"],
        "agenda": data["agenda"],
        "chair": data["chair"],
        "participants": list(data["participants"]),
        "topics": list(data["topics"]),
        "incidents": data["incident_numbers"],
    }


@GET_POST
@capability_required(C.MEETINGS_MANAGE)
def meeting_create(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = _municipality(request)
    actor = signed_in_user(request)
    form = MeetingForm(
        request.POST or None,
        municipality=municipality,
        initial={"held_on": _today(request), "form": Meeting.Form.IN_PERSON},
    )
    created: list[Meeting] = []
    if request.method == "POST" and _saved(
        form,
        lambda: created.append(
            meeting_services.meeting_create(
                municipality=municipality, actor=actor, **_meeting_values(form)
            )
        ),
    ):
        messages.success(request, _("Заседание создано."))
        return redirect("center_meeting", municipality.slug, created[0].pk)
    return _page(request, "center/meeting_form.html", {"form": form, "meeting": None}, form)


@GET_POST
@capability_required(C.MEETINGS_MANAGE)
def meeting_edit(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    municipality = _municipality(request)
    meeting = _get(request, Meeting.objects.all(), pk)
    if meeting.is_signed:
        messages.error(request, _("Протокол подписан: заседание больше не меняется."))
        return redirect("center_meeting", municipality.slug, meeting.pk)
    initial = model_to_dict(meeting, fields=["title", "held_on", "form", "agenda", "chair"])
    initial["participants"] = list(meeting.participants.values_list("pk", flat=True))
    initial["topics"] = list(meeting.topics.values_list("pk", flat=True))
    initial["incident_numbers"] = ", ".join(
        str(pk) for pk in meeting.incidents.order_by("pk").values_list("pk", flat=True)
    )
    form = MeetingForm(request.POST or None, municipality=municipality, initial=initial)
    if request.method == "POST" and _saved(
        form,
        lambda: meeting_services.meeting_update(
            meeting=meeting, actor=signed_in_user(request), **_meeting_values(form)
        ),
    ):
        messages.success(request, _("Заседание сохранено."))
        return redirect("center_meeting", municipality.slug, meeting.pk)
    return _page(request, "center/meeting_form.html", {"form": form, "meeting": meeting}, form)


def _meeting_page(
    request: HttpRequest,
    meeting: Meeting,
    *,
    decision_form: DecisionForm | None = None,
    sign_form: SignForm | None = None,
) -> HttpResponse:
    municipality = _municipality(request)
    protocol = protocol_for_meeting(meeting=meeting)
    decision_form = decision_form or DecisionForm(municipality=municipality)
    sign_form = sign_form or SignForm(
        municipality=municipality, initial={"signed_on": _today(request)}
    )
    return _page(
        request,
        "center/meeting_detail.html",
        {
            "meeting": meeting,
            "protocol": protocol,
            "topics": list(meeting.topics.select_related("parent")),
            "incidents": list(meeting.incidents.order_by("pk")),
            "decision_form": decision_form,
            "sign_form": sign_form,
        },
        decision_form,
        sign_form,
    )


@require_GET
@capability_required(C.MEETINGS_MANAGE)
def meeting_detail(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    return _meeting_page(request, _get(request, Meeting.objects.all(), pk))


@require_POST
@capability_required(C.MEETINGS_MANAGE)
def decision_add(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    meeting = _get(request, Meeting.objects.all(), pk)
    form = DecisionForm(request.POST, municipality=_municipality(request))
    if _saved(
        form,
        lambda: meeting_services.decision_add(
            meeting=meeting, actor=signed_in_user(request), text=form.cleaned_data["text"]
        ),
    ):
        messages.success(request, _("Решение добавлено в протокол."))
        return redirect("center_meeting", meeting.municipality.slug, meeting.pk)
    return _meeting_page(request, meeting, decision_form=form)


@GET_POST
@capability_required(C.MEETINGS_MANAGE)
def decision_edit(
    request: HttpRequest, municipality_slug: str, pk: int, decision_id: int
) -> HttpResponse:
    meeting = _get(request, Meeting.objects.all(), pk)
    decision = _get(request, MeetingDecision.objects.filter(meeting=meeting), decision_id)
    form = DecisionForm(
        request.POST or None,
        municipality=_municipality(request),
        initial={"text": decision.text},
    )
    if request.method == "POST" and _saved(
        form,
        lambda: meeting_services.decision_update(
            decision=decision, actor=signed_in_user(request), text=form.cleaned_data["text"]
        ),
    ):
        messages.success(request, _("Решение сохранено."))
        return redirect("center_meeting", meeting.municipality.slug, meeting.pk)
    return _page(
        request,
        "center/decision_form.html",
        {"form": form, "meeting": meeting, "decision": decision},
        form,
    )


@require_POST
@capability_required(C.MEETINGS_MANAGE)
def protocol_sign(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    meeting = _get(request, Meeting.objects.all(), pk)
    form = SignForm(request.POST, municipality=_municipality(request))
    if _saved(
        form,
        lambda: meeting_services.protocol_sign(
            meeting=meeting,
            actor=signed_in_user(request),
            number=form.cleaned_data["number"],
            signed_on=form.cleaned_data["signed_on"],
        ),
    ):
        messages.success(request, _("Протокол подписан."))
        return redirect("center_meeting", meeting.municipality.slug, meeting.pk)
    return _meeting_page(request, meeting, sign_form=form)


@require_GET
@capability_required(C.MEETINGS_MANAGE)
def protocol_print(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    meeting = _get(request, Meeting.objects.all(), pk)
    return render(
        request, "center/protocol_print.html", {"protocol": protocol_for_meeting(meeting=meeting)}
    )


@require_GET
@capability_required(C.MEETINGS_MANAGE)
def protocol_download(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    meeting = _get(request, Meeting.objects.all(), pk)
    content = protocol_docx(protocol_for_meeting(meeting=meeting))
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    name = f"protocol-{meeting.held_on:%Y-%m-%d}-{meeting.pk}.docx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- assignments ------------------------------------------------------------------------------


@GET_POST
@capability_required(C.MEETINGS_MANAGE)
def assignment_create(
    request: HttpRequest, municipality_slug: str, pk: int, decision_id: int
) -> HttpResponse:
    meeting = _get(request, Meeting.objects.all(), pk)
    decision = _get(request, MeetingDecision.objects.filter(meeting=meeting), decision_id)
    form = AssignmentForm(request.POST or None, municipality=_municipality(request))
    if request.method == "POST" and _saved(
        form,
        lambda: meeting_services.assignment_create(
            decision=decision, actor=signed_in_user(request), **form.cleaned_data
        ),
    ):
        messages.success(request, _("Поручение создано; исполнитель уведомлён."))
        return redirect("center_meeting", meeting.municipality.slug, meeting.pk)
    return _page(
        request,
        "center/assignment_form.html",
        {"form": form, "meeting": meeting, "decision": decision, "assignment": None},
        form,
    )


@require_GET
@any_capability_required(C.ASSIGNMENTS_EXECUTE, C.MEETINGS_MANAGE)
def assignment_list(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = _municipality(request)
    manager = request_actor(request).can(C.MEETINGS_MANAGE)
    status = request.GET.get("status", AssignmentStatus.OPEN)
    if status not in (*AssignmentStatus.values, "all"):
        status = AssignmentStatus.OPEN
    everyone = manager and request.GET.get("who") == "all"
    rows = assignments_for_municipality(
        municipality=municipality,
        status=None if status == "all" else status,
        executor=None if everyone else signed_in_user(request),
    )[:500]
    return render(
        request,
        "center/assignment_list.html",
        {
            "assignments": rows,
            "status": status,
            "everyone": everyone,
            "manager": manager,
            "statuses": AssignmentStatus.choices,
        },
    )


def _assignment_for_viewer(request: HttpRequest, pk: int) -> Assignment:
    assignment = _get(
        request, Assignment.objects.select_related("executor", "decision__meeting"), pk
    )
    user = signed_in_user(request)
    if assignment.executor_id != user.pk and not request_actor(request).can(C.MEETINGS_MANAGE):
        raise PermissionDenied(C.MEETINGS_MANAGE.value)
    return assignment


@GET_POST
def assignment_detail(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    """The executor reports here; whoever runs the meetings may also withdraw it."""
    assignment = _assignment_for_viewer(request, pk)
    municipality = _municipality(request)
    actor = signed_in_user(request)
    form = ReportForm(request.POST or None, municipality=municipality)
    if request.method == "POST":
        action = request.POST.get("action", "done")
        if action == "cancel":

            def write() -> object:
                return meeting_services.assignment_cancel(
                    assignment=assignment, actor=actor, reason=form.cleaned_data["report"]
                )
        else:

            def write() -> object:
                return meeting_services.assignment_complete(
                    assignment=assignment, actor=actor, report=form.cleaned_data["report"]
                )

        if _saved(form, write):
            messages.success(
                request,
                _("Поручение снято с контроля.")
                if action == "cancel"
                else _("Поручение исполнено."),
            )
            return redirect("center_assignment", municipality.slug, assignment.pk)
    return _page(
        request,
        "center/assignment_detail.html",
        {
            "assignment": assignment,
            "form": form,
            "manager": request_actor(request).can(C.MEETINGS_MANAGE),
        },
        form,
    )


@GET_POST
@capability_required(C.MEETINGS_MANAGE)
def assignment_edit(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    assignment = _get(request, Assignment.objects.select_related("decision__meeting"), pk)
    municipality = _municipality(request)
    form = AssignmentForm(
        request.POST or None,
        municipality=municipality,
        initial={
            "text": assignment.text,
            "executor": assignment.executor_id,
            "due_date": assignment.due_date,
        },
    )
    if request.method == "POST" and _saved(
        form,
        lambda: meeting_services.assignment_update(
            assignment=assignment, actor=signed_in_user(request), **form.cleaned_data
        ),
    ):
        messages.success(request, _("Поручение сохранено."))
        return redirect("center_assignment", municipality.slug, assignment.pk)
    meeting = assignment.decision.meeting
    return _page(
        request,
        "center/assignment_form.html",
        {
            "form": form,
            "meeting": meeting,
            "decision": assignment.decision,
            "assignment": assignment,
        },
        form,
    )


# --- roadmaps ---------------------------------------------------------------------------------

ROADMAP_VIEW = (C.ROADMAPS_MANAGE, C.ROADMAPS_APPROVE)


@require_GET
@any_capability_required(*ROADMAP_VIEW)
def roadmap_list(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    rows = list(
        Roadmap.objects.filter(municipality=_municipality(request))
        .select_related("sector", "approved_by")
        .prefetch_related("topics")
        .order_by("-created_at", "-pk")[:100]
    )
    # A query per roadmap: a municipality keeps a handful of them, not hundreds.
    effects = [(row, roadmap_effect(roadmap=row)) for row in rows]
    return render(
        request,
        "center/roadmap_list.html",
        {
            "rows": effects,
            "window_days": ROADMAP_WINDOW_DAYS,
            "can_manage": request_actor(request).can(C.ROADMAPS_MANAGE),
        },
    )


def _roadmap_values(form: RoadmapForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "sector": data["sector"],
        "topics": list(data["topics"]),
        "goal": data["goal"],
        "responsible": list(data["responsible"]),
    }


@GET_POST
@capability_required(C.ROADMAPS_MANAGE)
def roadmap_create(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = _municipality(request)
    form = RoadmapForm(request.POST or None, municipality=municipality)
    created: list[Roadmap] = []
    if request.method == "POST" and _saved(
        form,
        lambda: created.append(
            roadmap_services.roadmap_create(
                municipality=municipality, actor=signed_in_user(request), **_roadmap_values(form)
            )
        ),
    ):
        messages.success(request, _("Дорожная карта создана."))
        return redirect("center_roadmap", municipality.slug, created[0].pk)
    return _page(request, "center/roadmap_form.html", {"form": form, "roadmap": None}, form)


@GET_POST
@capability_required(C.ROADMAPS_MANAGE)
def roadmap_edit(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    municipality = _municipality(request)
    roadmap = _get(request, Roadmap.objects.all(), pk)
    initial = model_to_dict(roadmap, fields=["title", "sector", "goal"])
    initial["topics"] = list(roadmap.topics.values_list("pk", flat=True))
    initial["responsible"] = list(roadmap.responsible.values_list("pk", flat=True))
    form = RoadmapForm(request.POST or None, municipality=municipality, initial=initial)
    if request.method == "POST" and _saved(
        form,
        lambda: roadmap_services.roadmap_update(
            roadmap=roadmap, actor=signed_in_user(request), **_roadmap_values(form)
        ),
    ):
        messages.success(request, _("Дорожная карта сохранена."))
        return redirect("center_roadmap", municipality.slug, roadmap.pk)
    return _page(request, "center/roadmap_form.html", {"form": form, "roadmap": roadmap}, form)


def _roadmap_page(
    request: HttpRequest,
    roadmap: Roadmap,
    *,
    measure_form: MeasureForm | None = None,
    link_form: LinkIncidentForm | None = None,
    link_measure_id: int | None = None,
) -> HttpResponse:
    municipality = _municipality(request)
    user = signed_in_user(request)
    measures = list(
        RoadmapMeasure.objects.filter(roadmap=roadmap)
        .select_related("responsible")
        .order_by("number")
    )
    links: dict[int, list[MeasureIncident]] = {m.pk: [] for m in measures}
    for link in (
        MeasureIncident.objects.filter(measure__roadmap=roadmap)
        .select_related("incident", "incident__topic")
        .order_by("incident_id")
    ):
        links[link.measure_id].append(link)
    measure_form = measure_form or MeasureForm(municipality=municipality)
    return _page(
        request,
        "center/roadmap_detail.html",
        {
            "roadmap": roadmap,
            "topics": list(roadmap.topics.select_related("parent")),
            "responsible": list(roadmap.responsible.all()),
            "measures": [(m, links[m.pk]) for m in measures],
            "effect": roadmap_effect(roadmap=roadmap),
            "window_days": ROADMAP_WINDOW_DAYS,
            "measure_form": measure_form,
            "link_form": link_form or LinkIncidentForm(municipality=municipality),
            "link_measure_id": link_measure_id,
            "can_manage": covers_sector(
                user=user,
                municipality=municipality,
                capability=C.ROADMAPS_MANAGE,
                sector_id=roadmap.sector_id,
            ),
            "can_approve": roadmap.state == Roadmap.State.DRAFT
            and covers_sector(
                user=user,
                municipality=municipality,
                capability=C.ROADMAPS_APPROVE,
                sector_id=roadmap.sector_id,
            ),
        },
        measure_form,
        link_form,
    )


@require_GET
@any_capability_required(*ROADMAP_VIEW)
def roadmap_detail(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    return _roadmap_page(request, _get(request, Roadmap.objects.select_related("sector"), pk))


@require_POST
@capability_required(C.ROADMAPS_APPROVE)
def roadmap_approve(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    roadmap = _get(request, Roadmap.objects.all(), pk)
    try:
        roadmap_services.roadmap_approve(
            roadmap=roadmap, actor=signed_in_user(request), on=_today(request)
        )
    except CenterInvalid as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Дорожная карта утверждена."))
    return redirect("center_roadmap", roadmap.municipality.slug, roadmap.pk)


@require_POST
@capability_required(C.ROADMAPS_MANAGE)
def measure_add(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    roadmap = _get(request, Roadmap.objects.select_related("sector"), pk)
    form = MeasureForm(request.POST, municipality=_municipality(request))
    if _saved(
        form,
        lambda: roadmap_services.measure_add(
            roadmap=roadmap,
            actor=signed_in_user(request),
            title=form.cleaned_data["title"],
            due_date=form.cleaned_data["due_date"],
            responsible=form.cleaned_data["responsible"],
        ),
    ):
        messages.success(request, _("Мероприятие добавлено."))
        return redirect("center_roadmap", roadmap.municipality.slug, roadmap.pk)
    return _roadmap_page(request, roadmap, measure_form=form)


@GET_POST
@capability_required(C.ROADMAPS_MANAGE)
def measure_edit(
    request: HttpRequest, municipality_slug: str, pk: int, measure_id: int
) -> HttpResponse:
    roadmap = _get(request, Roadmap.objects.select_related("sector"), pk)
    measure = _get(request, RoadmapMeasure.objects.filter(roadmap=roadmap), measure_id)
    form = MeasureForm(
        request.POST or None,
        municipality=_municipality(request),
        initial=model_to_dict(
            measure, fields=["title", "responsible", "due_date", "status", "done_on"]
        ),
    )
    if request.method == "POST" and _saved(
        form,
        lambda: roadmap_services.measure_update(
            measure=measure, actor=signed_in_user(request), **form.cleaned_data
        ),
    ):
        messages.success(request, _("Мероприятие сохранено."))
        return redirect("center_roadmap", roadmap.municipality.slug, roadmap.pk)
    return _page(
        request,
        "center/measure_form.html",
        {"form": form, "roadmap": roadmap, "measure": measure},
        form,
    )


@require_POST
@capability_required(C.ROADMAPS_MANAGE)
def measure_link(
    request: HttpRequest, municipality_slug: str, pk: int, measure_id: int
) -> HttpResponse:
    roadmap = _get(request, Roadmap.objects.select_related("sector"), pk)
    measure = _get(request, RoadmapMeasure.objects.filter(roadmap=roadmap), measure_id)
    form = LinkIncidentForm(request.POST, municipality=_municipality(request))
    if _saved(
        form,
        lambda: roadmap_services.measure_link_incident(
            measure=measure, actor=signed_in_user(request), incident=form.cleaned_data["incident"]
        ),
    ):
        messages.success(request, _("Инцидент связан с мероприятием."))
        return redirect("center_roadmap", roadmap.municipality.slug, roadmap.pk)
    return _roadmap_page(request, roadmap, link_form=form, link_measure_id=measure.pk)


@require_POST
@capability_required(C.ROADMAPS_MANAGE)
def measure_unlink(
    request: HttpRequest, municipality_slug: str, pk: int, link_id: int
) -> HttpResponse:
    roadmap = _get(request, Roadmap.objects.all(), pk)
    link = _get(request, MeasureIncident.objects.filter(measure__roadmap=roadmap), link_id)
    try:
        roadmap_services.measure_unlink_incident(link=link, actor=signed_in_user(request))
    except CenterInvalid as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Связь с инцидентом удалена."))
    return redirect("center_roadmap", roadmap.municipality.slug, roadmap.pk)


# --- hearings ---------------------------------------------------------------------------------


def _year(request: HttpRequest) -> int:
    """The indicators' year from ``?year=``; anything that is not a year 2000–2100 is ignored
    and the current local year is shown (a hand-edited URL must not fail the page)."""
    raw = request.GET.get("year", "")
    if raw.isdigit() and len(raw) == 4 and 2000 <= int(raw) <= 2100:
        return int(raw)
    return _today(request).year


@require_GET
@capability_required(C.HEARINGS_MANAGE)
def hearing_list(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = _municipality(request)
    year = _year(request)
    rows = PublicHearing.objects.filter(municipality=municipality).order_by("-starts_on", "-pk")
    return render(
        request,
        "center/hearing_list.html",
        {
            "hearings": rows[:500],
            "year": year,
            "years": list(range(year - 2, year + 3)),
            "indicators": hearing_services.hearings_kpi_actuals(
                municipality=municipality, year=year
            ),
        },
    )


@GET_POST
@capability_required(C.HEARINGS_MANAGE)
def hearing_create(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = _municipality(request)
    today = _today(request)
    form = HearingForm(
        request.POST or None,
        municipality=municipality,
        initial={"starts_on": today, "ends_on": today, "on_pos": True},
    )
    if request.method == "POST" and _saved(
        form,
        lambda: hearing_services.hearing_create(
            municipality=municipality, actor=signed_in_user(request), values=form.cleaned_data
        ),
    ):
        messages.success(request, _("Запись добавлена в реестр."))
        return redirect("center_hearings", municipality.slug)
    return _page(request, "center/hearing_form.html", {"form": form, "hearing": None}, form)


@GET_POST
@capability_required(C.HEARINGS_MANAGE)
def hearing_edit(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    municipality = _municipality(request)
    hearing = _get(request, PublicHearing.objects.all(), pk)
    form = HearingForm(
        request.POST or None,
        municipality=municipality,
        initial=model_to_dict(hearing, fields=hearing_services.HEARING_FIELDS),
    )
    if request.method == "POST" and _saved(
        form,
        lambda: hearing_services.hearing_update(
            hearing=hearing, actor=signed_in_user(request), values=form.cleaned_data
        ),
    ):
        messages.success(request, _("Запись реестра сохранена."))
        return redirect("center_hearings", municipality.slug)
    return _page(request, "center/hearing_form.html", {"form": form, "hearing": hearing}, form)
