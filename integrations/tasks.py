"""Celery entry points of the channels: thin, take ids, call one service."""

from __future__ import annotations

from celery import shared_task

from integrations.services.imports import import_batch_run, import_batches_requeue_stale
from integrations.services.outbox import outbox_deliver, outbox_requeue_due
from integrations.services.processing import inbound_process, inbox_requeue_stale


@shared_task(acks_late=True)
def inbound_process_task(*, municipality_id: int, inbound_ids: list[int]) -> int:
    return inbound_process(municipality_id=municipality_id, inbound_ids=inbound_ids).processed


@shared_task(acks_late=True)
def inbox_requeue_task() -> int:
    # The same minute's beat serves the background imports lost with their worker.
    return inbox_requeue_stale() + import_batches_requeue_stale()


@shared_task(acks_late=True)
def outbox_deliver_task(*, municipality_id: int, outbox_id: int) -> str:
    return outbox_deliver(municipality_id=municipality_id, outbox_id=outbox_id)


@shared_task(acks_late=True)
def outbox_requeue_task() -> int:
    return outbox_requeue_due()


@shared_task(acks_late=True)
def import_batch_task(*, municipality_id: int, batch_id: int) -> str:
    batch = import_batch_run(municipality_id=municipality_id, batch_id=batch_id)
    return batch.state if batch is not None else "missing"
