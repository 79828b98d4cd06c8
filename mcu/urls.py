from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from integrations import views as integrations_views
from mcu import views as mcu_views
from roles import views as roles_views

# Every page of one municipality lives under /m/<slug>/; the scope middleware reads the slug.
municipality_patterns: list[URLPattern | URLResolver] = [
    path("", include("incidents.web.urls")),
    path("incidents/", include("incidents.listing.urls")),
    path("settings/", include("incidents.configuration.urls")),
    path("reports/", include("reports.urls")),
    path("roster/", roles_views.roster, name="roster"),
    path("imports/", integrations_views.imports, name="imports"),
    path("imports/<int:batch_id>/", integrations_views.import_detail, name="import_detail"),
    path("center/", include("mcu.center_urls")),
]

urlpatterns = [
    path("", mcu_views.picker, name="picker"),
    path("m/<slug:municipality_slug>/", include(municipality_patterns)),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        # Not `municipality_slug`: senders are systems with a signature, not members with a session.
        "integrations/<slug:channel>/<slug:municipality>/",
        integrations_views.webhook,
        name="webhook",
    ),
    path("api/", include("api.urls")),
    path("open311/", include("api.open311_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
