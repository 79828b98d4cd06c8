"""The collector is tuned where the application serves or works (mcu/gc_tuning.py), each in a
fresh interpreter as gunicorn and Celery start it — and not in a process that merely imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mcu.gc_tuning import GEN0_THRESHOLD

ROOT = Path(__file__).resolve().parents[2]
REPORT = "print(gc.get_threshold()[0], gc.get_freeze_count() > 0)"
TUNED = [str(GEN0_THRESHOLD), "True"]
UNTUNED = ["700", "False"]  # Python's defaults


def run(code: str) -> list[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mcu.settings_test"}
    done = subprocess.run(  # noqa: S603 — this interpreter, our own code
        [sys.executable, "-c", f"import gc; {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_a_gunicorn_worker_loading_the_application_is_tuned():
    assert run(f"{REPORT}; import mcu.wsgi; {REPORT}") == UNTUNED + TUNED


def test_a_celery_worker_process_is_tuned_when_it_starts():
    code = (
        "import django; django.setup(); from mcu.celery import app; "
        f"from celery.signals import worker_process_init; {REPORT}; "
        f"worker_process_init.send(sender=None); {REPORT}"
    )
    assert run(code) == UNTUNED + TUNED  # importing the app is not enough: starting is
