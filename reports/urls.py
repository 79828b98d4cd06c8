"""Report pages of one municipality (mounted under /m/<slug>/reports/)."""

from django.urls import URLPattern, path

from reports import views

urlpatterns: list[URLPattern] = [
    path("", views.index, name="reports"),
    path("generate/", views.generate, name="report_generate"),
    path("runs/<int:run_id>/download/", views.download, name="report_download"),
    path("heatmap/", views.heatmap_page, name="report_heatmap"),
    path("heatmap/cell/", views.heatmap_cell, name="report_heatmap_cell"),
]
