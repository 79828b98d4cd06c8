"""Sets the municipality scope for every request (STYLE.md §Tenancy).

``/m/<slug>/…`` pages get the scope of that one municipality — after checking that the user
belongs there (a role in it, a regional ЦУР membership of its region, or superuser); anything
else is a 404, the same answer for a missing and a foreign municipality. Such a request also runs
in the municipality's own time zone. Other pages (the picker,
the admin) get the scope of all the user's municipalities; anonymous requests an empty one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string

from mcu.models import Municipality
from mcu.tenancy import Scope, reset_scope, set_scope

MUNICIPALITY_KWARG = "municipality_slug"


class MunicipalityScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # The resolver lives in `roles` (it reads role assignments); naming it in settings keeps
        # the tenancy core free of imports from the apps built on it.
        self.accessible_ids: Callable[[Any], frozenset[int] | None] = import_string(
            settings.MCU_ACCESSIBLE_MUNICIPALITIES
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        accessible = self.accessible_ids(request.user)
        request.accessible_municipality_ids = accessible  # type: ignore[attr-defined]
        request.municipality = None  # type: ignore[attr-defined]
        token = set_scope(Scope(accessible))
        try:
            return self.get_response(request)
        finally:
            reset_scope(token)
            timezone.deactivate()

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        slug = view_kwargs.get(MUNICIPALITY_KWARG)
        if slug is None:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        municipality = Municipality.objects.filter(slug=slug).select_related("region").first()
        accessible: frozenset[int] | None = request.accessible_municipality_ids  # type: ignore[attr-defined]
        if municipality is None or (accessible is not None and municipality.pk not in accessible):
            raise Http404("municipality")
        request.municipality = municipality  # type: ignore[attr-defined]
        # Narrowed for the rest of the request; __call__ restores the outer scope afterwards.
        set_scope(Scope(frozenset({municipality.pk})))
        # Store UTC, show local: templates and forms of this request use the municipality's zone.
        timezone.activate(municipality.tz)
        return None
