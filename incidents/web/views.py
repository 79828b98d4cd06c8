"""Server-rendered pages of the incident domain."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents.dashboard import dashboard
from incidents.models import Notification
from incidents.my_tasks import LIMIT as TASKS_LIMIT
from incidents.my_tasks import my_tasks
from incidents.selectors import auto_routing_share
from incidents.services.notifications import notifications_mark_read
from mcu.center.selectors import my_assignments
from roles.access import capability_required, request_actor, signed_in_user
from roles.permissions import Capability

NOTIFICATIONS_PAGE_SIZE = 50
KPI_WINDOW = timedelta(days=30)


@capability_required(Capability.MUNICIPALITY_VIEW)
def home(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    """The dashboard: right now, by channel and block, the last 8 weeks; links into the list.

    A member without incident access (a roster-only seat) sees the municipality's facts only.
    """
    municipality = request.municipality  # type: ignore[attr-defined]
    share = auto_routing_share(municipality=municipality, since=timezone.now() - KPI_WINDOW)
    context: dict[str, object] = {"auto_routing": share, "kpi_days": KPI_WINDOW.days}
    if request_actor(request).can(Capability.INCIDENT_VIEW):
        context["board"] = dashboard(municipality=municipality)
    return render(request, "incidents/dashboard.html", context)


@capability_required(Capability.MUNICIPALITY_VIEW)
def tasks(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    """«Мои задачи»: what waits for this user's action, overdue first, then by time left."""
    municipality = request.municipality  # type: ignore[attr-defined]
    user = signed_in_user(request)
    rows = my_tasks(municipality=municipality, user=user)
    return render(
        request,
        "incidents/tasks.html",
        {
            "tasks": rows,
            "limit": TASKS_LIMIT,
            # Issue 8 item 1: the user's open protocol assignments, a second section.
            "assignments": my_assignments(municipality=municipality, user=user),
        },
    )


@capability_required(Capability.MUNICIPALITY_VIEW)
def notifications(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    """The user's notifications in this municipality, newest first (unread highlighted)."""
    municipality = request.municipality  # type: ignore[attr-defined]
    rows = list(
        Notification.objects.filter(municipality=municipality, user=signed_in_user(request))
        .select_related("incident")
        .order_by("-created_at", "-pk")[:NOTIFICATIONS_PAGE_SIZE]
    )
    return render(request, "incidents/notifications.html", {"notifications": rows})


@require_POST
@capability_required(Capability.MUNICIPALITY_VIEW)
def notifications_read(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    count = notifications_mark_read(
        user_id=signed_in_user(request).pk, municipality_id=municipality.pk
    )
    if count:
        messages.success(request, _("Все уведомления отмечены прочитанными."))
    return redirect("notifications", municipality_slug=municipality.slug)
