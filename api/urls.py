"""``/api/``: the versioned ЦУР API, its OpenAPI schema and offline docs (DESIGN §8)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api import views, views_reports
from api.errors import not_found_json

v1: list[URLPattern] = [
    path("municipalities/", views.MunicipalityListView.as_view(), name="api_municipalities"),
    path("incidents/", views.IncidentListView.as_view(), name="api_incidents"),
    path("incidents/<int:pk>/", views.IncidentDetailView.as_view(), name="api_incident"),
    path("roster/", views.RosterView.as_view(), name="api_roster"),
    path("stats/summary/", views_reports.SummaryView.as_view(), name="api_summary"),
    path("reports/weekly/", views_reports.WeeklyReportView.as_view(), name="api_weekly"),
    path("kpis/", views_reports.KpisView.as_view(), name="api_kpis"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    # Anything else under /api/ answers 404 in the API's JSON shape (a NUL byte, a negative id).
    re_path(r"^[\s\S]*$", not_found_json),  # [\s\S]: a %0A in the path is "anything" too
]
