"""Bench: the ЦУР API over 1 000 000 incidents on PostgreSQL (issue 7, «Performance»).

    .venv/bin/python bench/api.py [--rows 1000000] [--seconds 20] [--port 8765]

Uses the local PostgreSQL superuser ``mcu``/``mcu`` on 127.0.0.1:5432 (``--dsn`` to change) and
a database of its own, ``mcu_api_bench``, created and migrated on the first run. Incidents are
written with COPY (FACTS.md: ~41–53 k rows/s), spread over the five seeded municipalities,
channels, statuses, topics and blocks, ``updated_at`` spread over 60 days; later runs reuse them.

Then gunicorn (``mcu.wsgi``, 2 sync workers, production settings, ``CONN_MAX_AGE`` 60) serves
127.0.0.1 and the script measures, as a ЦУР client would (a token for all five regions, the
Bearer header, the request log and the throttle's window count on every request):

1. **list page**: 4 concurrent client processes, each looping over filtered first pages of 50
   (municipality / channel / status / overdue / topic / updated_after) and the ``next`` page of
   each — p50 / p95 / p99 latency and requests/s;
2. **full sync**: one client follows ``next`` from ``page_size=1000`` over all 1 000 000 rows —
   incidents/s (parsing each page with orjson included) — twice: one page after another (the
   next request once the page is parsed), then pipelined (the next request as soon as the
   page's ``Link: rel="next"`` header arrives, while the page's body is still streaming in).

It prints figures and ``uptime`` load averages beside them (the machine is shared); it asserts
no threshold. The table and its sync indexes are read into the OS cache first (``prewarm``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = "mcu_api_bench"
PREFIX = "apibench-"
NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
# Clients run in fresh processes, as a ЦУР's client is one: a forked child would carry this
# process's Django heap, which its garbage collector then scans while parsing pages (~2 ms of
# a 1 000-row page's parsing, measured).
CLIENTS = multiprocessing.get_context("spawn")
TOKEN_NAME = "bench-all-regions"  # noqa: S105 — a token's name, not its secret
_TEXT = (
    "Добрый день! Во дворе дома по улице {street} третью неделю не вывозят мусор, контейнеры "
    "переполнены, вокруг площадки пакеты, собаки растаскивают отходы по детской площадке. "
    "Управляющая компания ссылается на регионального оператора, оператор — на управляющую "
    "компанию. Просим разобраться и установить график вывоза, а также убрать площадку. "
)
_STREETS = ["Ленина", "Советская", "Молодёжная", "Школьная", "Набережная", "Мира", "Победы"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the list run")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--dsn", default="postgres://mcu:mcu@127.0.0.1:5432")
    parser.add_argument("--skip-sync", action="store_true")
    args = parser.parse_args()
    database_url = f"{args.dsn}/{DATABASE}"
    ensure_database(args.dsn)
    env = server_env(database_url)
    os.environ.update(env)
    import django

    django.setup()
    prepare(args.rows)
    secret = bench_token()
    print(f"load before: {load()}")
    server = start_gunicorn(env, args.port)
    try:
        base = f"http://127.0.0.1:{args.port}"
        wait_ready(base, secret)
        list_run(base, secret, clients=args.clients, seconds=args.seconds)
        print(f"load after list run: {load()}")
        if not args.skip_sync:
            sync_run(base, secret, expected=args.rows)
            print(f"load after sync: {load()}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def server_env(database_url: str) -> dict[str, str]:
    """The environment of the bench's gunicorn (and of this process): production settings."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "mcu.settings",
        "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": str(ROOT / "var" / "bench-api"),
        # Production shape: the throttle's counters and the token scopes live in Redis.
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"),
    }


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()  # noqa: S607


# --- data --------------------------------------------------------------------------------------


def ensure_database(dsn: str) -> None:
    import psycopg

    with psycopg.connect(f"{dsn}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE {DATABASE}")
            print(f"created database {DATABASE}")


