"""Large uploads are imported by the worker (a 100 000-row export outlives a web request); the
batch page shows the progress, and a worker killed mid-import leaves nothing counted twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from integrations.models import ImportBatch, InboundMessage
from integrations.services.imports import (
    import_batch_run,
    import_batches_requeue_stale,
    import_batches_stale,
)
from integrations.tests.test_imports import pos_row, upload, xlsx
from mcu.models import Municipality
from mcu.tenancy import municipality_scope
from roles.models import Role, User


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MCU_IMPORT_INLINE_BYTES = 0  # every upload goes to the worker


@pytest.fixture
def operator(municipality: Municipality, make_user: Callable[..., User]) -> User:
    return make_user(Role.POS_OPERATOR, municipality)


def rows() -> bytes:
    return xlsx([pos_row(1), pos_row(2), pos_row(3, **{"Фаст-трек": "Может быть"})])


def test_a_large_upload_is_imported_by_the_worker_and_the_page_shows_progress(
    municipality, operator, login, django_capture_on_commit_callbacks
):
    client = login(operator)
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(client, municipality, rows(), "год.xlsx")
    with municipality_scope(municipality.pk):
        batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert (batch.state, batch.total_rows, len(callbacks)) == ("pending", 0, 1)
    waiting = client.get(response["Location"]).content.decode()
    assert "Файл загружается в фоне: прочитано строк — 0." in waiting
    assert '<meta http-equiv="refresh" content="3">' in waiting

    import_batch_run(municipality_id=municipality.pk, batch_id=batch.pk)  # the task's service

    done = client.get(response["Location"]).content.decode()
    assert "Файл загружается в фоне" not in done
    assert '<meta http-equiv="refresh"' not in done
    with municipality_scope(municipality.pk):
        batch.refresh_from_db()
    assert (batch.state, batch.total_rows, batch.imported, batch.duplicates) == ("done", 3, 2, 0)
    assert [(e["row"], e["column"]) for e in batch.errors] == [(4, "Фаст-трек")]


def test_a_finished_batch_is_not_imported_again(municipality):
    from integrations.services.imports import import_file_enqueue

    batch = import_file_enqueue(
        municipality=municipality, channel="pos", file_name="a.xlsx", data=rows()
    )
    import_batch_run(municipality_id=municipality.pk, batch_id=batch.pk)
    again = import_batch_run(municipality_id=municipality.pk, batch_id=batch.pk)

    assert again is not None
    assert (again.state, again.imported, again.duplicates) == ("done", 2, 0)


def test_a_batch_the_worker_left_running_starts_over_without_counting_twice(municipality):
    from integrations.services.imports import import_file_enqueue

    batch = import_file_enqueue(
        municipality=municipality, channel="pos", file_name="a.xlsx", data=rows()
    )
    import_batch_run(municipality_id=municipality.pk, batch_id=batch.pk)
    with municipality_scope(municipality.pk):
        # As if the worker had been killed after storing the rows, before finishing, and its
        # heartbeat had gone quiet since.
        ImportBatch.objects.filter(pk=batch.pk).update(
            state="running", errors=[], heartbeat_at=timezone.now() - timedelta(minutes=6)
        )

    resumed = import_batch_run(municipality_id=municipality.pk, batch_id=batch.pk)

    assert resumed is not None
    assert (resumed.state, resumed.total_rows, resumed.imported, resumed.duplicates) == (
        "done",
        3,
        2,
        0,
    )
    assert len(resumed.errors) == 1
    with municipality_scope(municipality.pk):
        stored = InboundMessage.objects.filter(import_batch=batch)
        assert sorted(stored.values_list("external_id", "state")) == [
            ("", "failed"),
            ("POS-1", "pending"),
            ("POS-2", "pending"),
        ]


def test_a_batch_another_worker_is_importing_is_left_alone(municipality):
    from integrations.services.imports import import_file_enqueue

    batch = import_file_enqueue(
        municipality=municipality, channel="pos", file_name="a.xlsx", data=rows()
    )
    with municipality_scope(municipality.pk):
        # Claimed a minute ago by another worker that is still storing chunks.
        ImportBatch.objects.filter(pk=batch.pk).update(
            state="running", heartbeat_at=timezone.now() - timedelta(minutes=1)
        )
    left = import_batch_run(municipality_id=municipality.pk, batch_id=batch.pk)
    assert left is not None
    assert (left.state, left.total_rows) == ("running", 0)
    with municipality_scope(municipality.pk):
        assert not InboundMessage.objects.filter(import_batch=batch).exists()


def test_the_sweeper_finds_lost_imports_only(municipality):
    from integrations.services.imports import import_file_enqueue

    def upload_as(name: str, **state: Any) -> int:
        batch = import_file_enqueue(
            municipality=municipality, channel="pos", file_name=name, data=rows()
        )
        with municipality_scope(municipality.pk):
            ImportBatch.objects.filter(pk=batch.pk).update(**state)
        return batch.pk

    now = timezone.now()
    old = now - timedelta(minutes=10)
    lost_in_queue = upload_as("queued.xlsx", created_at=old)
    just_queued = upload_as("fresh.xlsx")
    worker_died = upload_as("died.xlsx", state="running", created_at=old, heartbeat_at=old)
    working = upload_as("busy.xlsx", state="running", created_at=old, heartbeat_at=now)
    finished = upload_as("done.xlsx", state="done", created_at=old, heartbeat_at=old)
    stale = import_batches_stale(now=now)
    assert stale == [(municipality.pk, lost_in_queue), (municipality.pk, worker_died)]
    assert {just_queued, working, finished}.isdisjoint(pk for _, pk in stale)


def test_a_lost_import_is_finished_after_the_sweep(municipality, settings):
    """End to end through Celery (eager mode: the task runs where it is sent)."""
    from integrations.services.imports import import_file_enqueue
    from mcu.celery import app

    batch = import_file_enqueue(
        municipality=municipality, channel="pos", file_name="lost.xlsx", data=rows()
    )  # its task was never delivered: nothing runs it in the test
    app.conf.task_always_eager = True
    try:
        assert import_batches_requeue_stale(now=timezone.now() + timedelta(minutes=6)) == 1
    finally:
        app.conf.task_always_eager = False
    with municipality_scope(municipality.pk):
        batch.refresh_from_db()
    assert (batch.state, batch.total_rows, batch.imported) == ("done", 3, 2)
    assert import_batches_stale(now=timezone.now() + timedelta(minutes=6)) == []
