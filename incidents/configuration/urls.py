"""«Настройки МЦУ», mounted at /m/<slug>/settings/."""

from django.urls import URLPattern, path

from incidents.configuration import views

urlpatterns: list[URLPattern] = [
    path("", views.index, name="settings_index"),
    path("sla/", views.sla_list, name="settings_sla"),
    path("sla/<int:pk>/", views.sla_edit, name="settings_sla_edit"),
    path("sla/<int:pk>/delete/", views.sla_delete, name="settings_sla_delete"),
    path("routing/", views.routing_list, name="settings_routing"),
    path("routing/try/", views.routing_try, name="settings_routing_try"),
    path("routing/<int:pk>/", views.routing_edit, name="settings_routing_edit"),
    path("routing/<int:pk>/delete/", views.routing_delete, name="settings_routing_delete"),
    path("topics/", views.topics, name="settings_topics"),
    path("templates/", views.template_list, name="settings_templates"),
    path("templates/<int:pk>/", views.template_edit, name="settings_template_edit"),
    path("templates/<int:pk>/active/", views.template_active, name="settings_template_active"),
    path("secrets/", views.secrets, name="settings_secrets"),
    path("secrets/<slug:channel>/issue/", views.secret_issue, name="settings_secret_issue"),
    path("secrets/<int:pk>/revoke/", views.secret_revoke, name="settings_secret_revoke"),
    path("roster/", views.roster_manage, name="settings_roster"),
    path("roster/<int:pk>/end/", views.roster_end, name="settings_roster_end"),
    path("roster/<int:pk>/replace/", views.roster_replace, name="settings_roster_replace"),
]
