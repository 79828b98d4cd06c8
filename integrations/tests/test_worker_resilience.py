"""Against a real Redis and a real Celery worker (issue 4): none lost, none twice.

1. 2,000 messages through the signed webhook, the worker SIGKILLed mid-way and restarted, the
   sweeper re-enqueues what was left → exactly 2,000 incidents, no duplicates, nothing pending.
2. The broker stopped during intake: the webhook still answers 202 (rows are stored, the enqueue
   fails softly), and once Redis is back the sweeper and the worker turn every accepted message
   into an incident.

The worker is a separate process, so it must see the test database: PostgreSQL only (SQLite's
test database is in memory), and the test commits for real (``transaction=True``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.utils import timezone
from kombu import pools as kombu_pools

from incidents.models import Incident
from integrations.models import InboundMessage
from integrations.services.processing import inbox_requeue_stale
from integrations.services.secrets import channel_secret_rotate
from integrations.signatures import sign
from mcu.celery import app as celery_app
from mcu.models import Municipality
from mcu.tenancy import municipality_scope

REDIS_URL = os.environ.get("REDIS_URL", "")
ROOT = Path(__file__).resolve().parents[2]
URL = "/integrations/pos/oktyabrsky/"
PER_REQUEST = 100
WAIT_LIMIT = 120.0  # seconds for everything to be processed once the worker is back

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not REDIS_URL, reason="needs a real Redis: set REDIS_URL"),
]


@pytest.fixture(autouse=True)
def _needs_shared_database() -> None:
    if connection.vendor == "sqlite":
        pytest.skip(
            "a separate worker process cannot see the SQLite test database (in memory): "
            "set DATABASE_URL to PostgreSQL"
        )


# --- helpers --------------------------------------------------------------------------------


def _test_database_url() -> str:
    """The live test database (pytest-django's ``test_…``), as a URL for the worker."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(db['NAME'], safe='')}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Signal the whole process group (the worker's prefork children too) and reap it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start real Celery workers on a broker; every one is killed at teardown."""
    started: list[subprocess.Popen[bytes]] = []

    def start(broker_url: str, concurrency: int = 2) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "mcu.settings_test",
            "DATABASE_URL": _test_database_url(),
            "REDIS_URL": broker_url,
            "CELERY_BROKER_URL": broker_url,
            "SECRET_KEY": "worker-resilience-test-secret-key-0123456789abcdefghijklmnop",
            "DB_CONN_MAX_AGE": "60",
        }
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115
        command = [sys.executable, "-m", "celery", "-A", "mcu", "worker"]
        command += ["--concurrency", str(concurrency)]
        command += ["-l", "warning", "--without-gossip", "--without-mingle"]
        process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg reaches the children
        )
        log.close()
        started.append(process)
        return process

    yield start
    for process in started:
        _stop(process)


class RedisServer:
    """A private redis-server on a free loopback port, which the test may stop and restart."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (REDIS_URL is set, so it is expected)")
    folder = Path(tempfile.mkdtemp(prefix="mcu-redis-"))
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _reset_broker_pools() -> None:
    """Drop the cached producer connections, so the next publish uses the configured URL
    (Celery caches them per app; the pools themselves are keyed by connection)."""
    app: Any = celery_app
    # kombu keeps the pools in a process-wide registry too: closing one in place would leave a
    # closed pool there for the next publish ("Acquire on closed pool" in later tests), so the
    # registry is reset as a whole.
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def publish_to(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Point this process's Celery producer (the webhook's enqueue) at another broker."""

    def use(url: str) -> None:
        monkeypatch.setenv("CELERY_BROKER_URL", url)  # read first by Celery's settings
        monkeypatch.setitem(celery_app.conf, "broker_url", url)
        _reset_broker_pools()

    yield use
    monkeypatch.undo()
    _reset_broker_pools()


@pytest.fixture
def secret() -> str:
    call_command("seed", verbosity=0, stdout=io.StringIO())
    municipality = Municipality.objects.get(slug="oktyabrsky")
    with municipality_scope(municipality.pk):
        return channel_secret_rotate(municipality=municipality, channel="pos")


def pos_message(external_id: str) -> dict[str, Any]:
    return {
        "id": external_id,
        "created_at": "2026-11-22T10:15:00+05:00",
        "category": {"code": "roads", "name": "Дороги"},
        "fast_track": False,
        "text": f"Яма на дороге по ул. Ленина, 5 ({external_id})",
        "address": "пгт. Октябрьское, ул. Ленина, 5",
        "applicant": {"name": "Иванов Иван", "email": "ivanov@example.ru"},
    }


def post_batch(client: Client, secret: str, ids: list[str]) -> None:
    body = json.dumps([pos_message(i) for i in ids], ensure_ascii=False).encode()
    ts = str(int(time.time()))
    response = client.post(
        URL,
        data=body,
        content_type="application/json",
        headers={
            "X-MCU-Timestamp": ts,
            "X-MCU-Signature": sign(secret=secret, timestamp=ts, body=body),
        },
    )
    assert response.status_code == 202, response.content
    assert {r["status"] for r in response.json()["results"]} == {"accepted"}


def batches(prefix: str, requests: int) -> list[list[str]]:
    return [[f"{prefix}-{r:03d}-{m:03d}" for m in range(PER_REQUEST)] for r in range(requests)]


def incidents_made(ids: list[str]) -> int:
    municipality = Municipality.objects.get(slug="oktyabrsky")
    with municipality_scope(municipality.pk):
        return Incident.objects.filter(channel="pos", external_id__in=ids).count()


def outcome(ids: list[str]) -> dict[str, Any]:
    municipality = Municipality.objects.get(slug="oktyabrsky")
    with municipality_scope(municipality.pk):
        incidents = Incident.objects.filter(
            municipality=municipality, channel="pos", external_id__in=ids
        )
        per_id = incidents.values("external_id").annotate(n=Count("pk")).filter(n__gt=1)
        states = dict(
            InboundMessage.objects.filter(channel="pos", external_id__in=ids)
            .values_list("state")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {
            "incidents": incidents.count(),
            "distinct_external_ids": incidents.values("external_id").distinct().count(),
            "ids_twice": per_id.count(),
            "inbox": states,
        }


def wait_until_processed(ids: list[str]) -> float:
    """Run the beat sweeper's service (as if two minutes had passed) until no row is pending;
    bounded. Returns the seconds it took."""
    started = time.monotonic()
    last_sweep = -1e9
    while time.monotonic() - started < WAIT_LIMIT:
        municipality = Municipality.objects.get(slug="oktyabrsky")
        with municipality_scope(municipality.pk):
            pending = InboundMessage.objects.filter(
                channel="pos", external_id__in=ids, state=InboundMessage.State.PENDING
            ).count()
        if not pending:
            return time.monotonic() - started
        if time.monotonic() - last_sweep > 5:
            inbox_requeue_stale(now=timezone.now() + timedelta(minutes=2))
            last_sweep = time.monotonic()
        time.sleep(0.25)
    raise AssertionError(f"still pending after {WAIT_LIMIT:.0f} s: {outcome(ids)}")


def _worker_log(tmp_path: Path) -> str:
    return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(tmp_path.glob("*.log")))


def _worker_sessions() -> set[tuple[int, Any]]:
    """(pid, start) of the PostgreSQL sessions on the test database other than this test's own:
    the worker's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        return set(cursor.fetchall())


