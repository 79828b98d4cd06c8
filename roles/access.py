"""Who may open a page: the request's capabilities, and a decorator built on them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from roles.models import User
from roles.permissions import NO_CAPABILITIES, ActorCapabilities, Capability
from roles.selectors import actor_capabilities

_View = TypeVar("_View", bound=Callable[..., HttpResponse])


def request_actor(request: HttpRequest) -> ActorCapabilities:
    """The user's capabilities in the request's municipality, computed once per request."""
    cached: ActorCapabilities | None = getattr(request, "_mcu_actor", None)
    if cached is not None:
        return cached
    municipality = getattr(request, "municipality", None)
    actor = (
        NO_CAPABILITIES
        if municipality is None
        else actor_capabilities(user=request.user, municipality=municipality)
    )
    request._mcu_actor = actor  # type: ignore[attr-defined]
    return actor


def capability_required(capability: Capability) -> Callable[[_View], _View]:
    """403 for a member of the municipality who lacks the capability.

    Non-members never get here: the scope middleware answers them 404 first.
    """

    def decorator(view: _View) -> _View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request_actor(request).can(capability):
                raise PermissionDenied(capability.value)
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def signed_in_user(request: HttpRequest) -> User:
    """The request's user as our User model; pages under /m/<slug>/ are never anonymous."""
    if not request.user.is_authenticated:
        raise PermissionDenied("anonymous")
    return request.user
