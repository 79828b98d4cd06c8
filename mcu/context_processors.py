from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def municipality(request: HttpRequest) -> dict[str, Any]:
    """The current municipality and its local time, for the header of every page."""
    current = getattr(request, "municipality", None)
    if current is None:
        return {"municipality": None}
    return {"municipality": current, "local_now": current.local_time()}
