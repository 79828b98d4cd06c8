"""The incident list, its Excel export and its bulk actions (mounted at /m/<slug>/incidents/)."""

from django.urls import URLPattern, path

from incidents.listing import views

urlpatterns: list[URLPattern] = [
    path("", views.incident_list, name="incident_list"),
    path("export.xlsx", views.incident_export, name="incident_export"),
    path("bulk/", views.incident_bulk, name="incident_bulk"),
]
