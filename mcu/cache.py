"""The shared cache on Redis: Django's backend, with its client kept and a windowed counter.

- **One client per connection pool.** Django's ``RedisCacheClient`` builds a new
  ``redis.Redis`` for every call (~50 µs each: the client copies its table of ~170 response
  callbacks), four times in an API request (scope, throttle). A ``redis.Redis`` is thread-safe
  and its pool forks safely, so one per pool is kept.
- **``count_in_window``** counts a request in a fixed window in one round trip (the throttle's
  ``add`` then ``incr`` took three: Django's ``incr`` asks ``EXISTS`` first).

Where ``REDIS_URL`` is unset (a laptop) the cache is Django's in-process one, and the throttle
uses the generic ``add``/``incr`` instead.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _KeptClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # The stubs do not declare Django's private helpers used here and below.
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            # Two threads may both build one; either is fine to keep.
            pool = self._get_connection_pool(index)  # type: ignore[attr-defined]
            client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            self._clients[index] = client
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _KeptClient

    def count_in_window(self, key: str, timeout: int) -> int:
        """Add 1 to the counter ``key`` — created at 0, living ``timeout`` seconds — and return
        it. One transaction: the counter cannot expire between its creation and the increment
        (an ``INCR`` after expiry would leave a counter that never expires). The value is an
        integer as Django stores one, so ``get`` reads it."""
        full_key = self.make_and_validate_key(key)
        client = self._cache.get_client(full_key, write=True)  # type: ignore[attr-defined]
        pipeline = client.pipeline(transaction=True)
        pipeline.set(full_key, 0, ex=timeout, nx=True)
        pipeline.incr(full_key)
        _created, count = pipeline.execute()
        return int(count)
