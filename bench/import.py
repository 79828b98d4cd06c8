"""Bench: a 100 000-row ПОС XLSX export imported end to end into incidents (issue 4, «Performance»).

    DATABASE_URL=postgres://mcu:…@127.0.0.1:5432/mcu_import_bench .venv/bin/python bench/import.py

Target: ≤ 30 s from the file to incidents (routed, deadline set). By default the import runs
as in production: the inbox step (``import_file``: read the sheet, translate each row to the
ПОС contract, ``inbox_accept`` in chunks of 500 — one serializer per chunk, COPY) in this
process, and every committed chunk handed after commit to a real **Celery worker** on Redis
(``--concurrency``, default 2 as the ``worker`` service of ``docker-compose.yml`` runs it;
``REDIS_URL``, default db 2, purged at the start) which turns it into incidents
(``inbound_process``: one transaction around ``incident_create_many``) while the rest of the
file is still being read. TOTAL is the file → the moment no row of the batch
is pending (polled every 0.1 s), i.e. every incident committed. The e-mail copies of the
notifications go to a queue of their own that no worker reads (as the in-memory transport
left them before): sending 100 000 e-mails is not the import.

``--in-process`` runs the steps one after the other in this process instead (as
``manage.py import_messages <m> pos <file> --process`` does), with the breakdown of the
processing step: adapter validation, ``incident_create_many``, statements per incident (COPY
is not counted: it bypasses Django's cursor wrapper). Both modes print the time and rows/s of
reading (the sheet alone, then with the row translation) and of the inbox step with its
validation and inserts, a re-import of the same file (all duplicates), the peak memory
(``ru_maxrss``) and the machine's load average. Asserts nothing.

The export is generated into a temporary folder (/tmp) by a child process (its memory is not
counted), as Excel writes one (openpyxl normal mode: a <dimension>, real date cells), with a
fresh id prefix per run, 1 % bad rows, ПОС category codes that routing rules map onto the
рубрикатор (so incidents are routed and their sector owners notified), and addresses spread so
that repeats are rare. Use a database of its own: every run adds its incidents.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Production settings with a throwaway secret and fast password hashing (bench users).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcu.settings_test")
EMAIL_QUEUE = "bench-import-email"  # no worker reads it: the e-mail copies wait there

HEADER = [
    "Номер сообщения",
    "Дата создания",
    "Категория",
    "Код категории",
    "Подкатегория",
    "Фаст-трек",
    "Текст сообщения",
    "Адрес",
    "Широта",
    "Долгота",
    "Заявитель",
    "E-mail",
    "Телефон",
]
# ПОС categories (code, name) → our рубрикатор topic, as an administrator's routing rules say.
CATEGORIES = [
    ("pos-101", "Дороги", "roads"),
    ("pos-102", "ЖКХ", "zhkh"),
    ("pos-103", "Благоустройство", "improvement"),
    ("pos-104", "Мусор", "waste"),
    ("pos-105", "Общественный транспорт", "transport"),
    ("pos-106", "Образование", "education"),
    ("pos-107", "Здравоохранение", "health"),
    ("pos-108", "Экология", "ecology"),
]
STREETS = ["Ленина", "Мира", "Советская", "Молодёжная", "Школьная", "Садовая", "Лесная", "Новая"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--municipality", default="oktyabrsky")
    parser.add_argument("--no-process", action="store_true", help="stop after the inbox step")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="no worker: process after the inbox step, in this process, with a breakdown",
    )
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--generate", metavar="PATH", help=argparse.SUPPRESS)  # the child
    parser.add_argument("--prefix", default="", help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # the child
    args = parser.parse_args()
    if args.generate:
        generate(Path(args.generate), rows=args.rows, prefix=args.prefix)
        return
    with_worker = not (args.in_process or args.no_process)
    if with_worker or args.worker:
        os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/2")
        os.environ["CELERY_BROKER_URL"] = os.environ["REDIS_URL"]
    else:  # the after-commit hand-over goes nowhere: no worker competes for the rows
        os.environ.setdefault("CELERY_BROKER_URL", "memory://localhost/")
    if args.worker:
        run_worker(concurrency=args.concurrency)
        return
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit(
            "bench/import.py measures PostgreSQL (bulk inserts, row locks, the production "
            "database): set DATABASE_URL=postgres://… — it refuses to run on SQLite."
        )
    prefix = f"B{int(time.time())}-"
    folder = Path(tempfile.mkdtemp(prefix="mcu-bench-import-"))
    path = folder / f"pos-{args.rows}-{prefix.rstrip('-')}.xlsx"
    started = time.perf_counter()
    command = [sys.executable, __file__, "--generate", str(path), "--rows", str(args.rows)]
    # This very script, with arguments it built itself.
    subprocess.run([*command, "--prefix", prefix], check=True)  # noqa: S603
    size = path.stat().st_size
    print(
        f"export: {path} — {args.rows:,} rows, {size / 1e6:.1f} MB, "
        f"generated in {time.perf_counter() - started:.1f} s (not timed below)"
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import override_settings

    call_command("migrate", verbosity=0)
    call_command("seed", verbosity=0)
    from mcu.gc_tuning import tune_gc

    tune_gc()  # as `manage.py import_messages` and a worker's import task run it
    try:
        # Each batch keeps its uploaded file: here, in the temporary folder that goes at the end.
        with override_settings(MEDIA_ROOT=folder / "media"):
            bench = Bench(municipality_slug=args.municipality, path=path)
            if with_worker:
                with worker(concurrency=args.concurrency, log=folder / "worker.log"):
                    bench.run_with_worker(concurrency=args.concurrency)
            else:
                bench.run(process=not args.no_process)
    finally:
        shutil.rmtree(folder)


def run_worker(*, concurrency: int) -> None:
    """The worker child: the project's Celery app, the e-mail copies routed aside."""
    import django

    django.setup()
    from mcu.celery import app

    app.conf.task_routes = {"incidents.tasks.notifications_email_task": {"queue": EMAIL_QUEUE}}
    app.worker_main(
        [
            *("worker", "--concurrency", str(concurrency), "-Q", "celery", "-l", "warning"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]
    )


@contextmanager
def worker(*, concurrency: int, log: Path) -> Iterator[None]:
    from mcu.celery import app

    with app.connection_for_write() as connection:
        for queue in ("celery", EMAIL_QUEUE):
            connection.default_channel.queue_purge(queue)  # type: ignore[attr-defined]  # kombu has it, the stub not
    handle = open(log, "wb")  # noqa: SIM115 — owned by the child from here on
    # This very script, with arguments it built itself.
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, __file__, "--worker", "--concurrency", str(concurrency)],
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    handle.close()
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the Celery worker did not start: {log.read_text()[-2000:]}")
        yield
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(EMAIL_QUEUE)  # type: ignore[attr-defined]  # as above


