"""Who may open the settings pages, and who may change what there.

Changing settings needs the capability of that section (the permission matrix gives
``settings.manage`` and ``channel_secrets.manage`` to the technical administrator, Ловозерский
§3.5; ``roster.manage`` to the head too). *Reading* them is open to everyone who answers for the
center's configuration: the head and the curator see the terms and rules their staff work under
(``audit.view``) even where the act gives the center no administrator of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from roles.access import request_actor
from roles.permissions import ActorCapabilities, Capability

_View = TypeVar("_View", bound=Callable[..., HttpResponse])

VIEW_CAPABILITIES: tuple[Capability, ...] = (
    Capability.SETTINGS_MANAGE,
    Capability.CHANNEL_SECRETS_MANAGE,
    Capability.ROSTER_MANAGE,
    Capability.AUDIT_VIEW,
)


def can_view_settings(actor: ActorCapabilities) -> bool:
    return any(actor.can(capability) for capability in VIEW_CAPABILITIES)


def settings_view_required(view: _View) -> _View:
    """403 for a member who neither manages nor audits the settings (non-members got 404)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_view_settings(request_actor(request)):
            raise PermissionDenied("settings.view")
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]  # wraps() keeps the signature


def require_capability(request: HttpRequest, capability: Capability) -> None:
    """For a write inside a page that viewers may also open: 403 unless the user may write."""
    if not request_actor(request).can(capability):
        raise PermissionDenied(capability.value)
