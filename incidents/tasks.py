"""Celery entry points of the incident domain: thin, take ids, call one service."""

from __future__ import annotations

import dataclasses

from celery import shared_task

from incidents.services.notifications import notifications_email
from incidents.services.sweep import sweep_tick


@shared_task(acks_late=True)
def notifications_email_task(*, municipality_id: int, notification_ids: list[int]) -> int:
    return notifications_email(municipality_id=municipality_id, notification_ids=notification_ids)


@shared_task(acks_late=True, ignore_result=True)
def sweep_task() -> dict[str, int]:
    """The minute's deadline sweep (beat: ``CELERY_BEAT_SCHEDULE["incidents-deadline-sweep"]``).

    No retries: the next tick a minute later is the retry, and the sweep is exactly-once by
    itself (a redelivered or overlapping tick finds nothing left to do).
    """
    result = sweep_tick()
    return dataclasses.asdict(result)
