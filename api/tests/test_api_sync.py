"""Incremental sync under real concurrent writes: every row's latest version arrives, no
version twice, and a transaction that commits late never slips in behind a client's cursor.

These tests commit for real (``transaction=True``): the writers are other threads with their
own database connections, as gunicorn workers and Celery tasks are.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from api.tests.conftest import ApiClient
from api.tokens import api_token_create
from incidents.models import Incident
from incidents.tests.factories import make_incident
from mcu.models import Municipality
from mcu.seeding import SeedLog
from mcu.tenancy import dangerously_unscoped, municipality_scope

pytestmark = pytest.mark.django_db(transaction=True)

needs_concurrent_db = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's shared-cache test database locks whole tables across connections, so a "
    "writer holding a transaction blocks the reader; CI runs these on PostgreSQL",
)


class _Null:
    def write(self, *_: object) -> None:
        pass


@pytest.fixture
def seeded(transactional_db: None) -> SeedLog:
    """A real seed (committed): the module-wide seed of conftest lives in a transaction the
    writer threads could not see."""
    call_command("seed", verbosity=0, stdout=_Null())
    return SeedLog()


@pytest.fixture
def rows(seeded: SeedLog) -> list[Incident]:
    made = []
    for slug in ("oktyabrsky", "lensky"):
        municipality = Municipality.objects.get(slug=slug)
        made += [make_incident(municipality, external_id=f"{slug}-{n}") for n in range(20)]
    return made


def touch(incident_id: int) -> None:
    """An ordinary write from another connection: the row's text changes, updated_at moves."""
    with dangerously_unscoped(reason="test writer thread: find the row's municipality"):
        municipality_id = Incident.objects.values_list("municipality_id", flat=True).get(
            pk=incident_id
        )
    with municipality_scope(municipality_id):
        incident = Incident.objects.get(pk=incident_id)
        incident.text += "!"
        incident.save(update_fields=["text", "updated_at"])


def in_thread(work, *args) -> threading.Thread:
    def run() -> None:
        try:
            work(*args)
        finally:
            connections.close_all()  # the thread's own connection, or teardown cannot drop the DB

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def sync(client: ApiClient, url: str, served: list[tuple[int, str]], pause: float = 0) -> str:
    """Follow ``next`` to the end; returns ``resume`` for the next sync."""
    while True:
        page = client.get(url).json()
        served += [(row["id"], row["updated_at"]) for row in page["results"]]
        if page["next"] is None:
            return page["resume"]
        url = page["next"]
        time.sleep(pause)


def stored_versions() -> dict[int, str]:
    with dangerously_unscoped(reason="test: the whole table as it ended up"):
        return {
            pk: stamp.isoformat() for pk, stamp in Incident.objects.values_list("pk", "updated_at")
        }


def check_exactly_once(served: list[tuple[int, str]]) -> None:
    final = stored_versions()
    repeated = [version for version, n in Counter(served).items() if n > 1]
    assert repeated == [], "a version of a row was served twice"
    latest: dict[int, str] = {}
    for pk, stamp in served:
        latest[pk] = max(latest.get(pk, stamp), stamp)
    assert latest == final, "every row must end at its latest version"


def test_rows_updated_while_paging_arrive_exactly_once(rows, settings) -> None:
    settings.API_SYNC_LAG_SECONDS = 0.05
    time.sleep(0.1)
    client = ApiClient(api_token_create(name="sync", region_codes=["86", "14"]).secret)
    served: list[tuple[int, str]] = []
    first = client.get("/api/v1/incidents/", {"page_size": 7}).json()
    served += [(row["id"], row["updated_at"]) for row in first["results"]]
    already, ahead = first["results"][0]["id"], rows[-1].pk
    # A row the client has passed and one it has not reached yet both change now.
    for pk in (already, ahead):
        in_thread(touch, pk).join()
    resume = sync(client, first["next"], served)
    time.sleep(0.1)
    sync(client, resume, served)
    check_exactly_once(served)
    assert [pk for pk, _ in served].count(already) == 2  # its new version, at its new place
    assert [pk for pk, _ in served].count(ahead) == 1  # only where it moved to


@needs_concurrent_db
def test_sync_while_another_connection_keeps_writing(rows, settings) -> None:
    settings.API_SYNC_LAG_SECONDS = 0.05
    time.sleep(0.1)
    client = ApiClient(api_token_create(name="sync", region_codes=["86", "14"]).secret)
    stop = threading.Event()
    writes = Counter[str]()

    def writer() -> None:
        ids = [row.pk for row in rows]
        chance = random.Random(7)
        while not stop.is_set():
            touch(chance.choice(ids))
            writes["n"] += 1
            time.sleep(0.002)

    thread = in_thread(writer)
    served: list[tuple[int, str]] = []
    try:
        resume = sync(client, "/api/v1/incidents/?page_size=5", served, pause=0.01)
        # Syncs again while writes go on, until enough of them have happened meanwhile (how
        # many fit into one sync depends on how fast the sync is).
        for _ in range(100):
            resume = sync(client, resume, served, pause=0.01)
            if writes["n"] > 40:
                break
    finally:
        stop.set()
        thread.join()
    time.sleep(0.2)
    sync(client, resume, served)
    assert writes["n"] > 20
    check_exactly_once(served)


@needs_concurrent_db
def test_a_transaction_committing_late_is_not_skipped(rows, settings) -> None:
    """The stamp is older than the lag when the transaction commits: only the horizon's check
    of open transactions keeps the cursor from passing it (api/sync.py)."""
    settings.API_SYNC_LAG_SECONDS = 0.2
    time.sleep(0.3)
    client = ApiClient(api_token_create(name="sync", region_codes=["86", "14"]).secret)
    slow, quick = rows[0].pk, rows[1].pk
    stamped, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with transaction.atomic():
            touch(slow)
            stamped.set()
            release.wait(10)

    thread = in_thread(slow_writer)
    try:
        assert stamped.wait(10)
        time.sleep(0.5)  # the slow stamp is now well behind "now - lag"
        in_thread(touch, quick).join()  # committed at once, stamped after the slow one
        time.sleep(0.3)
        served: list[tuple[int, str]] = []
        resume = sync(client, "/api/v1/incidents/?page_size=7", served)
        # Neither change is served yet: the horizon waits for the open transaction. The quick
        # row's old version is gone (committed over), its new one is held back with the slow.
        assert {pk for pk, _ in served} == {row.pk for row in rows} - {quick}
        assert dict(served)[slow] == rows[0].updated_at.isoformat()
        first_sync = len(served)
    finally:
        release.set()
        thread.join()
    time.sleep(0.3)
    sync(client, resume, served)
    check_exactly_once(served)
    assert sorted(pk for pk, _ in served[first_sync:]) == sorted([slow, quick])


def test_the_lag_keeps_fresh_rows_back(rows, settings) -> None:
    settings.API_SYNC_LAG_SECONDS = 3600
    client = ApiClient(api_token_create(name="sync", region_codes=["86", "14"]).secret)
    page = client.get("/api/v1/incidents/").json()
    assert page["results"] == []
    assert page["next"] is None
    settings.API_SYNC_LAG_SECONDS = 0
    assert len(client.get(page["resume"]).json()["results"]) == len(rows)
