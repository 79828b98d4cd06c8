"""The API request log's retention: rows older than ``API_REQUEST_LOG_DAYS`` are deleted.

Every API request writes a row (``api.base``); a ЦУР that syncs every minute writes half a
million a year per token, so without a limit the table only grows. The default keeps a year —
long enough to answer «кто и когда выгружал персональные данные» for the period a complaint or
an audit usually asks about.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from api.models import ApiRequestLog

PRUNE_BATCH = 10_000  # rows per DELETE: short transactions, no long lock on a busy table


def request_log_prune(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete log rows older than ``days`` (default: the setting); returns how many."""
    keep = settings.API_REQUEST_LOG_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=keep)
    deleted = 0
    while True:
        ids = list(
            ApiRequestLog.objects.filter(at__lt=cutoff)
            .order_by("pk")
            .values_list("pk", flat=True)[:PRUNE_BATCH]
        )
        if not ids:
            return deleted
        deleted += ApiRequestLog.objects.filter(pk__in=ids).delete()[0]
