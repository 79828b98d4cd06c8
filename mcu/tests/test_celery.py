"""The Celery application's own hooks (mcu/celery.py)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from integrations.tasks import inbox_requeue_task
from mcu.models import Region


@pytest.mark.django_db
def test_a_task_run_eagerly_keeps_its_callers_transaction():
    # Around a task the worker closes connections that are obsolete, and a connection inside a
    # transaction looks obsolete to Django (autocommit off): an eager task runs inside its
    # caller, so closing there would cut the caller's transaction off.
    with transaction.atomic():
        region = Region.objects.create(code="99", name="Тестовый регион", slug="test-region")
        assert inbox_requeue_task.apply().successful()
        assert connection.in_atomic_block
        assert Region.objects.filter(pk=region.pk).exists()
