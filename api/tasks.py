"""Celery entry points of the API: thin, call one service."""

from __future__ import annotations

from celery import shared_task

from api.request_log import request_log_prune


@shared_task(acks_late=True, ignore_result=True)
def request_log_prune_task() -> int:
    """Daily (beat: ``CELERY_BEAT_SCHEDULE["api-request-log-prune"]``); idempotent."""
    return request_log_prune()
