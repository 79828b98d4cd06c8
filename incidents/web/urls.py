"""Staff workspace pages of one municipality (mounted under /m/<slug>/)."""

from django.urls import path

from incidents.web import card, register, views

urlpatterns = [
    path("", views.home, name="home"),
    path("tasks/", views.tasks, name="tasks"),
    path("incidents/new/", register.incident_register, name="incident_register"),
    path("incidents/<int:pk>/", card.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/citizen/", card.incident_citizen, name="incident_citizen"),
    path("incidents/<int:pk>/act/<slug:action>/", card.incident_act, name="incident_act"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