def generate(path: Path, *, rows: int, prefix: str) -> None:
    """Written like Excel writes an export (normal mode: <dimension>, date cells)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Сообщения"
    sheet.append(HEADER)
    start = datetime(2026, 3, 2, 8, 0)  # noqa: DTZ001 — Excel date cells carry no zone
    # Each run's houses are its own: the dates repeat from run to run, and with the same
    # addresses every message would be a repeat of one from each earlier run (the repeat
    # lookup then reads thousands of candidates per batch, and every run is slower than the
    # last). Within a run, addresses recur as before.
    block = 1000 * (int(hashlib.sha256(prefix.encode()).hexdigest(), 16) % 1000)
    for n in range(rows):
        code, name, _topic = CATEGORIES[n % len(CATEGORIES)]
        created: Any = start + timedelta(seconds=17 * n)
        if n % 2:  # half as text, as some exports write it
            created = created.strftime("%d.%m.%Y %H:%M:%S")
        row: list[Any] = [
            f"{prefix}{n}",
            created,
            name,
            code,
            "",
            "Да" if n % 10 == 0 else "Нет",
            f"Обращение {n}: {name.lower()} — прошу принять меры, ситуация повторяется.",
            f"пгт. Октябрьское, ул. {STREETS[n % len(STREETS)]}, д. {block + n % 997}, "
            f"кв. {n % 89}",
            62.45 + (n % 1000) / 100_000,
            65.39 + (n % 977) / 100_000,
            f"Заявитель {n}",
            f"user{n}@example.ru",
            79000000000 + n,
        ]
        if n % 100 == 50:  # 1 % bad rows: a date that does not exist
            row[1] = "31.02.2026 10:00"
        sheet.append(row)
    workbook.save(path)


class Timer:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1

        return timed


class Queries:
    """Statements the client sent, by shape (numbers and strings masked), and their time."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.shapes: Counter[str] = Counter()

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1
            self.shapes[shape(sql)] += 1


def shape(sql: str) -> str:
    sql = re.sub(r"'[^']*'|\b\d+\b|%s", "?", sql)
    verb = sql.split(None, 1)[0].upper()
    tables = re.findall(r'(?:FROM|INTO|UPDATE|JOIN)\s+"?(\w+)"?', sql)
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return verb
    return f"{verb} {', '.join(dict.fromkeys(tables)) or sql[:60]}"


@contextmanager
def counting() -> Iterator[Queries]:
    from django.db import connection

    queries = Queries()
    with connection.execute_wrapper(queries):
        yield queries


