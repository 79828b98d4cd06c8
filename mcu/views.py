"""Pages of the tenancy core: the municipality picker and a municipality's home."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from mcu.models import Municipality


@login_required
def picker(request: HttpRequest) -> HttpResponse:
    """The municipalities the user belongs to; straight through when there is only one."""
    accessible: frozenset[int] | None = request.accessible_municipality_ids  # type: ignore[attr-defined]
    municipalities = Municipality.objects.select_related("region").order_by("short_name")
    if accessible is not None:
        municipalities = municipalities.filter(pk__in=accessible)
    rows = list(municipalities)
    if len(rows) == 1:
        return redirect("home", municipality_slug=rows[0].slug)
    return render(request, "mcu/picker.html", {"municipalities": rows})
