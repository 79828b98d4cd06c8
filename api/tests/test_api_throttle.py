"""Per-token throttling: over the token's rate in a minute a request gets 429 with Retry-After."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from api.models import ApiRequestLog

pytestmark = pytest.mark.django_db


def test_over_the_rate_is_429_with_retry_after(api, make_token, seeded) -> None:
    from api.tests.conftest import ApiClient

    issued = make_token(region_codes=["86"], rate_per_minute=3)
    client = ApiClient(issued.secret)
    # The window is the UTC calendar minute (api/throttling.py): start at its first second.
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(start, tick=False):
        assert [client.get("/api/v1/municipalities/").status_code for _ in range(3)] == [200] * 3
        refused = client.get("/api/v1/municipalities/")
    assert refused.status_code == 429
    assert refused.json() == {"detail": refused.json()["detail"]}
    assert refused["Retry-After"] == "60"
    # Another token is not affected: the limit is per token.
    other = api(region_codes=["86"], rate_per_minute=3)
    assert other.get("/api/v1/municipalities/").status_code == 200
    # The refused request is on record, and counts: a client that ignores Retry-After stays out.
    assert ApiRequestLog.objects.filter(token=issued.token, status=429).count() == 1
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        again = client.get("/open311/v2/oktyabrsky/requests.xml")
        assert again.status_code == 429
        assert again["Retry-After"] == "30"
        assert b"<errors><error><code>429</code>" in again.content
    # The next minute, slots free up again.
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert client.get("/api/v1/municipalities/").status_code == 200


def test_without_the_cache_the_api_still_answers(api, seeded, settings) -> None:
    """Redis down: requests pass unthrottled and scopes come from the database — never a 500."""
    settings.CACHES = {  # Django's setting_changed handler rebuilds the cache handlers
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    client = api(region_codes=["86"], rate_per_minute=1)
    for _ in range(3):  # over the rate, but nothing can count it
        response = client.get("/api/v1/municipalities/")
        assert response.status_code == 200
        assert [m["slug"] for m in response.json()["results"]] == ["oktyabrsky"]
    from mcu.models import Municipality

    Municipality.objects.get(slug="lensky").save()  # the scope signal must not fail either
