"""Staff workspace pages of one municipality (mounted under /m/<slug>/)."""

from django.urls import path

from incidents.web import card, views

urlpatterns = [
    path("", views.home, name="home"),
    path("incidents/<int:pk>/", card.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/citizen/", card.incident_citizen, name="incident_citizen"),
    path("incidents/<int:pk>/act/<slug:action>/", card.incident_act, name="incident_act"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
