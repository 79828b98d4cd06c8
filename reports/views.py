"""Report pages of one municipality: the archive and on-demand runs, downloads, the heat map.

Members without ``reports.view`` get 403; non-members never get past the scope middleware's 404.
Every parameter a user can type is validated: a bad week, month or date is a 400 page saying
what is expected, never a 500.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from incidents.models import Status
from mcu.models import Municipality
from reports.heatmap import (
    HeatCell,
    HeatmapAxis,
    HeatmapColour,
    heatmap,
    heatmap_cell_incidents,
)
from reports.models import ReportKind, ReportRun
from reports.periods import (
    Period,
    PeriodInvalid,
    last_complete_week,
    parse_day,
    parse_month,
    parse_week,
    range_period,
)
from reports.selectors import SUMMARY_FIELDS, SUMMARY_LABELS, summary_figures
from reports.services import SPECS, report_run_request
from reports.xlsx import XLSX_CONTENT_TYPE
from roles.access import capability_required, request_actor, signed_in_user
from roles.models import Channel, Sector
from roles.permissions import Capability

ARCHIVE_PAGE_SIZE = 30
CELL_INCIDENTS_SHOWN = 200
HEATMAP_DEFAULT_DAYS = 28


def _municipality(request: HttpRequest) -> Municipality:
    return request.municipality  # type: ignore[attr-defined]  # set by the scope middleware


def _archive_context(request: HttpRequest, municipality: Municipality) -> dict[str, Any]:
    runs = ReportRun.objects.filter(municipality=municipality).select_related("requested_by")
    page = Paginator(runs.order_by("-created_at", "-pk"), ARCHIVE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    busy = any(
        run.state in (ReportRun.State.QUEUED, ReportRun.State.RUNNING) for run in page.object_list
    )
    return {"page": page, "busy": busy}


@require_GET
@capability_required(Capability.REPORTS_VIEW)
def index(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = _municipality(request)
    if request.headers.get("HX-Request") and request.GET.get("partial") == "archive":
        return render(request, "reports/_archive.html", _archive_context(request, municipality))
    return render(request, "reports/index.html", _index_context(request, municipality))


def _index_context(
    request: HttpRequest, municipality: Municipality, **extra: Any
) -> dict[str, Any]:
    week = last_complete_week(timezone.now(), municipality.tz)
    figures = summary_figures(municipality=municipality, period=week)
    before = summary_figures(municipality=municipality, period=week.previous())
    summary = [
        (SUMMARY_LABELS[name], figures.total[name], before.total[name]) for name in SUMMARY_FIELDS
    ]
    last_month = (week.first_day.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    context = {
        "summary": summary,
        "summary_week": week,
        "kinds": [(kind, SPECS[kind]) for kind in ReportKind.values],
        "default_week": week.code,
        "default_month": last_month,
        "may_generate": request_actor(request).can(Capability.REPORTS_GENERATE),
        **_archive_context(request, municipality),
    }
    context.update(extra)
    return context


@require_POST
@capability_required(Capability.REPORTS_GENERATE)
def generate(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    """Queue a report for any period; the archive shows it with its progress until ready."""
    municipality = _municipality(request)
    kind = request.POST.get("kind", "")
    if kind not in SPECS:
        return _generate_error(request, municipality, _("Выберите отчёт из списка."))
    try:
        period = (
            parse_week(request.POST.get("week", ""), municipality.tz)
            if SPECS[kind].period_kind == "week"
            else parse_month(request.POST.get("month", ""), municipality.tz)
        )
    except PeriodInvalid as error:
        return _generate_error(request, municipality, str(error))
    if period.first_day > municipality.local_time().date():
        return _generate_error(request, municipality, _("Этот период ещё не начался."))
    report_run_request(
        municipality=municipality, kind=kind, period=period, user=signed_in_user(request)
    )
    return redirect("reports", municipality_slug=municipality.slug)


def _generate_error(request: HttpRequest, municipality: Municipality, message: str) -> HttpResponse:
    context = _index_context(request, municipality, form_error=message)
    return render(request, "reports/index.html", context, status=400)


@require_GET
@capability_required(Capability.REPORTS_VIEW)
def download(request: HttpRequest, municipality_slug: str, run_id: int) -> HttpResponse:
    """A finished run's file; 404 for a run of another municipality, unknown or not ready."""
    municipality = _municipality(request)
    run = ReportRun.objects.filter(
        municipality=municipality, pk=run_id, state=ReportRun.State.DONE
    ).first()
    if run is None or not run.file:
        raise Http404("report")
    response = FileResponse(
        run.file.open("rb"),
        as_attachment=True,
        filename=run.file_name or f"report-{run.pk}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )
    # Streamed from storage; capability_required's type names HttpResponse, its base class.
    return cast(HttpResponse, response)


# --- heat map ---------------------------------------------------------------------------------


def _heatmap_period(request: HttpRequest, municipality: Municipality) -> Period:
    today = municipality.local_time().date()
    first = (
        request.GET.get("from") or (today - timedelta(days=HEATMAP_DEFAULT_DAYS - 1)).isoformat()
    )
    last = request.GET.get("to") or today.isoformat()
    return range_period(parse_day(first), parse_day(last), municipality.tz)


def _choice(value: str | None, enum: type[HeatmapAxis] | type[HeatmapColour], default: str) -> str:
    if not value:
        return default
    if value not in {member.value for member in enum}:
        raise PeriodInvalid(
            _("Недопустимое значение параметра: «%(value)s».") % {"value": value[:40]}
        )
    return value


def _cell_style(cell: HeatCell, colour: str, max_count: int) -> str:
    """Background intensity in proportion to the count (blue) or the overdue share (red)."""
    if colour == HeatmapColour.OVERDUE:
        share = (cell.overdue_percent or 0) / 100
        rgb = "179, 38, 30"
    else:
        share = cell.count / max_count if max_count else 0
        rgb = "31, 95, 168"
    alpha = round(0.08 + 0.8 * share, 2)
    text = "#fff" if alpha > 0.55 else "#1d2430"
    return f"background: rgba({rgb}, {alpha}); color: {text}"


@require_GET
@capability_required(Capability.REPORTS_VIEW)
def heatmap_page(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = _municipality(request)
    has_sectors = Sector.objects.filter(municipality=municipality, is_active=True).exists()
    try:
        period = _heatmap_period(request, municipality)
        axis = HeatmapAxis(
            _choice(request.GET.get("by"), HeatmapAxis, "sector" if has_sectors else "settlement")
        )
        colour = _choice(request.GET.get("colour"), HeatmapColour, HeatmapColour.COUNT)
    except PeriodInvalid as error:
        return render(
            request,
            "reports/heatmap.html",
            {"error": str(error), "axes": HeatmapAxis, "params": request.GET},
            status=400,
        )
    data = heatmap(municipality=municipality, period=period, axis=axis)
    max_count = data.max_count
    table = [
        (
            row_id,
            row_name,
            [
                (column_id, cell, _cell_style(cell, colour, max_count) if cell else "")
                for column_id, _name in data.columns
                for cell in [data.cell(row_id, column_id)]
            ],
        )
        for row_id, row_name in data.rows
    ]
    return render(
        request,
        "reports/heatmap.html",
        {
            "period": period,
            "axis": axis,
            "colour": colour,
            "columns": data.columns,
            "table": table,
            "first": period.first_day.isoformat(),
            "last": period.last_day.isoformat(),
            "may_list": request_actor(request).can(Capability.INCIDENT_VIEW),
        },
    )


def _optional_id(value: str | None) -> int | None:
    """A row / column id of the heat map: a positive integer, or «none» for the empty one."""
    if value == "none":
        return None
    try:
        number = int(value or "")
    except ValueError:
        raise PeriodInvalid(_("Неверная ссылка на ячейку карты.")) from None
    if not 0 < number < 2**63:
        raise PeriodInvalid(_("Неверная ссылка на ячейку карты."))
    return number


@require_GET
@capability_required(Capability.REPORTS_VIEW)
def heatmap_cell(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    """The incidents behind one cell of the heat map (no personal data is shown here)."""
    municipality = _municipality(request)
    if not request_actor(request).can(Capability.INCIDENT_VIEW):
        raise PermissionDenied(Capability.INCIDENT_VIEW.value)
    try:
        period = _heatmap_period(request, municipality)
        axis = HeatmapAxis(_choice(request.GET.get("by"), HeatmapAxis, HeatmapAxis.SECTOR))
        topic_id = _optional_id(request.GET.get("topic"))
        column_id = _optional_id(request.GET.get("column"))
    except PeriodInvalid as error:
        return render(request, "reports/heatmap_cell.html", {"error": str(error)}, status=400)
    rows = heatmap_cell_incidents(
        municipality=municipality,
        period=period,
        axis=axis,
        topic_id=topic_id,
        column_id=column_id,
    )
    total = rows.count()
    incidents = [
        {
            "pk": incident.pk,
            "received_at": incident.received_at,
            "channel": Channel(incident.channel).label
            if incident.channel in Channel.values
            else "",
            "status": Status(incident.status).label,
            "topic": str(incident.topic) if incident.topic else "",
            "sector": incident.sector.name if incident.sector else "",
            "due_at": incident.due_at,
            "overdue": incident.is_open
            and incident.due_at is not None
            and incident.due_at < timezone.now(),
            "text": incident.text[:200],
        }
        for incident in rows[:CELL_INCIDENTS_SHOWN]
    ]
    back = {"from": period.first_day.isoformat(), "to": period.last_day.isoformat(), "by": axis}
    return render(
        request,
        "reports/heatmap_cell.html",
        {
            "incidents": incidents,
            "total": total,
            "shown": CELL_INCIDENTS_SHOWN,
            "period": period,
            "back": back,
        },
    )
