"""Per-token throttling: at most ``ApiToken.rate_per_minute`` requests in a minute.

The count lives in the shared cache (Redis where it runs; settings.CACHES), one counter per
token and UTC calendar minute, so the limit holds across every gunicorn worker at the cost of
one cache round trip (counting the request log instead cost a database query per request). If
the cache cannot be reached, requests pass unthrottled and a warning is logged: an outage of
Redis must not take the ЦУР's API down with it. A fixed window lets a client spend its
limit at the end of one minute and again at the start of the next; ``Retry-After`` names the
seconds left in the current minute. Refused requests count too: a client that ignores
``Retry-After`` stays out until the minute is over.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.cache import cache, caches
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api.models import ApiToken
from mcu.cache import RedisCache

logger = logging.getLogger(__name__)
WINDOW_SECONDS = 60


def window_count(token: ApiToken, now: float) -> int:
    """Count this request in ``token``'s current minute and return the minute's count so far."""
    # Keyed by the secret's hash, not the row id: ids restart in a new test database, hashes
    # never repeat. Two minutes of life outlast the window on any clock skew.
    key = f"api-throttle:{token.token_hash[:32]}:{int(now // WINDOW_SECONDS)}"
    backend = caches["default"]  # the backend itself: `cache` is a proxy to it
    if isinstance(backend, RedisCache):  # one round trip instead of three (mcu/cache.py)
        return backend.count_in_window(key, 2 * WINDOW_SECONDS)
    if cache.add(key, 1, timeout=2 * WINDOW_SECONDS):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between the two calls: this request opens it again
        cache.set(key, 1, timeout=2 * WINDOW_SECONDS)
        return 1


class TokenRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        now = timezone.now().timestamp()
        try:
            count = window_count(token, now)
        except Exception:  # the cache's client raises its own errors (redis.ConnectionError…)
            logger.warning("API throttle cache unavailable: request of %s not counted", token)
            return True
        if count <= token.rate_per_minute:
            return True
        left = WINDOW_SECONDS - now % WINDOW_SECONDS
        self._wait = float(max(1, math.ceil(left)))
        return False

    def wait(self) -> float | None:
        return self._wait