def prepare(rows: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM incidents_incident")
        (have,) = cursor.fetchone()
    if have == rows:
        print(f"reusing {have:,} incidents")
        prewarm()
        return
    print(f"building {rows:,} incidents (found {have:,}) …", flush=True)
    with connection.cursor() as cursor:
        for table in (
            "incidents_notification",
            "incidents_incidentevent",
            "incidents_incidentclock",
            "incidents_answerversion",
            "incidents_approval",
            "incidents_answer",
        ):
            cursor.execute(f"TRUNCATE {table} CASCADE")
        cursor.execute("DELETE FROM incidents_incident")
    started = time.perf_counter()
    copy_rows(rows)
    elapsed = time.perf_counter() - started
    print(f"COPY: {rows:,} rows in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) incidents_incident")
    prewarm()


def prewarm() -> None:
    """Read the table and the indexes a sync walks into the OS cache first. This machine keeps
    only ~2 GB of files cached (measured: 22 GB free, 1.6–2.0 GB cached), the table and those
    indexes are ~1.6 GB, and other databases' work evicts them: a sync right after read its
    rows from disk at 700 ms a page. The figures are for a warm cache, the steady state of a
    database server with memory for its data; a cold first pass is slower."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        for relation in ("incidents_incident", "incident_mun_updated", "incidents_incident_pkey"):
            cursor.execute("SELECT pg_prewarm(%s, 'read')", [relation])
    print(f"prewarmed the table and its sync indexes in {time.perf_counter() - started:.1f} s")


def copy_rows(rows: int) -> None:
    from django.db import connection

    from incidents.models import Incident

    columns = [f for f in Incident._meta.concrete_fields if f.attname != "id"]
    names = ", ".join(f'"{f.column}"' for f in columns)
    generated = generate(rows, lookups())  # no query may run on the connection during COPY
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY incidents_incident ({names}) FROM STDIN") as copy:
            for values in generated:
                copy.write_row([values.get(f.attname, _default(f)) for f in columns])


def _default(field: Any) -> Any:
    if field.has_default():
        return field.get_default()
    return None if field.null else ""


def lookups() -> dict[str, Any]:
    from incidents.models import Topic
    from mcu.models import Municipality
    from mcu.tenancy import dangerously_unscoped
    from roles.models import Sector

    with dangerously_unscoped(reason="bench: build the data set of every municipality"):
        municipalities = list(Municipality.objects.order_by("pk").values_list("pk", flat=True))
        sectors: dict[int, list[int | None]] = {m: [None] for m in municipalities}
        for pk, mid in Sector.objects.values_list("pk", "municipality_id"):
            sectors[mid].append(pk)
    topics = list(Topic.objects.values_list("pk", flat=True))
    return {"municipalities": municipalities, "sectors": sectors, "topics": topics}


def generate(rows: int, found: dict[str, Any]) -> Iterator[dict[str, Any]]:
    from incidents.masking import masked_columns

    rng = random.Random(20261120)
    channels = ["pos"] * 5 + ["im"] * 3 + ["appeal", "edds", "gospublic"]
    statuses = ["new", "assigned", "in_progress", "on_approval", "answered", "closed", "rejected"]
    municipalities = found["municipalities"]
    span = int(timedelta(days=60).total_seconds())
    for n in range(rows):
        mid = municipalities[n % len(municipalities)]
        received = NOW - timedelta(seconds=rng.randrange(span))
        status = rng.choice(statuses)
        due = received + timedelta(days=rng.choice([1, 10, 25, 30]))
        answered = (
            received + timedelta(hours=rng.randrange(1, 800))
            if status in ("answered", "closed")
            else None
        )
        updated = received + timedelta(seconds=rng.randrange(0, 86_400))
        text = _TEXT.format(street=rng.choice(_STREETS)) * rng.choice([1, 2, 3])
        citizen_name = "Иванов Иван Иванович"
        address = f"ул. {rng.choice(_STREETS)}, д. {rng.randrange(1, 120)}"
        yield {
            "municipality_id": mid,
            "channel": rng.choice(channels),
            "external_id": f"{PREFIX}{n}",
            "kind": "message",
            "scope": "municipal",
            "topic_id": rng.choice(found["topics"]),
            "sector_id": rng.choice(found["sectors"][mid]),
            "status": status,
            "fast_track": rng.random() < 0.1,
            "text": text,
            "citizen_name": citizen_name,
            "citizen_email": f"citizen{n}@example.ru",
            "citizen_phone": "+79001234567",
            "address": address,
            "address_key": "",
            # As the intake stores them (incidents.masking).
            **masked_columns(text=text, citizen_name=citizen_name, address=address),
            "latitude": round(60 + rng.random() * 5, 6),
            "longitude": round(60 + rng.random() * 10, 6),
            "received_at": received,
            "registered_at": received,
            "answered_at": answered,
            "closed_at": answered if status == "closed" else None,
            "due_at": due,
            "final_due_at": due,
            "answered_late": None if answered is None else answered >= due,
            "version": 1,
            "created_at": received,
            "updated_at": updated,
        }


def bench_token() -> str:
    from api.models import ApiToken
    from api.tokens import api_token_create, api_token_revoke

    if ApiToken.objects.filter(name=TOKEN_NAME, revoked_at__isnull=True).exists():
        api_token_revoke(name=TOKEN_NAME)
    issued = api_token_create(
        name=TOKEN_NAME,
        region_codes=["14", "19", "24", "51", "86"],
        rate_per_minute=1_000_000,
    )
    return issued.secret


# --- server ------------------------------------------------------------------------------------


def start_gunicorn(
    env: dict[str, str], port: int, application: str = "mcu.wsgi:application"
) -> subprocess.Popen[bytes]:
    command = [
        # The interpreter running this script, so a bench run under another virtualenv (an
        # optimized Python, see bench/README.md) measures its server under that one too.
        sys.executable,
        "-m",
        "gunicorn",
        application,
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 — our own command line


def get(url: str, secret: str) -> tuple[int, bytes]:
    # http:// to our own gunicorn only (S310 warns about file: URLs)
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {secret}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return response.status, response.read()


def wait_ready(base: str, secret: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            get(f"{base}/api/v1/municipalities/", secret)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# --- measurements ----------------------------------------------------------------------------

FILTERS = [
    {"municipality": "oktyabrsky", "status": "in_progress"},
    {"municipality": "lensky", "channel": "pos"},
    {"channel": "im", "status": "new"},
    {"municipality": "askiz", "overdue": "true"},
    {"municipality": "lovozero", "topic": "roads"},
    {"updated_after": "2026-11-01T00:00:00+00:00", "municipality": "sosnovoborsk"},
    {"fast_track": "true"},
]


def _client(base: str, secret: str, seconds: float, seed: int, out: Any) -> None:
    import orjson

    rng = random.Random(seed)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        params = {**rng.choice(FILTERS), "page_size": "50"}
        url = f"{base}/api/v1/incidents/?{urllib.parse.urlencode(params)}"
        for _page in range(2):  # the first page and the one after it
            started = time.perf_counter()
            status, body = get(url, secret)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
            following = orjson.loads(body)["next"]
            if not following:
                break
            url = following
    out.put((latencies, statuses))


def list_run(base: str, secret: str, *, clients: int, seconds: float) -> None:
    # Warm both workers (connections, imports) before timing.
    for _ in range(20):
        get(f"{base}/api/v1/incidents/?page_size=50&municipality=oktyabrsky", secret)
    queue: Any = CLIENTS.Queue()
    workers = [
        CLIENTS.Process(target=_client, args=(base, secret, seconds, n, queue))
        for n in range(clients)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(x for result in results for x in result[0])
    statuses: dict[int, int] = {}
    for _, counts in results:
        for status, count in counts.items():
            statuses[status] = statuses.get(status, 0) + count

    print(
        f"list page of 50 (filters, Bearer token, {clients} concurrent clients, gunicorn 2 "
        f"workers): {latency_figures(latencies, elapsed)}; statuses {statuses}"
    )


def latency_figures(latencies: list[float], elapsed: float) -> str:
    """Requests, requests/s and the percentiles of ``latencies`` (seconds, sorted)."""

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return (
        f"{len(latencies):,} requests in {elapsed:.1f} s = {len(latencies) / elapsed:,.0f} req/s; "
        f"p50 {pct(0.50):.1f} ms, p95 {pct(0.95):.1f} ms, p99 {pct(0.99):.1f} ms, "
        f"mean {statistics.fmean(latencies) * 1000:.1f} ms"
    )


def sync_run(base: str, secret: str, *, expected: int) -> None:
    for client in (_sync_client, _pipelined_sync_client):
        queue: Any = CLIENTS.Queue()
        process = CLIENTS.Process(target=client, args=(base, secret, expected, queue))
        process.start()
        print(queue.get())
        process.join()


def _sync_client(base: str, secret: str, expected: int, out: Any) -> None:
    """One page after another: the next request leaves once the whole page is parsed."""
    import orjson

    url: str | None = f"{base}/api/v1/incidents/?page_size=1000"
    check = _SyncCheck()
    started = time.perf_counter()
    while url:
        status, body = get(url, secret)
        assert status == 200, status
        page = orjson.loads(body)
        check.page(page["results"])
        url = page["next"]
    out.put(check.summary("one page after another", started, expected))


def _pipelined_sync_client(base: str, secret: str, expected: int, out: Any) -> None:
    """The same sync, following ``Link: rel="next"``: the next page is asked for as soon as
    the current page's headers arrive, and read while this one is parsed (two requests in
    flight at most: one being answered, one being read)."""
    import http.client
    import re
    import threading

    import orjson

    next_link = re.compile(r'<([^>]+)>;\s*rel="next"')
    split = urllib.parse.urlsplit(base)

    def request(url: str, into: list[Any], ready: threading.Event) -> None:
        target = urllib.parse.urlsplit(url)
        connection = http.client.HTTPConnection(split.netloc, timeout=60)
        connection.request(
            "GET", f"{target.path}?{target.query}", headers={"Authorization": f"Bearer {secret}"}
        )
        into.append((connection, connection.getresponse()))
        ready.set()

    def ask(url: str) -> tuple[list[Any], threading.Event]:
        into: list[Any] = []
        ready = threading.Event()
        threading.Thread(target=request, args=(url, into, ready), daemon=True).start()
        return into, ready

    check = _SyncCheck()
    started = time.perf_counter()
    pending: tuple[list[Any], threading.Event] | None = ask(
        f"{base}/api/v1/incidents/?page_size=1000"
    )
    while pending is not None:
        into, ready = pending
        ready.wait(60)
        connection, response = into[0]
        assert response.status == 200, response.status
        found = next_link.search(response.getheader("Link") or "")
        pending = ask(found.group(1)) if found else None
        page = orjson.loads(response.read())
        connection.close()
        check.page(page["results"])
        assert (page["next"] is None) == (found is None)  # the header and the body agree
    out.put(check.summary("pipelined by the Link header", started, expected))


class _SyncCheck:
    """Counts a sync's rows and checks that their keys strictly increase: nothing repeats."""

    def __init__(self) -> None:
        self.rows = self.pages = 0
        self.last: tuple[datetime, int] | None = None

    def page(self, results: list[dict[str, Any]]) -> None:
        self.rows += len(results)
        self.pages += 1
        if results:
            key = (datetime.fromisoformat(results[-1]["updated_at"]), results[-1]["id"])
            assert self.last is None or key > self.last
            self.last = key

    def summary(self, how: str, started: float, expected: int) -> str:
        elapsed = time.perf_counter() - started
        return (
            f"full sync, page_size=1000, {how}: {self.rows:,} incidents in {self.pages:,} "
            f"pages, {elapsed:.1f} s = {self.rows / elapsed:,.0f} incidents/s "
            f"(expected {expected:,} rows)"
        )


if __name__ == "__main__":
    main()
