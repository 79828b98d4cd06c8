"""The reference application of ``bench/calibrate.py``: a plain DRF list, as FACTS.md measured it.

    gunicorn bench.calibrate_app:application   (with mcu.settings' environment)

One endpoint, ``/plain/incidents/?municipality=<slug>``: a ``ListAPIView`` with a
``ModelSerializer``, DRF's ``CursorPagination`` (50 rows, ``updated_at, id``), no authentication,
no throttle, no request log — the "plain DRF cursor-paginated list without auth" that issue 7's
list target was set against (FACTS.md: ~255 requests/s, p95 22 ms with 4 clients on 2 gunicorn
workers). It shares the project's settings, middleware and database, so what it measures is the
machine, not our API code.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcu.settings")
settings.ROOT_URLCONF = __name__  # this module's urlpatterns, not the product's
application = get_wsgi_application()

# Below needs the apps loaded (get_wsgi_application ran django.setup()).
from django.db.models import QuerySet  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework import serializers  # noqa: E402
from rest_framework.generics import ListAPIView  # noqa: E402
from rest_framework.pagination import CursorPagination  # noqa: E402
from rest_framework.request import Request  # noqa: E402

from incidents.models import Incident  # noqa: E402
from mcu.models import Municipality  # noqa: E402
from mcu.tenancy import Scope, dangerously_unscoped, reset_scope, set_scope  # noqa: E402

with dangerously_unscoped(reason="bench: the reference list reads every municipality"):
    MUNICIPALITIES = dict(Municipality.objects.values_list("slug", "pk"))


class PlainIncidentSerializer(serializers.ModelSerializer[Incident]):
    class Meta:
        model = Incident
        fields = [
            "id",
            "channel",
            "external_id",
            "status",
            "fast_track",
            "text",
            "address",
            "received_at",
            "due_at",
            "answered_at",
            "updated_at",
        ]


class PlainPage(CursorPagination):
    page_size = 50
    ordering = ("updated_at", "id")


class PlainIncidentList(ListAPIView[Incident]):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    serializer_class = PlainIncidentSerializer
    pagination_class = PlainPage

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self._scope = set_scope(Scope(frozenset(MUNICIPALITIES.values())))

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if hasattr(self, "_scope"):
            reset_scope(self._scope)
        return super().finalize_response(request, response, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Incident]:
        slug = self.request.query_params.get("municipality", "")
        return Incident.objects.filter(municipality_id=MUNICIPALITIES.get(slug, 0))


urlpatterns = [path("plain/incidents/", PlainIncidentList.as_view())]
