"""The Celery application. Tasks live in each app's ``tasks.py`` and are found automatically."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from mcu.gc_tuning import tune_gc

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcu.settings")

app = Celery("mcu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _tune_gc_in_worker(**_kwargs: Any) -> None:
    # Each prefork child, once forked with the application loaded: see mcu/gc_tuning.py.
    tune_gc()
