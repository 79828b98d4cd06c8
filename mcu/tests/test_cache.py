"""The Redis cache backend (mcu/cache.py) against a real Redis: CI sets REDIS_URL."""

from __future__ import annotations

import os
import uuid

import pytest

from mcu.cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs a real Redis: set REDIS_URL")


@pytest.fixture
def backend() -> RedisCache:
    return RedisCache(REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})


def test_the_window_counter_counts_reads_back_and_expires(backend) -> None:
    assert [backend.count_in_window("window", 120) for _ in range(3)] == [1, 2, 3]
    assert backend.get("window") == 3  # an integer as Django's own incr leaves it
    client = backend._cache.get_client(write=True)
    ttl = client.ttl(backend.make_and_validate_key("window"))
    assert 0 < ttl <= 120  # the first call set the lifetime and the increments kept it
    assert backend.count_in_window("another", 120) == 1


def test_one_client_is_kept_and_still_works_for_every_call(backend) -> None:
    first = backend._cache.get_client(write=True)
    assert backend._cache.get_client(write=True) is first
    backend.set("key", {"value": 1}, 60)
    assert backend.get("key") == {"value": 1}
    assert backend.add("n", 1, 60)
    assert backend.incr("n") == 2
