"""Every API error is ``{"detail": "...", "errors": {"field": ["..."]}}`` (issue 7 item 2).

One exception handler maps DRF's exceptions (and the few of Django's that reach a view) to that
shape; ``errors`` appears when a named input was wrong. Nothing a client sends may become a 500:
the parameter parsers reject what the database would refuse before it gets there.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback


class BadRequest(exceptions.ValidationError):
    """400 with errors by parameter name."""

    def __init__(self, errors: dict[str, list[str]], detail: str | None = None) -> None:
        super().__init__(errors)
        self.errors = errors
        self.summary = detail or _("Неверные параметры запроса.")


def bad_param(name: str, message: str) -> BadRequest:
    return BadRequest({name: [message]})


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [text for value in detail.values() for text in _flatten(value)]
    if isinstance(detail, list):
        return [text for value in detail for text in _flatten(value)]
    return [str(detail)]


def error_body(detail: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail}
    if errors:
        body["errors"] = errors
    return body


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Не найдено."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug, not bad input: let it be a 500 and reach the error log
    headers: dict[str, str] = {}
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    wait = getattr(exc, "wait", None)  # Throttled's; the stubs do not declare it
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    if isinstance(exc, BadRequest):
        body = error_body(exc.summary, exc.errors)
    elif isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        errors = (
            {str(key): _flatten(value) for key, value in detail.items()}
            if isinstance(detail, dict)
            else {"non_field_errors": _flatten(detail)}
        )
        body = error_body(_("Неверные параметры запроса."), errors)
    else:
        body = error_body(str(exc.detail))
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


def not_found_json(*args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/ answer in the API's shape, not with the HTML 404 page."""
    return JsonResponse(
        error_body(_("Нет такого адреса API.")),
        status=status.HTTP_404_NOT_FOUND,
        json_dumps_params={"ensure_ascii": False},
    )
