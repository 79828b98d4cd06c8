"""The request log's retention: old rows go, recent rows stay, whatever the token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import ApiRequestLog
from api.request_log import request_log_prune
from api.tasks import request_log_prune_task

pytestmark = pytest.mark.django_db


def _log(token, at) -> ApiRequestLog:
    return ApiRequestLog.objects.create(
        token=token, at=at, method="GET", endpoint="incidents.list", status=200
    )


def test_rows_older_than_the_retention_are_deleted(make_token, seeded, settings) -> None:
    settings.API_REQUEST_LOG_DAYS = 30
    now = timezone.now()
    first = make_token(region_codes=["86"]).token
    second = make_token(region_codes=["14"]).token
    old = [_log(first, now - timedelta(days=31)), _log(second, now - timedelta(days=400))]
    kept = [
        _log(first, now - timedelta(days=29)),
        _log(second, now - timedelta(hours=1)),
    ]
    assert request_log_prune(now=now) == len(old)
    assert sorted(ApiRequestLog.objects.values_list("pk", flat=True)) == sorted(
        row.pk for row in kept
    )
    assert request_log_prune(now=now) == 0  # the next day's run finds nothing again


def test_the_beat_task_keeps_a_year_by_default(make_token, seeded) -> None:
    token = make_token(region_codes=["86"]).token
    now = timezone.now()
    _log(token, now - timedelta(days=366))
    recent = _log(token, now - timedelta(days=364))
    assert request_log_prune_task.apply().get() == 1
    assert list(ApiRequestLog.objects.values_list("pk", flat=True)) == [recent.pk]
