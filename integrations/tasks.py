"""Celery entry points of the channels: thin, take ids, call one service."""

from __future__ import annotations

from celery import shared_task

from integrations.services.processing import inbound_process, inbox_requeue_stale


@shared_task(acks_late=True)
def inbound_process_task(*, municipality_id: int, inbound_ids: list[int]) -> int:
    return inbound_process(municipality_id=municipality_id, inbound_ids=inbound_ids).processed


@shared_task(acks_late=True)
def inbox_requeue_task() -> int:
    return inbox_requeue_stale()
