"""Celery entry points of the reports app: thin, take ids, call one service."""

from __future__ import annotations

from celery import shared_task

from reports.services import report_run_generate, reports_schedule


@shared_task(acks_late=True, ignore_result=True)
def report_generate_task(*, run_id: int, municipality_id: int) -> None:
    """No retries: a failed run stays «ошибка» in the archive with its reason, and the user
    asks again; a redelivered task finds a finished run and does nothing."""
    report_run_generate(run_id=run_id, municipality_id=municipality_id)


@shared_task(acks_late=True, ignore_result=True)
def reports_schedule_task() -> int:
    """Beat: ``CELERY_BEAT_SCHEDULE["reports-schedule"]``; each run is created exactly once."""
    return len(reports_schedule())
