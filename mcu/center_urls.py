"""/m/<slug>/center/…: the center's own work — meetings, assignments, roadmaps, hearings."""

from django.urls import path

from mcu.center import views

urlpatterns = [
    path("", views.index, name="center_index"),
    path("meetings/", views.meeting_list, name="center_meetings"),
    path("meetings/new/", views.meeting_create, name="center_meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="center_meeting"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="center_meeting_edit"),
    path("meetings/<int:pk>/decisions/", views.decision_add, name="center_decision_add"),
    path(
        "meetings/<int:pk>/decisions/<int:decision_id>/edit/",
        views.decision_edit,
        name="center_decision_edit",
    ),
    path(
        "meetings/<int:pk>/decisions/<int:decision_id>/assignments/new/",
        views.assignment_create,
        name="center_assignment_create",
    ),
    path("meetings/<int:pk>/sign/", views.protocol_sign, name="center_protocol_sign"),
    path("meetings/<int:pk>/protocol/", views.protocol_print, name="center_protocol_print"),
    path("meetings/<int:pk>/protocol.docx", views.protocol_download, name="center_protocol_docx"),
    path("assignments/", views.assignment_list, name="center_assignments"),
    path("assignments/<int:pk>/", views.assignment_detail, name="center_assignment"),
    path("assignments/<int:pk>/edit/", views.assignment_edit, name="center_assignment_edit"),
    path("roadmaps/", views.roadmap_list, name="center_roadmaps"),
    path("roadmaps/new/", views.roadmap_create, name="center_roadmap_create"),
    path("roadmaps/<int:pk>/", views.roadmap_detail, name="center_roadmap"),
    path("roadmaps/<int:pk>/edit/", views.roadmap_edit, name="center_roadmap_edit"),
    path("roadmaps/<int:pk>/approve/", views.roadmap_approve, name="center_roadmap_approve"),
    path("roadmaps/<int:pk>/measures/", views.measure_add, name="center_measure_add"),
    path(
        "roadmaps/<int:pk>/measures/<int:measure_id>/edit/",
        views.measure_edit,
        name="center_measure_edit",
    ),
    path(
        "roadmaps/<int:pk>/measures/<int:measure_id>/link/",
        views.measure_link,
        name="center_measure_link",
    ),
    path(
        "roadmaps/<int:pk>/links/<int:link_id>/delete/",
        views.measure_unlink,
        name="center_measure_unlink",
    ),
    path("hearings/", views.hearing_list, name="center_hearings"),
    path("hearings/new/", views.hearing_create, name="center_hearing_create"),
    path("hearings/<int:pk>/", views.hearing_edit, name="center_hearing"),
]
