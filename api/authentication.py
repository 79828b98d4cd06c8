"""``Authorization: Bearer <token>`` — the only way into the API (issue 7 item 1).

Anything else in that header (another scheme, no token, spaces, characters a token never has)
is a 401 with ``WWW-Authenticate: Bearer``; an unknown, revoked or expired token is a 401 with
one message for all three, so the answer tells nothing about which tokens exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from api.models import ApiToken
from api.tokens import api_token_for_secret

_SECRET = re.compile(r"[A-Za-z0-9_-]{16,128}")


@dataclass(frozen=True)
class ApiClient:
    """``request.user`` of an API request: a system known by its token, never a person."""

    token: ApiToken
    is_authenticated: bool = True
    is_active: bool = True
    is_superuser: bool = False
    is_staff: bool = False
    pk: None = None

    def __str__(self) -> str:
        return f"api:{self.token.name}"


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiClient, ApiToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.strip():
            return None  # → NotAuthenticated (401) from the permission below
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != "bearer":
            raise exceptions.AuthenticationFailed(
                _("Заголовок Authorization должен иметь вид «Bearer <токен>».")
            )
        secret = parts[1]
        if not _SECRET.fullmatch(secret):
            raise exceptions.AuthenticationFailed(_("Токен недействителен, отозван или истёк."))
        token = api_token_for_secret(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Токен недействителен, отозван или истёк."))
        return ApiClient(token=token), token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class HasApiToken(BasePermission):
    message = _("Нужен заголовок Authorization: Bearer <токен>.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ApiToken)
