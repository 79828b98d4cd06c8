"""Celery entry points of the incident domain: thin, take ids, call one service."""

from __future__ import annotations

from celery import shared_task

from incidents.services.notifications import notifications_email


@shared_task(acks_late=True)
def notifications_email_task(*, municipality_id: int, notification_ids: list[int]) -> int:
    return notifications_email(municipality_id=municipality_id, notification_ids=notification_ids)
