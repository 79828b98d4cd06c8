"""Pages about people and roles."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from roles.access import capability_required
from roles.permissions import Capability
from roles.selectors import roster_for_municipality


@capability_required(Capability.ROSTER_VIEW)
def roster(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    """«Состав МЦУ», laid out like the act's appendix, with the history of changes."""
    municipality = request.municipality  # type: ignore[attr-defined]
    data = roster_for_municipality(municipality=municipality)
    return render(
        request,
        "roles/roster.html",
        {"current": data.current, "history": data.history},
    )