# --- scenarios ------------------------------------------------------------------------------


def test_worker_killed_mid_way_loses_nothing_and_doubles_nothing(client, secret, worker, tmp_path):
    broker = settings.CELERY_BROKER_URL
    assert broker.startswith("redis://"), broker
    celery_app.control.purge()  # tasks other tests may have left on the shared broker
    all_batches = batches("kill", 20)
    ids = [i for batch in all_batches for i in batch]
    started = time.monotonic()

    first = worker(broker)
    for batch in all_batches[:10]:
        post_batch(client, secret, batch)
    deadline = time.monotonic() + 60
    while incidents_made(ids) == 0 and time.monotonic() < deadline:
        assert first.poll() is None, _worker_log(tmp_path)
        time.sleep(0.02)
    _stop(first, signal.SIGKILL)  # mid-way: tasks in flight, their transactions cut off
    at_kill = incidents_made(ids)
    assert 0 < at_kill < len(ids), (at_kill, _worker_log(tmp_path))

    for batch in all_batches[10:]:  # intake goes on while no worker runs
        post_batch(client, secret, batch)
    worker(broker)
    recovery = wait_until_processed(ids)

    assert outcome(ids) == {
        "incidents": 2000,
        "distinct_external_ids": 2000,
        "ids_twice": 0,
        "inbox": {InboundMessage.State.PROCESSED: 2000},
    }, _worker_log(tmp_path)
    print(
        f"\nscenario 1: {at_kill} incidents at SIGKILL; recovery {recovery:.1f} s; "
        f"total {time.monotonic() - started:.1f} s"
    )


def test_broker_down_during_intake_every_accepted_message_becomes_an_incident(
    client, secret, worker, private_redis, publish_to, tmp_path
):
    publish_to(private_redis.url)
    started = time.monotonic()
    before, during = batches("up", 3), batches("down", 5)
    ids = [i for batch in before + during for i in batch]

    worker(private_redis.url)
    for batch in before:
        post_batch(client, secret, batch)
    private_redis.stop()
    for batch in during:  # stored and acknowledged: 202 with every item accepted
        post_batch(client, secret, batch)
    municipality = Municipality.objects.get(slug="oktyabrsky")
    with municipality_scope(municipality.pk):
        stored = InboundMessage.objects.filter(
            channel="pos", external_id__in=[i for batch in during for i in batch]
        ).count()
    assert stored == 500
    time.sleep(1)  # a while without a broker
    private_redis.start()

    recovery = wait_until_processed(ids)

    assert outcome(ids) == {
        "incidents": 800,
        "distinct_external_ids": 800,
        "ids_twice": 0,
        "inbox": {InboundMessage.State.PROCESSED: 800},
    }, _worker_log(tmp_path)
    print(f"\nscenario 2: recovery {recovery:.1f} s; total {time.monotonic() - started:.1f} s")


def test_worker_keeps_its_database_session_from_task_to_task(client, secret, worker, tmp_path):
    """One PostgreSQL session serves task after task (until ``CONN_MAX_AGE``), as one serves
    web request after web request: Celery's Django fixup would open a new one for every task,
    which was ~12 % of a worker's time in bench/ingest.py."""
    celery_app.control.purge()
    # Sessions an earlier test's worker may still be closing are not this worker's.
    before = _worker_sessions()
    worker(settings.CELERY_BROKER_URL, concurrency=1)
    seen = []
    for batch in batches("session", 4):
        post_batch(client, secret, batch)
        wait_until_processed(batch)
        seen.append(_worker_sessions() - before)
    assert len(seen[0]) == 1, (seen, _worker_log(tmp_path))
    assert seen == [seen[0]] * 4, seen
