from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from roles.access import request_actor


def actor(request: HttpRequest) -> dict[str, Any]:
    """``actor``: the user's capabilities here, for menus (``actor.can`` via the ``can`` tag)."""
    return {"actor": SimpleLazyObject(lambda: request_actor(request))}