class Bench:
    def __init__(self, *, municipality_slug: str, path: Path) -> None:
        from mcu.models import Municipality

        self.municipality = Municipality.objects.get(slug=municipality_slug)
        self.path = path

    def run(self, *, process: bool) -> None:
        from django.db import connection

        from mcu.tenancy import municipality_scope

        print(
            f"PostgreSQL {connection.cursor().connection.info.server_version}; "
            f"municipality {self.municipality.slug} ({self.municipality.timezone}); "
            f"load {os.getloadavg()[0]:.2f} (1-min average, 2 cores shared)"
        )
        with municipality_scope(self.municipality.pk):
            self.ensure_routing()
        base_rss = rss_mb()
        data = self.path.read_bytes()
        rows = self.time_reading(data)
        batch, inbox_seconds = self.time_inbox(data, rows)
        total = inbox_seconds
        if process:
            total += self.time_processing(batch)
        if process:
            print(f"TOTAL file → incidents: {total:.1f} s (target ≤ 30 s)")
        else:
            print(f"TOTAL file → inbox (not processed): {total:.1f} s")
        self.time_reimport(data, rows)
        print(f"peak memory: {rss_mb():.0f} MB RSS (after setup: {base_rss:.0f} MB)")
        print(f"load at the end: {os.getloadavg()[0]:.2f} (1-min average)")

    def run_with_worker(self, *, concurrency: int) -> None:
        from django.db import connection

        from mcu.tenancy import municipality_scope

        print(
            f"PostgreSQL {connection.cursor().connection.info.server_version}; "
            f"municipality {self.municipality.slug} ({self.municipality.timezone}); "
            f"Celery worker --concurrency {concurrency} on {os.environ['CELERY_BROKER_URL']}; "
            f"load {os.getloadavg()[0]:.2f} (1-min average, 2 cores shared)"
        )
        with municipality_scope(self.municipality.pk):
            self.ensure_routing()
        base_rss = rss_mb()
        data = self.path.read_bytes()
        rows = self.time_reading(data)
        started = time.perf_counter()
        batch, _inbox_seconds = self.time_inbox(data, rows)
        load = os.getloadavg()[0]
        pending = self.wait_processed(batch)
        total = time.perf_counter() - started
        made = self.print_outcome(batch)
        print(
            f"TOTAL file → incidents: {total:.1f} s  {made / total:8,.0f} incidents/s "
            f"(target ≤ 30 s; the worker processed while the file was read; "
            f"{pending:,} rows left pending)"
        )
        print(f"load at the end of the inbox step: {load:.2f} (1-min average)")
        self.time_reimport(data, rows)
        print(f"peak memory: {rss_mb():.0f} MB RSS (after setup: {base_rss:.0f} MB)")
        print(f"load at the end: {os.getloadavg()[0]:.2f} (1-min average)")

    def wait_processed(self, batch: Any, limit: float = 600) -> int:
        """Until no row of the batch is pending (bounded); returns how many are left."""
        from integrations.models import InboundMessage
        from mcu.tenancy import municipality_scope

        deadline = time.perf_counter() + limit
        with municipality_scope(self.municipality.pk):
            # The municipality's pending rows since the batch began (only the batch's, in a
            # bench database), read through the pending rows' own index: filtered by batch,
            # PostgreSQL walked all 100 000 rows of the batch, ~0.3 s of a core per poll that
            # the worker finishing the batch was short of.
            rows = InboundMessage.objects.filter(
                municipality=self.municipality,
                state=InboundMessage.State.PENDING,
                received_at__gte=batch.created_at,
            )
            # Whether any is left, not how many: counting visited every pending entry the
            # worker had not yet vacuumed away, ~20 ms of the server per poll, in the very
            # seconds the worker is finishing (pg_stat_statements).
            while rows.exists() and time.perf_counter() < deadline:
                time.sleep(0.1)
            return rows.count()

    def ensure_routing(self) -> None:
        from incidents.models import Topic
        from integrations.models import RoutingRule

        topics = {t.code: t for t in Topic.objects.filter(code__in=[c[2] for c in CATEGORIES])}
        for code, _name, topic_code in CATEGORIES:
            if topic_code in topics:
                RoutingRule.objects.get_or_create(
                    municipality=self.municipality,
                    channel="pos",
                    category_code=code,
                    defaults={"topic": topics[topic_code], "priority": 50},
                )

    def time_reading(self, data: bytes) -> int:
        """The sheet alone, then with the row → contract translation (no database)."""
        from integrations.services.imports import POS, Row, open_table

        started = time.perf_counter()
        table = open_table(POS, self.path.name, data)
        rows = sum(1 for _ in table.rows)
        table.close()
        sheet = time.perf_counter() - started
        started = time.perf_counter()
        table = open_table(POS, self.path.name, data)
        tz = self.municipality.tz
        for _number, values in table.rows:
            POS.build(Row(values, table.positions), tz)
        table.close()
        built = time.perf_counter() - started
        print(f"read (the sheet alone):           {sheet:6.1f} s  {rows / sheet:8,.0f} rows/s")
        print(f"read + translate to the contract: {built:6.1f} s  {rows / built:8,.0f} rows/s")
        return rows

    def time_inbox(self, data: bytes, rows: int) -> tuple[Any, float]:
        from integrations.channels import ADAPTERS
        from integrations.services import imports

        adapter = ADAPTERS["pos"]
        validate, accept = Timer(), Timer()
        original_parse, original_accept = adapter.parse_many, imports.inbox_accept
        adapter.parse_many = validate.wrap(original_parse)  # type: ignore[method-assign]
        imports.inbox_accept = accept.wrap(original_accept)
        try:
            with counting() as queries:
                started = time.perf_counter()
                batch = imports.import_file(
                    municipality=self.municipality,
                    channel="pos",
                    file_name=self.path.name,
                    data=data,
                )
                seconds = time.perf_counter() - started
        finally:
            adapter.parse_many = original_parse  # type: ignore[method-assign]
            imports.inbox_accept = original_accept
        inserts = accept.seconds - validate.seconds
        print(
            f"inbox step (import_file):        {seconds:6.1f} s  {rows / seconds:8,.0f} rows/s  "
            f"— {batch.imported:,} new, {batch.duplicates:,} duplicates, "
            f"{len(batch.errors):,} bad rows reported; state {batch.state}"
        )
        print(
            f"  of which adapter validation:   {validate.seconds:6.1f} s  "
            f"{rows / validate.seconds:8,.0f} rows/s ({validate.calls:,} batches)"
        )
        print(
            f"  of which inbox inserts:        {inserts:6.1f} s  {rows / inserts:8,.0f} rows/s  "
            f"({queries.count:,} statements, {queries.seconds:.1f} s in the database)"
        )
        print(f"  reading + translating (rest):  {seconds - accept.seconds:6.1f} s")
        return batch, seconds

    def time_processing(self, batch: Any) -> float:
        from integrations.channels import ADAPTERS
        from integrations.services import imports, processing

        adapter = ADAPTERS["pos"]
        validate, create = Timer(), Timer()
        original_parse, original_create = adapter.parse_many, processing.incident_create_many
        adapter.parse_many = validate.wrap(original_parse)  # type: ignore[method-assign]
        processing.incident_create_many = create.wrap(original_create)
        try:
            with counting() as queries:
                started = time.perf_counter()
                summary = imports.import_batch_process(batch=batch)
                seconds = time.perf_counter() - started
        finally:
            adapter.parse_many = original_parse  # type: ignore[method-assign]
            processing.incident_create_many = original_create
        made = max(summary.processed, 1)
        print(
            f"processing (inbound_process):    {seconds:6.1f} s  {made / seconds:8,.0f} "
            f"incidents/s — {summary.processed:,} incidents, {summary.failed:,} failed, "
            f"{summary.pending:,} left pending"
        )
        print(f"  of which adapter validation:   {validate.seconds:6.1f} s (again)")
        print(
            f"  of which incident_create_many: {create.seconds:6.1f} s  "
            f"{create.seconds / made * 1000:.2f} ms/incident"
        )
        print(
            f"  statements: {queries.count:,} ({queries.count / made:.1f} per incident), "
            f"{queries.seconds:.1f} s in the database"
        )
        print("  per incident, by shape (top 15):")
        for what, count in queries.shapes.most_common(15):
            print(f"    {count / made:5.2f}  {what}")
        self.print_outcome(batch)
        return seconds

    def print_outcome(self, batch: Any) -> int:
        from django.db.models import Count

        from incidents.models import Incident
        from integrations.models import InboundMessage
        from mcu.tenancy import municipality_scope

        with municipality_scope(self.municipality.pk):
            ids = InboundMessage.objects.filter(import_batch=batch).values("incident_id")
            incidents = Incident.objects.filter(pk__in=ids)
            routed = incidents.filter(auto_routed=True).count()
            statuses = dict(incidents.values_list("status").annotate(n=Count("pk")).order_by())
            with_due = incidents.filter(due_at__isnull=False).count()
        print(f"  incidents: routed {routed:,}, with a due date {with_due:,}, statuses {statuses}")
        return sum(statuses.values())

    def time_reimport(self, data: bytes, rows: int) -> None:
        from integrations.services.imports import import_file

        started = time.perf_counter()
        batch = import_file(
            municipality=self.municipality, channel="pos", file_name=self.path.name, data=data
        )
        seconds = time.perf_counter() - started
        print(
            f"re-import of the same file:      {seconds:6.1f} s  {rows / seconds:8,.0f} rows/s  "
            f"— {batch.imported:,} new, {batch.duplicates:,} duplicates"
        )


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
