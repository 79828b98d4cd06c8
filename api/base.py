"""The base of every API view: token, scope, strict parameters, throttle, error shape, log.

Order of a request: Bearer token (401) → throttle (429) → the token's municipalities become the
tenant scope for the rest of the request → unknown or NUL-bearing parameters (400) → the
handler → one ``ApiRequestLog`` row (token, operation, municipalities, status, row count; never
the data itself).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from contextvars import Token
from typing import Any, ClassVar

from django.db import DatabaseError, connection
from django.db.models import Field
from django.http import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.views import APIView

from api.authentication import BearerTokenAuthentication, HasApiToken
from api.errors import BadRequest, api_exception_handler
from api.models import ApiRequestLog, ApiToken
from api.params import MAX_VALUE_LENGTH
from api.renderers import FixedNegotiation, JsonRenderer
from api.throttling import TokenRateThrottle
from api.tokens import token_scope
from mcu.sql import table
from mcu.tenancy import Scope, reset_scope, set_scope

logger = logging.getLogger(__name__)


class ApiView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [HasApiToken]
    throttle_classes = [TokenRateThrottle]
    renderer_classes = [JsonRenderer]
    parser_classes = []  # read-only API: no request bodies
    content_negotiation_class = FixedNegotiation
    # Read-only: anything but GET (and HEAD) is a 405, OPTIONS included (DRF's metadata answer
    # would describe a schema the OpenAPI document already gives).
    http_method_names = ["get", "head"]
    # Query parameters the operation knows; any other is a 400 (a typo must not silently widen
    # a sync to everything).
    query_params: ClassVar[frozenset[str]] = frozenset()
    operation: ClassVar[str] = ""

    # Set per request.
    token: ApiToken
    municipality_slugs: dict[int, str]  # the token's scope: id → slug
    log_municipality: str = ""
    log_object_id: int | None = None
    log_count: int | None = None
    log_personal_data: bool = False

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Any]:
        return api_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self._started = time.monotonic()
        self._scope_token: Token[Scope | None] | None = None
        super().initial(request, *args, **kwargs)
        if (request.method or "").lower() not in self.http_method_names:
            # Before the parameters: a wrong method is the first thing wrong with the request.
            self.http_method_not_allowed(request, *args, **kwargs)
        assert isinstance(request.auth, ApiToken)  # HasApiToken has let only tokens through
        self.token = request.auth
        self.municipality_slugs = token_scope(self.token)
        self._scope_token = set_scope(Scope(frozenset(self.municipality_slugs)))
        self.check_query_params(request)

    def check_query_params(self, request: Request) -> None:
        errors: dict[str, list[str]] = {}
        for name, values in request.query_params.lists():
            label = name[:60]
            if name not in self.query_params:
                errors[label] = [_("Неизвестный параметр.")]
            elif any("\x00" in value for value in (name, *values)):
                errors[label] = [_("Недопустимый символ NUL.")]
            elif any(len(value) > MAX_VALUE_LENGTH for value in values):
                errors[label] = [_("Слишком длинное значение.")]
            elif any(not value.strip() for value in values):
                # `?updated_after=` must not quietly mean "no filter": a sync would restart.
                errors[label] = [_("Пустое значение: уберите параметр или укажите его.")]
        if errors:
            raise BadRequest(errors)

    def finalize_response(  # type: ignore[override]  # a plain HttpResponse (xlsx) passes too
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[arg-type]  # see above
        if getattr(self, "_scope_token", None) is not None:
            reset_scope(self._scope_token)  # type: ignore[arg-type]
            self._scope_token = None
        token = request.auth if hasattr(request, "_auth") else None
        if isinstance(token, ApiToken):
            self.log_request(request, token, response.status_code)
        return response

    def log_request(self, request: Request, token: ApiToken, status: int) -> None:
        started = getattr(self, "_started", time.monotonic())
        entry = ApiRequestLog(
            token=token,
            at=timezone.now(),
            method=request.method or "",
            endpoint=self.operation or request.path[:200],
            object_id=self.log_object_id,
            municipality=self.log_municipality[:300],
            status=status,
            count=self.log_count,
            personal_data=self.log_personal_data and status < 400,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        try:
            request_log_write(entry)
        except DatabaseError:
            logger.exception("API request log not written: %s %s", request.method, request.path)


def request_log_write(entry: ApiRequestLog) -> None:
    """Insert ``entry`` in one round trip. A log row lost in a database crash is acceptable;
    waiting for a WAL flush on every API request is not: on PostgreSQL the insert shares one
    query string with ``SET LOCAL synchronous_commit TO OFF``, which a multi-statement query
    runs as one implicit transaction (BEGIN, SET, COMMIT as statements of their own cost three
    more round trips)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        entry.save()
        return
    sql, fields = _log_insert()
    values = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


@functools.cache
def _log_insert() -> tuple[str, list[Field[Any, Any]]]:
    """The statement of ``request_log_write`` and its fields, built once per process."""
    fields = [f for f in ApiRequestLog._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Only the model's own table and column names go into the text; values are parameters.
    sql = f"SET LOCAL synchronous_commit TO OFF; INSERT INTO {table(ApiRequestLog)} ({columns}) VALUES ({placeholders})"  # noqa: S608, E501
    return sql, fields
