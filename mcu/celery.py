"""The Celery application. Tasks live in each app's ``tasks.py`` and are found automatically."""

import os
from typing import Any

from celery import Celery, Task
from celery.signals import beat_embedded_init, task_postrun, task_prerun, worker_process_init
from django.db import close_old_connections, connections

from mcu.gc_tuning import tune_gc

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcu.settings")

app = Celery("mcu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _tune_gc_in_worker(**_kwargs: Any) -> None:
    # Each prefork child, once forked with the application loaded: see mcu/gc_tuning.py.
    tune_gc()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(sender: Task | None = None, **_kwargs: Any) -> None:
    """Around each task, what Django does around each web request: a connection older than
    ``CONN_MAX_AGE``, or left unusable by an error, is closed; any other is kept, and checked
    once before its next use (``CONN_HEALTH_CHECKS``). Celery's own fixup would close every
    connection here (``CELERY_DB_REUSE_MAX`` in mcu/settings.py tells it not to).

    Not for a task run eagerly (``.apply()``, tests): it runs inside its caller, whose open
    transaction must not lose its connection."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    close_old_connections()


@beat_embedded_init.connect
def _close_connections_in_embedded_beat(**_kwargs: Any) -> None:
    # The beat embedded in a worker (``worker -B``, the laptop's ``make run``) starts without
    # the worker's connections: Celery's fixup closed them here until ``CELERY_DB_REUSE_MAX``
    # switched its closing off, so this does what it did.
    connections.close_all()
