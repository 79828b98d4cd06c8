"""Per-token throttling: at most ``ApiToken.rate_per_minute`` requests in any sliding minute.

The window is counted from the request log (``ApiRequestLog``, indexed by token and time), so
the limit holds across every gunicorn worker and machine without a shared cache — the project
has no cache server, and a per-process counter would multiply the limit by the worker count.
Refused requests are logged and counted too: a client that ignores ``Retry-After`` stays out
until it slows down.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api.models import ApiRequestLog, ApiToken

WINDOW = timedelta(minutes=1)


class TokenRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        now = timezone.now()
        recent = ApiRequestLog.objects.filter(token=token, at__gt=now - WINDOW)
        # Count at most `limit` rows: the index scan stops there whatever the traffic.
        limit = token.rate_per_minute
        if recent.order_by()[:limit].count() < limit:
            return True
        # A slot frees when the limit-th newest request leaves the window.
        edge = recent.order_by("-at").values_list("at", flat=True)[limit - 1 : limit].first()
        self._wait = float(max(1, math.ceil(((edge or now) + WINDOW - now).total_seconds())))
        return False

    def wait(self) -> float | None:
        return self._wait
