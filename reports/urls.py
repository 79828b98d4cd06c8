"""Report pages of one municipality (mounted under /m/<slug>/reports/)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
