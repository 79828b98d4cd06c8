"""Staff workspace pages of one municipality (mounted under /m/<slug>/)."""

from django.urls import path

from incidents.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
