"""Celery entry points of the center's own work: thin, take ids, call one service.

The services are imported inside the tasks: ``roles.services`` queues the roster task, and this
module must not pull the incident domain into every process that imports it.
"""

from __future__ import annotations

import dataclasses
import smtplib

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def assignments_sweep_task() -> dict[str, int]:
    """The minute's assignment sweep (beat: ``CELERY_BEAT_SCHEDULE["mcu-assignments-sweep"]``).

    No retries: the next tick is the retry, and the sweep is exactly-once by itself.
    """
    from mcu.center.assignments_sweep import assignments_sweep_tick

    return dataclasses.asdict(assignments_sweep_tick())


@shared_task(
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError),
    retry_backoff=True,
    max_retries=8,
)
def roster_change_notify_task(*, municipality_id: int, ended_id: int, started_id: int) -> bool:
    """Tell the region's ЦУР contact of a roster change (Октябрьский Регламент §1.4)."""
    from roles.services import roster_change_cur_notify

    return roster_change_cur_notify(
        municipality_id=municipality_id, ended_id=ended_id, started_id=started_id
    )
