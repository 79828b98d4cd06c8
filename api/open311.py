"""Open311 GeoReport v2, read-only, per municipality (issue 7 item 3): the civic-issue standard
other tools already speak. http://wiki.open311.org/GeoReport_v2

    /open311/v2/<slug>/discovery.json
    /open311/v2/<slug>/services.json|xml            topics of the рубрикатор as services
    /open311/v2/<slug>/requests.json|xml            start_date, end_date, status, service_code,
                                                    service_request_id; extensions updated_after,
                                                    page, page_size
    /open311/v2/<slug>/requests/<id>.json|xml

The same Bearer tokens and scopes as ``/api/v1/`` (a municipality outside the token's scope is
a 404, like a missing one). Personal data never appears, whatever the token's grant: no
applicant, the address down to its street, coordinates to ~100 m, contacts scrubbed from the
description (``api.privacy``). ``expected_datetime`` is our deadline (``due_at``). Times are in
the municipality's own zone, with its offset. Errors are GeoReport's own list of
``{code, description}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar
from xml.etree import ElementTree

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api import privacy
from api.base import ApiView
from api.errors import BadRequest, api_exception_handler
from api.params import MAX_BIGINT, parse_datetime, parse_int
from api.renderers import JsonRenderer
from incidents.models import OPEN_STATUSES, Incident, Status, Topic
from mcu.models import Municipality

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_WINDOW = timedelta(days=90)  # GeoReport: without dates, the last 90 days
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000  # GeoReport: "may not return more than 1000 requests"
MAX_PAGE = 10_000
MAX_IDS = 100
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
SERVICE_FIELDS = (
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
)
_ROW_FIELDS = (
    "id",
    "status",
    "topic__code",
    "topic__name",
    "sector__name",
    "text",
    "masked_text",
    "citizen_name",
    "address",
    "masked_address",
    "latitude",
    "longitude",
    "received_at",
    "updated_at",
    "due_at",
)


# --- XML -------------------------------------------------------------------------------------


def _xml_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class Open311XmlRenderer(BaseRenderer):
    """GeoReport's XML: ``<service_requests><request>…`` / ``<services><service>…`` /
    ``<errors><error>…``; a null is an empty element. Which root, the view says."""

    media_type = "text/xml"
    format = "xml"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        context = renderer_context or {}
        response = context.get("response")
        view = context.get("view")
        status = response.status_code if response is not None else context.get("status", 200)
        if status >= 400:
            root_name, item_name = "errors", "error"
        else:
            root_name = getattr(view, "xml_root", "response")
            item_name = getattr(view, "xml_item", "item")
        root = ElementTree.Element(root_name)
        for item in data or []:
            element = ElementTree.SubElement(root, item_name)
            for key, value in item.items():
                # XML 1.0 cannot carry control characters; a message text may hold them.
                text = "".join(ch for ch in _xml_text(value) if ch >= " " or ch in "\t\n\r")
                ElementTree.SubElement(element, key).text = text
        return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(
            root, encoding="unicode"
        ).encode("utf-8")


# --- Schema (documentation only; see api.schemas) ---------------------------------------------


OPEN311_ERRORS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
        "required": ["code", "description"],
    },
}


class Open311ServiceSchema(serializers.Serializer):
    service_code = serializers.CharField()
    service_name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    metadata = serializers.BooleanField()
    type = serializers.ChoiceField(choices=["realtime", "batch", "blackbox"])
    keywords = serializers.CharField(allow_blank=True)
    group = serializers.CharField(allow_blank=True)


class Open311RequestSchema(serializers.Serializer):
    service_request_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["open", "closed"])
    status_notes = serializers.CharField(allow_blank=True)
    service_name = serializers.CharField(allow_blank=True)
    service_code = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    agency_responsible = serializers.CharField(allow_blank=True)
    service_notice = serializers.CharField(allow_blank=True)
    requested_datetime = serializers.DateTimeField()
    updated_datetime = serializers.DateTimeField()
    expected_datetime = serializers.DateTimeField(allow_null=True)
    address = serializers.CharField(allow_blank=True)
    address_id = serializers.CharField(allow_blank=True)
    zipcode = serializers.CharField(allow_blank=True)
    lat = serializers.FloatField(allow_null=True)
    long = serializers.FloatField(allow_null=True)
    media_url = serializers.CharField(allow_blank=True)


class Open311EndpointSchema(serializers.Serializer):
    specification = serializers.CharField()
    url = serializers.CharField()
    changeset = serializers.CharField()
    type = serializers.CharField()
    formats = serializers.ListField(child=serializers.CharField())


class Open311DiscoverySchema(serializers.Serializer):
    changeset = serializers.CharField()
    contact = serializers.CharField()
    key_service = serializers.CharField()
    endpoints = Open311EndpointSchema(many=True)


def _errors(media_type: str) -> dict[Any, Any]:
    # A raw schema: spectacular documents a `many=True` serializer of an error status as one
    # object, but GeoReport's errors are a list.
    schema: Any = OPEN311_ERRORS if media_type == "application/json" else OpenApiTypes.STR
    return {(status, media_type): schema for status in (400, 401, 404, 429)}


# --- Views ------------------------------------------------------------------------------------


def open311_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """GeoReport's error list, with the API's status codes and headers."""
    response = api_exception_handler(exc, context)
    if response is None:
        return None
    detail = str(response.data.get("detail", ""))
    if isinstance(exc, BadRequest):
        detail = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.errors.items())
    response.data = [{"code": response.status_code, "description": detail}]
    return response


class Open311View(ApiView):
    xml: ClassVar[bool] = False
    xml_root: ClassVar[str] = ""
    xml_item: ClassVar[str] = ""

    def get_renderers(self) -> list[BaseRenderer]:
        return [Open311XmlRenderer() if self.xml else JsonRenderer()]

    def get_exception_handler(self) -> Any:
        return open311_exception_handler

    def open311_municipality(self, slug: str) -> Municipality:
        pk = next((pk for pk, known in self.municipality_slugs.items() if known == slug), None)
        if pk is None:
            raise exceptions.NotFound(_("Муниципальное образование не найдено."))
        self.log_municipality = slug
        return Municipality.objects.select_related("region").get(pk=pk)


SLUG_PARAM = OpenApiParameter("slug", str, OpenApiParameter.PATH, description="slug МО")


def _schema(
    operation_id: str, summary: str, ok: Any, *, xml: bool, parameters: list[Any] | None = None
) -> Any:
    media_type = "text/xml" if xml else "application/json"
    return extend_schema(
        operation_id=operation_id + ("_xml" if xml else "_json"),
        summary=summary,
        tags=["open311"],
        parameters=[SLUG_PARAM, *(parameters or [])],
        responses={(200, media_type): OpenApiTypes.STR if xml else ok, **_errors(media_type)},
    )


class DiscoveryView(Open311View):
    operation = "open311.discovery"

    @_schema("open311_discovery", "GeoReport v2: discovery", Open311DiscoverySchema, xml=False)
    def get(self, request: Request, slug: str) -> Response:
        municipality = self.open311_municipality(slug)
        base = request.build_absolute_uri(f"/open311/v2/{municipality.slug}/")
        region = municipality.region
        return Response(
            {
                "changeset": "2026-11-22T00:00:00+00:00",
                "contact": region.cur_contact_email or region.cur_name,
                "key_service": _(
                    "Токен выдаёт администратор MCU Desk: manage.py api_token create; "
                    "заголовок Authorization: Bearer <токен>."
                ),
                "endpoints": [
                    {
                        "specification": SPECIFICATION,
                        "url": base,
                        "changeset": "2026-11-22T00:00:00+00:00",
                        "type": "production",
                        "formats": ["application/json", "text/xml"],
                    }
                ],
            }
        )


class ServicesView(Open311View):
    operation = "open311.services"
    xml_root, xml_item = "services", "service"

    def get(self, request: Request, slug: str) -> Response:
        self.open311_municipality(slug)
        topics = (
            Topic.objects.filter(is_active=True)
            .select_related("parent")
            .order_by("parent__order", "order", "code")
        )
        services = [
            {
                "service_code": topic.code,
                "service_name": topic.name,
                "description": "",
                "metadata": False,
                "type": "realtime",
                "keywords": "",
                "group": topic.parent.name if topic.parent else topic.name,
            }
            for topic in topics
        ]
        self.log_count = len(services)
        return Response(services)


class ServicesJsonView(ServicesView):
    @_schema(
        "open311_services",
        "GeoReport v2: услуги (темы рубрикатора)",
        Open311ServiceSchema(many=True),
        xml=False,
    )
    def get(self, request: Request, slug: str) -> Response:
        return super().get(request, slug)


class ServicesXmlView(ServicesView):
    xml = True

    @_schema("open311_services", "GeoReport v2: услуги (темы рубрикатора)", None, xml=True)
    def get(self, request: Request, slug: str) -> Response:
        return super().get(request, slug)


def request_json(row: dict[str, Any], municipality: Municipality) -> dict[str, Any]:
    tz = municipality.tz
    due_at = row["due_at"]
    return {
        "service_request_id": str(row["id"]),
        "status": "open" if row["status"] in OPEN_STATUSES else "closed",
        "status_notes": str(Status(row["status"]).label),
        "service_name": row["topic__name"] or "",
        "service_code": row["topic__code"] or "",
        "description": privacy.public_text(
            text=row["text"], masked_text=row["masked_text"], citizen_name=row["citizen_name"]
        ),
        "agency_responsible": row["sector__name"] or municipality.short_name,
        "service_notice": "",
        "requested_datetime": row["received_at"].astimezone(tz),
        "updated_datetime": row["updated_at"].astimezone(tz),
        "expected_datetime": due_at.astimezone(tz) if due_at else None,
        "address": privacy.public_address(
            address=row["address"], masked_address=row["masked_address"]
        ),
        "address_id": "",
        "zipcode": "",
        "lat": privacy.round_coordinate(row["latitude"], exact=False),
        "long": privacy.round_coordinate(row["longitude"], exact=False),
        "media_url": "",
    }


REQUESTS_PARAMS = [
    OpenApiParameter("start_date", OpenApiTypes.DATETIME, description="поступило не раньше"),
    OpenApiParameter("end_date", OpenApiTypes.DATETIME, description="поступило раньше"),
    OpenApiParameter(
        "status", str, description="open, closed или оба через запятую", pattern=r"^[a-z,]*$"
    ),
    OpenApiParameter("service_code", str, description="коды тем через запятую"),
    OpenApiParameter("service_request_id", str, description="номера через запятую (до 100)"),
    OpenApiParameter("updated_after", OpenApiTypes.DATETIME, description="изменено позже"),
    OpenApiParameter(
        "page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, description="с 1"
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        description=f"по умолчанию {DEFAULT_PAGE_SIZE}",
    ),
]


class RequestsView(Open311View):
    operation = "open311.requests"
    xml_root, xml_item = "service_requests", "request"
    query_params = frozenset(
        {
            "start_date",
            "end_date",
            "status",
            "service_code",
            "service_request_id",
            "updated_after",
            "page",
            "page_size",
        }
    )

    def get(self, request: Request, slug: str) -> Response:
        municipality = self.open311_municipality(slug)
        params = request.query_params
        errors: dict[str, list[str]] = {}
        rows = Incident.objects.filter(municipality=municipality)

        def parsed(name: str, parse: Any) -> Any:
            raw = params.get(name)
            if raw is None or raw == "":
                return None
            try:
                return parse(raw)
            except ValidationError as error:
                errors[name] = [str(error.messages[0])]
                return None

        start = parsed("start_date", parse_datetime)
        end = parsed("end_date", parse_datetime)
        updated_after = parsed("updated_after", parse_datetime)
        page = parsed("page", lambda v: parse_int(v, minimum=1, maximum=MAX_PAGE)) or 1
        size = (
            parsed("page_size", lambda v: parse_int(v, minimum=1, maximum=MAX_PAGE_SIZE))
            or DEFAULT_PAGE_SIZE
        )
        statuses = _csv(params.get("status"))
        if not set(statuses) <= {"open", "closed"}:
            errors["status"] = [_("Допустимо: open, closed.")]
        codes = _csv(params.get("service_code"))
        ids = _csv(params.get("service_request_id"))
        if len(ids) > MAX_IDS or not all(i.isdigit() and 0 < int(i) <= MAX_BIGINT for i in ids):
            errors["service_request_id"] = [
                _("Номера через запятую, не больше %(n)s.") % {"n": MAX_IDS}
            ]
        if errors:
            raise BadRequest(errors)
        if start is None and end is None and updated_after is None and not ids:
            start = timezone.now() - DEFAULT_WINDOW
        if start is not None:
            rows = rows.filter(received_at__gte=start)
        if end is not None:
            rows = rows.filter(received_at__lt=end)
        if updated_after is not None:
            rows = rows.filter(updated_at__gt=updated_after)
        if len(set(statuses)) == 1:
            open_q = Q(status__in=OPEN_STATUSES)
            rows = rows.filter(open_q if statuses[0] == "open" else ~open_q)
        if codes:
            rows = rows.filter(Q(topic__code__in=codes) | Q(topic__parent__code__in=codes))
        if ids:
            rows = rows.filter(pk__in=[int(i) for i in ids])
        offset = (page - 1) * size
        found = rows.order_by("-received_at", "-id").values(*_ROW_FIELDS)[offset : offset + size]
        results = [request_json(row, municipality) for row in found]
        self.log_count = len(results)
        return Response(results)


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class RequestsJsonView(RequestsView):
    @_schema(
        "open311_requests",
        "GeoReport v2: сообщения (без персональных данных)",
        Open311RequestSchema(many=True),
        xml=False,
        parameters=REQUESTS_PARAMS,
    )
    def get(self, request: Request, slug: str) -> Response:
        return super().get(request, slug)


class RequestsXmlView(RequestsView):
    xml = True

    @_schema(
        "open311_requests",
        "GeoReport v2: сообщения (без персональных данных)",
        None,
        xml=True,
        parameters=REQUESTS_PARAMS,
    )
    def get(self, request: Request, slug: str) -> Response:
        return super().get(request, slug)


ID_PARAM = OpenApiParameter(
    "id", {"type": "integer", "minimum": 1, "maximum": MAX_BIGINT}, OpenApiParameter.PATH
)


class RequestView(Open311View):
    operation = "open311.request"
    xml_root, xml_item = "service_requests", "request"

    def get(self, request: Request, slug: str, pk: int) -> Response:
        municipality = self.open311_municipality(slug)
        if not 0 < pk <= MAX_BIGINT:
            raise exceptions.NotFound(_("Сообщение не найдено."))
        self.log_object_id = pk
        row = Incident.objects.filter(municipality=municipality, pk=pk).values(*_ROW_FIELDS).first()
        if row is None:
            raise exceptions.NotFound(_("Сообщение не найдено."))
        self.log_count = 1
        return Response([request_json(row, municipality)])  # GeoReport: a list of one


class RequestJsonView(RequestView):
    @_schema(
        "open311_request",
        "GeoReport v2: одно сообщение",
        Open311RequestSchema(many=True),
        xml=False,
        parameters=[ID_PARAM],
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        return super().get(request, slug, pk)


class RequestXmlView(RequestView):
    xml = True

    @_schema(
        "open311_request", "GeoReport v2: одно сообщение", None, xml=True, parameters=[ID_PARAM]
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        return super().get(request, slug, pk)
