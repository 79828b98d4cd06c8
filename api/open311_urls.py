"""``/open311/v2/<slug>/…`` — GeoReport v2 read endpoints (see ``api.open311``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path

from api import open311
from api.renderers import dumps


def _not_found(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    """GeoReport's error list, in the format the path asks for (``.xml`` or JSON)."""
    errors = [{"code": 404, "description": "Нет такого адреса Open311."}]
    if request.path.endswith(".xml"):
        body = open311.Open311XmlRenderer().render(errors, renderer_context={"status": 404})
        return HttpResponse(body, status=404, content_type="text/xml; charset=utf-8")
    return HttpResponse(dumps(errors), status=404, content_type="application/json")


urlpatterns: list[URLPattern] = [
    path("v2/<slug:slug>/discovery.json", open311.DiscoveryView.as_view()),
    path("v2/<slug:slug>/services.json", open311.ServicesJsonView.as_view()),
    path("v2/<slug:slug>/services.xml", open311.ServicesXmlView.as_view()),
    path("v2/<slug:slug>/requests.json", open311.RequestsJsonView.as_view()),
    path("v2/<slug:slug>/requests.xml", open311.RequestsXmlView.as_view()),
    path("v2/<slug:slug>/requests/<int:pk>.json", open311.RequestJsonView.as_view()),
    path("v2/<slug:slug>/requests/<int:pk>.xml", open311.RequestXmlView.as_view()),
    re_path(r"^[\s\S]*$", _not_found),
]
