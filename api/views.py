"""``/api/v1/`` — the ЦУР's read API (issue 7 item 2, DESIGN §8). One view per operation.

Every view runs in the scope of its token's municipalities (``ApiView``). An object outside
that scope is a 404, the same answer as a missing one (STYLE §Tenancy).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.http import HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api.base import ApiView
from api.errors import bad_param
from api.filters import IncidentFilters
from api.params import MAX_BIGINT, parse_date, parse_int
from api.presenters import (
    answer_json,
    detail_fields,
    events_json,
    incident_json,
    page_fields,
)
from api.renderers import JsonRenderer, link_header, stream_object
from api.schemas import (
    ErrorSchema,
    IncidentDetailSchema,
    IncidentPageSchema,
    MunicipalityListSchema,
    RosterSchema,
)
from api.sync import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Cursor, keyset_page
from incidents.models import Answer, Incident, IncidentEvent, Status
from mcu.models import Municipality
from roles.models import Channel, RoleAssignment
from roles.selectors import roster_for_municipality

ERRORS = {
    400: OpenApiResponse(ErrorSchema, description="Неверные параметры"),
    401: OpenApiResponse(ErrorSchema, description="Нет токена или он недействителен"),
    404: OpenApiResponse(ErrorSchema, description="Не найдено (или вне охвата токена)"),
    429: OpenApiResponse(ErrorSchema, description="Слишком много запросов; см. Retry-After"),
}
Q_: Final = "query"
# A list page of more rows than this streams its body in chunks of this many rows.
STREAM_ROWS: Final = 200


def _param(name: str, type_: Any, description: str, **extra: Any) -> OpenApiParameter:
    return OpenApiParameter(name, type_, Q_, description=description, **extra)


MUNICIPALITY_PARAM = _param(
    "municipality", str, "slug муниципального образования из охвата токена", required=True
)


class MunicipalityApiView(ApiView):
    """An operation about one municipality named by ``?municipality=<slug>``."""

    def municipality(self, request: Request) -> Municipality:
        values = request.query_params.getlist("municipality")
        if not values or not values[0].strip():
            raise bad_param("municipality", _("Обязательный параметр."))
        if len(values) > 1:
            raise bad_param("municipality", _("Укажите одно муниципальное образование."))
        slug = values[0].strip()
        pk = next((pk for pk, known in self.municipality_slugs.items() if known == slug), None)
        if pk is None:
            # Missing and foreign alike: a token learns nothing about others' municipalities.
            raise exceptions.NotFound(_("Муниципальное образование не найдено."))
        self.log_municipality = slug
        return Municipality.objects.select_related("region").get(pk=pk)


class MunicipalityListView(ApiView):
    operation = "municipalities.list"

    @extend_schema(
        operation_id="municipalities_list",
        summary="Муниципальные образования в охвате токена",
        responses={200: MunicipalityListSchema, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        rows = (
            Municipality.objects.filter(pk__in=self.municipality_slugs)
            .select_related("region")
            .order_by("slug")
        )
        results = [
            {
                "slug": m.slug,
                "name": m.name,
                "short_name": m.short_name,
                "region": {"code": m.region.code, "name": m.region.name},
                "timezone": m.timezone,
            }
            for m in rows
        ]
        self.log_count = len(results)
        return Response({"results": results})


INCIDENT_FILTER_PARAMS = [
    _param("municipality", {"type": "array", "items": {"type": "string"}}, "slug; можно несколько"),
    _param(
        "channel",
        {"type": "array", "items": {"type": "string", "enum": Channel.values}},
        "канал; можно несколько",
    ),
    _param(
        "status",
        {"type": "array", "items": {"type": "string", "enum": Status.values}},
        "статус; можно несколько",
    ),
    _param("sector", {"type": "array", "items": {"type": "string"}}, "код отраслевого блока"),
    _param("topic", {"type": "array", "items": {"type": "string"}}, "код темы (с подтемами)"),
    _param("received_after", OpenApiTypes.DATETIME, "поступило не раньше (со смещением)"),
    _param("received_before", OpenApiTypes.DATETIME, "поступило раньше (со смещением)"),
    _param("updated_after", OpenApiTypes.DATETIME, "изменено позже (начало синхронизации)"),
    _param("overdue", OpenApiTypes.BOOL, "просрочено: открыт после срока или ответ после срока"),
    _param("fast_track", OpenApiTypes.BOOL, "фаст-трек ПОС"),
    _param("cursor", str, "позиция из ссылок next / previous / resume"),
    _param(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        f"строк на странице, по умолчанию {DEFAULT_PAGE_SIZE}",
    ),
]


class IncidentListView(ApiView):
    operation = "incidents.list"
    query_params = frozenset(
        {
            "municipality",
            "channel",
            "status",
            "sector",
            "topic",
            "received_after",
            "received_before",
            "updated_after",
            "overdue",
            "fast_track",
            "cursor",
            "page_size",
        }
    )

    @extend_schema(
        operation_id="incidents_list",
        summary="Инциденты: фильтры и курсорная синхронизация по (updated_at, id)",
        parameters=[
            *INCIDENT_FILTER_PARAMS,
            OpenApiParameter(
                "Link",
                str,
                OpenApiParameter.HEADER,
                response=[200],
                description='RFC 8288: <…>; rel="next", <…>; rel="previous" — те же ссылки, '
                "что next / previous в теле; по ним можно запросить следующую страницу, "
                "не дочитав текущую",
            ),
        ],
        responses={200: IncidentPageSchema, **ERRORS},
    )
    def get(self, request: Request) -> HttpResponseBase:
        filters = IncidentFilters.parse(
            request.query_params, municipality_slugs=self.municipality_slugs
        )
        size = self.page_size(request)
        raw_cursor = request.query_params.get("cursor")
        cursor = Cursor.decode(raw_cursor) if raw_cursor else None
        now = timezone.now()
        exact = self.token.personal_data
        page = keyset_page(
            filters=filters, cursor=cursor, size=size, now=now, fields=page_fields(exact=exact)
        )
        slugs = self.municipality_slugs
        rows = page.rows
        self.log_count = len(rows)
        self.log_personal_data = exact and bool(rows)
        self.log_municipality = ",".join(request.query_params.getlist("municipality"))
        links = self.links(request, cursor, page.keys, page.has_more)

        def present(chunk: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
            return [incident_json(row, slugs=slugs, exact=exact, now=now) for row in chunk]

        response: HttpResponseBase
        if request.method == "GET" and len(rows) > STREAM_ROWS:
            # The rows are read; the links are known. The headers (with ``Link``) leave now and
            # the body follows as it is built, so a client can ask for the next page while
            # this one is still being written (README «REST API for the ЦУР»). The body is
            # built after the view has returned and its tenant scope is gone: presenting
            # must not query (a query there fails for want of a scope, it cannot leak).
            response = StreamingHttpResponse(
                stream_object(links, "results", rows, present, chunk=STREAM_ROWS),
                content_type=JsonRenderer.media_type,
            )
        else:
            response = Response({**links, "results": present(rows)})
        if header := link_header(links):
            response["Link"] = header
        return response

    def page_size(self, request: Request) -> int:
        raw = request.query_params.get("page_size")
        if raw is None:
            return DEFAULT_PAGE_SIZE
        try:
            return parse_int(raw, minimum=1, maximum=MAX_PAGE_SIZE)
        except ValidationError as error:
            raise bad_param("page_size", _message(error)) from None

    def links(
        self, request: Request, cursor: Cursor | None, keys: list[Any], has_more: bool
    ) -> dict[str, str | None]:
        url = request.build_absolute_uri()

        def at(position: Cursor | None) -> str | None:
            return (
                None if position is None else replace_query_param(url, "cursor", position.encode())
            )

        backwards = cursor is not None and cursor.backwards
        first = Cursor.at(keys[0], backwards=True) if keys else None
        last = Cursor.at(keys[-1]) if keys else None
        if backwards:
            assert cursor is not None
            here_forward = Cursor(cursor.updated_at, cursor.id)
            return {
                "next": at(last or here_forward),
                "previous": at(first) if has_more else None,
                "resume": at(last or here_forward) or url,
            }
        return {
            "next": at(last) if has_more else None,
            "previous": None
            if cursor is None
            else at(first or Cursor(cursor.updated_at, cursor.id, backwards=True)),
            "resume": at(last or cursor) or url,
        }


def _message(error: ValidationError) -> str:
    return str(error.messages[0])


class IncidentDetailView(ApiView):
    operation = "incidents.detail"

    @extend_schema(
        operation_id="incidents_retrieve",
        summary="Инцидент с хронологией и опубликованными ответами",
        parameters=[
            OpenApiParameter(
                "id",
                {"type": "integer", "minimum": 1, "maximum": MAX_BIGINT},
                OpenApiParameter.PATH,
            )
        ],
        responses={200: IncidentDetailSchema, **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        if not 0 < pk <= MAX_BIGINT:
            raise exceptions.NotFound(_("Инцидент не найден."))
        self.log_object_id = pk
        exact = self.token.personal_data
        fields = detail_fields(exact=exact)
        row = (
            Incident.objects.filter(pk=pk, municipality_id__in=self.municipality_slugs)
            .values_list(*fields)
            .first()
        )
        if row is None:
            raise exceptions.NotFound(_("Инцидент не найден."))
        municipality_id = row[fields.index("municipality_id")]
        events = (
            IncidentEvent.objects.filter(municipality_id=municipality_id, incident_id=pk)
            .select_related("actor")
            .order_by("at", "pk")
        )
        answers = Answer.objects.filter(
            municipality_id=municipality_id, incident_id=pk, state=Answer.State.PUBLISHED
        ).order_by("published_at", "pk")
        body = incident_json(row, slugs=self.municipality_slugs, exact=exact, now=timezone.now())
        body["events"] = events_json(events, exact=exact)
        body["answers"] = [answer_json(answer) for answer in answers]
        self.log_count = 1
        self.log_personal_data = exact
        self.log_municipality = self.municipality_slugs[municipality_id]
        return Response(body)


class RosterView(MunicipalityApiView):
    operation = "roster"
    query_params = frozenset({"municipality", "at"})

    @extend_schema(
        operation_id="roster_retrieve",
        summary="Состав МЦУ на дату: кто какую роль занимал",
        parameters=[
            MUNICIPALITY_PARAM,
            _param(
                "at", OpenApiTypes.DATE, "дата (ГГГГ-ММ-ДД); по умолчанию — сегодня по местному"
            ),
        ],
        responses={200: RosterSchema, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        municipality = self.municipality(request)
        raw_at = request.query_params.get("at")
        try:
            day: date = parse_date(raw_at) if raw_at else municipality.local_time().date()
        except ValidationError as error:
            raise bad_param("at", _message(error)) from None
        roster = roster_for_municipality(municipality=municipality, on=day)
        # Demo logins stand in for every chair on a laptop; they are nobody the ЦУР should see.
        rows = [r for r in roster.current if r.source != RoleAssignment.Source.DEMO]
        results = [
            {
                "role": {"code": r.role, "name": str(r.get_role_display())},
                "holder": r.user.display_name if r.user else None,
                "position": r.position_title or (r.user.position if r.user else ""),
                "sector": {"code": r.sector.code, "name": r.sector.name} if r.sector else None,
                "channel": r.channel or None,
                "org_unit": {"code": r.org_unit.code, "name": r.org_unit.name}
                if r.org_unit
                else None,
                "valid_from": r.valid_from,
                "valid_to": r.valid_to,
                "act_clause": r.act_clause,
                "source": r.source,
            }
            for r in rows
        ]
        self.log_count = len(results)
        return Response({"municipality": municipality.slug, "at": day, "results": results})
