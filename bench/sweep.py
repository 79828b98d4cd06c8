"""Bench: the deadline sweep over 1 000 000 open incidents (issue 3, «Performance»).

    DATABASE_URL=postgres://mcu:…@127.0.0.1:5432/mcu_bench .venv/bin/python bench/sweep.py

Targets: one tick that finds 1 000 newly breached incidents among 1 000 000 open ones, flags
them, writes their BREACH events and notifies rung 1 — ≤ 30 ms in the database; a tick with
nothing new — ≤ 10 ms. Prints medians (and every run), the query mix, and the
``EXPLAIN (ANALYZE, BUFFERS)`` plans of the five candidate queries (warn, breach, escalate, and
the stage terms' warn and breach). It asserts no threshold (only that each tick did what it
should: 1 000 breaches, then nothing).

The sweep reads and writes ``IncidentClock`` (a narrow 1:1 row per incident, see its docstring)
joined to ``Incident`` for the routing columns; it never rewrites the wide incident row.

The data set is built once and reused by later runs. Incidents are written with COPY (FACTS.md:
~41–53 k rows/s), spread over the five seeded municipalities, their terms stamped relative to
the fixed instant ``NOW``:
- 1 000 became late in the minute before ``NOW``;
- the rest are open and not yet due, or late for a while (5 %);
- appeals carry their 59-ФЗ forwarding term (7 days from registration), so the stage indexes
  hold what they would in production.
Their clocks are then filled by one INSERT … SELECT in the state the sweep leaves them in at
``NOW`` — warned where the warning time has passed, breached at the term and on the rung the
elapsed time gives, a past stage term warned and flagged — but for the 1 000 breaches of the
last minute: they are the measured tick's work.
Between runs of the breach tick the 1 000 are reset (flags cleared, the tick's events and
notifications deleted) and the tables vacuumed, as autovacuum would have done.

"DB time" is reported three ways. Server CPU: the PostgreSQL backend's own CPU time over the
tick (``/proc/<pid>/schedstat``; the server runs on this machine), COMMIT included — the most
direct "in the database" figure, blind to waits for the client and the disk. Client-side: the
durations of the tick's statements as the client sees them (``connection.execute_wrapper``) plus
its COMMITs — this includes the loopback round trips and psycopg's client-side parameter
binding, which for the 1 000-row INSERTs is mostly Python work. Server-side, where
``pg_stat_statements`` is loaded and resettable: the statements' execution time, plus the
client-timed COMMIT (Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so their checks
run at COMMIT, with the WAL flush); a COPY's time there includes waiting for the client's rows.
"Wall" is the whole ``sweep_tick()`` call. E-mail tasks are not queued (that broker write
happens after commit and is not the database's work).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.backend_cpu import BackendCpu

# Production settings with a throwaway secret and fast password hashing (bench users).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcu.settings_test")

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday morning; the data is stamped around it
PREFIX = "bench-"
NEW_BREACHES = 1000
BREACH_WINDOW = timedelta(seconds=60)  # the 1 000 became late in the last minute before NOW


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="open incidents in all")
    parser.add_argument("--runs", type=int, default=7, help="timed runs of the breach tick")
    parser.add_argument("--idle-runs", type=int, default=15, help="timed runs of an idle tick")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit(
            "bench/sweep.py measures PostgreSQL (partial indexes, SKIP LOCKED, COPY): set "
            "DATABASE_URL=postgres://… — it refuses to run on SQLite."
        )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed", verbosity=0)
    from mcu.gc_tuning import tune_gc

    tune_gc()  # the sweep runs in a Celery worker, which tunes its collector so
    Bench(rows=args.rows).run(runs=args.runs, idle_runs=args.idle_runs)


class Bench:
    def __init__(self, *, rows: int) -> None:
        from mcu.models import Municipality

        self.rows = rows
        self.municipalities = list(Municipality.objects.order_by("pk"))

    # --- data ---------------------------------------------------------------------------------

    def run(self, *, runs: int, idle_runs: int) -> None:
        from django.db import connection

        print(f"PostgreSQL {connection.cursor().connection.info.server_version}; NOW = {NOW}")
        self.ensure_roster()
        self.ensure_rows()
        self.reset_new_breaches()
        self.vacuum()
        self.print_sizes()
        self.print_plans()
        self.time_breach_ticks(runs)
        self.time_idle_ticks(idle_runs)
        self.reset_new_breaches()

    def ensure_roster(self) -> None:
        """People on every rung (the acts leave many chairs as unnamed groups)."""
        from mcu.tenancy import municipality_scope
        from roles.models import Role, RoleAssignment, Sector, User

        for municipality in self.municipalities:
            with municipality_scope(municipality.pk):
                sectors = list(Sector.objects.filter(municipality=municipality))
                wanted: list[tuple[str, str, Sector | None]] = [
                    (f"{role}-{sector.code}", role, sector)
                    for sector in sectors
                    for role in (Role.SECTOR_OWNER, Role.SECTOR_CURATOR)
                ]
                wanted += [(role, role, None) for role in (Role.EXECUTOR, Role.HEAD)]
                for key, role, sector in wanted:
                    username = f"{PREFIX}{municipality.slug}-{key}"
                    user, _ = User.objects.get_or_create(
                        username=username,
                        defaults={"full_name": f"Стенд {key}", "email": f"{username}@example.ru"},
                    )
                    RoleAssignment.objects.get_or_create(
                        municipality=municipality, user=user, role=role, sector=sector
                    )

    def ensure_rows(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM incidents_incident WHERE external_id LIKE %s",
                [PREFIX + "%"],
            )
            (have,) = cursor.fetchone()
            cursor.execute(
                "SELECT count(*) FROM incidents_incident WHERE external_id NOT LIKE %s",
                [PREFIX + "%"],
            )
            (others,) = cursor.fetchone()
        if others:
            sys.exit(
                f"{others} incidents that are not the bench's are in this database: use a "
                "database of its own (e.g. mcu_bench)."
            )
        if have == self.rows and self.clocks() == self.rows:
            print(f"reusing {have:,} bench incidents and their clocks")
            return
        print(f"building {self.rows:,} incidents (found {have:,}) …", flush=True)
        with connection.cursor() as cursor:
            for table in (
                "incidents_notification",
                "incidents_incidentevent",
                "incidents_incidentclock",
            ):
                cursor.execute(f"TRUNCATE {table}")
            cursor.execute("DELETE FROM incidents_incident")
        started = time.perf_counter()
        self.copy_rows()
        elapsed = time.perf_counter() - started
        print(f"COPY: {self.rows:,} rows in {elapsed:.1f} s ({self.rows / elapsed:,.0f} rows/s)")
        started = time.perf_counter()
        self.fill_clocks()
        print(f"clocks: INSERT … SELECT in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) incidents_incident")
            cursor.execute("VACUUM (ANALYZE) incidents_incidentclock")

    def clocks(self) -> int:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM incidents_incidentclock")
            (count,) = cursor.fetchone()
        return int(count)

    def fill_clocks(self) -> None:
        """Every incident's clock as the sweep leaves it at ``NOW``, but for the 1 000 new
        breaches (due in the minute before ``NOW``): not yet flagged.

        The same columns ``clocks_sync`` writes (terms copied, ``is_open``, the stage open for
        appeals still new or assigned — ``clock.FORWARDING_STAGE_STATUSES``), plus the state:
        warned once the warning time has passed, breached at the term and one rung per
        escalation step of the incident's policy (hourly for hour terms, else daily).
        """
        from django.db import connection

        from incidents.models import OPEN_STATUSES
        from incidents.services.clock import FORWARDING_STAGE_STATUSES

        with connection.cursor() as cursor:
            cursor.execute(
                _FILL_CLOCKS,
                {
                    "now": NOW,
                    "before": NOW - BREACH_WINDOW,
                    "open": list(OPEN_STATUSES),
                    "stage_open": sorted(FORWARDING_STAGE_STATUSES),
                },
            )
            assert cursor.rowcount == self.rows, cursor.rowcount

    def copy_rows(self) -> None:
        from django.db import connection

        from incidents.models import Incident

        columns = [f for f in Incident._meta.concrete_fields if f.attname != "id"]
        names = ", ".join(f'"{f.column}"' for f in columns)
        defaults = {f.attname: f.get_default() for f in columns}
        rows = self.generate(self.lookups())  # no query may run on the connection during COPY
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
            with raw.copy(f"COPY incidents_incident ({names}) FROM STDIN") as copy:
                for values in rows:
                    row = {**defaults, **values}
                    copy.write_row([row[f.attname] for f in columns])

    def lookups(self) -> _Lookups:
        from incidents.models import SlaPolicy
        from mcu.tenancy import dangerously_unscoped
        from roles.models import Role, RoleAssignment, Sector

        with dangerously_unscoped(reason="bench: build the data set of every municipality"):
            sectors: dict[int, list[int | None]] = {m.pk: [None] for m in self.municipalities}
            for sector in Sector.objects.all():
                sectors[sector.municipality_id].append(sector.pk)
            executors: dict[int, list[int]] = {m.pk: [] for m in self.municipalities}
            for mid, uid in RoleAssignment.objects.filter(
                role__in=[Role.EXECUTOR, Role.SECTOR_OWNER], user__isnull=False
            ).values_list("municipality_id", "user_id"):
                if uid is not None:
                    executors[mid].append(uid)
            policies = {
                (p.municipality_id, p.channel): _Policy(p.pk, p.unit, p.amount, p.warn_before)
                for p in SlaPolicy.objects.filter(stage="answer", fast_track=False)
            }
        return _Lookups(sectors, executors, policies)

    def generate(self, lookups: _Lookups) -> Iterator[dict[str, Any]]:
        from incidents.models import OPEN_STATUSES

        rng = random.Random(20260302)
        texts = _TEXTS
        sectors, executors, policies = lookups.sectors, lookups.executors, lookups.policies
        channels = ["pos"] * 5 + ["im"] * 3 + ["appeal", "edds", "gospublic"]
        statuses = [s for s in OPEN_STATUSES if s != "postponed"]
        municipality_ids = [m.pk for m in self.municipalities]
        for n in range(self.rows):
            mid = municipality_ids[n % len(municipality_ids)]
            channel = rng.choice(channels)
            policy = policies[(mid, channel)]
            term = (
                timedelta(hours=policy.amount)
                if policy.unit == "hours"
                else timedelta(days=policy.amount)
            )
            step = timedelta(hours=1) if policy.unit == "hours" else timedelta(days=1)
            kind = n % 20
            if n >= self.rows - NEW_BREACHES:
                # Became late in the minute before NOW.
                due = NOW - BREACH_WINDOW + BREACH_WINDOW * (self.rows - n) / (NEW_BREACHES + 1)
            elif kind == 0:
                # Late for a while: part-way up the ladder, the next rung after NOW, or the top
                # (fill_clocks puts it there).
                due = NOW - step * rng.uniform(0.1, 3.9) - timedelta(minutes=2)
            else:
                # Not yet due: somewhere in its term.
                due = NOW + term * rng.uniform(0.001, 1.0) + timedelta(minutes=1)
            received = due - term
            responsible = rng.choice(executors[mid]) if executors[mid] and n % 3 == 0 else None
            text = texts[n % len(texts)]
            yield {
                "municipality_id": mid,
                "channel": channel,
                "external_id": f"{PREFIX}{n}",
                "kind": "appeal" if channel == "appeal" else "message",
                "status": statuses[n % len(statuses)],
                "sector_id": rng.choice(sectors[mid]),
                "responsible_id": responsible,
                "text": f"{text} (№ {n})",
                "citizen_name": "Иванова Мария Петровна",
                "citizen_email": f"citizen{n}@example.ru",
                "citizen_phone": "+7 900 000-00-00",
                "address": f"ул. Ленина, д. {n % 200 + 1}, кв. {n % 90 + 1}",
                "address_key": f"ул ленина д {n % 200 + 1} кв {n % 90 + 1}",
                "source_url": f"https://vk.com/wall-1_{n}",
                "received_at": received,
                "registered_at": received if channel == "appeal" else None,
                "due_at": due,
                "final_due_at": due,
                "warn_at": due - policy.warn_before,
                # 59-ФЗ ст. 8 ч. 3: forwarding within 7 days of registration.
                "stage_due_at": received + timedelta(days=7) if channel == "appeal" else None,
                "sla_policy_id": policy.pk,
                "created_at": received,
                "updated_at": received,
            }

    def reset_new_breaches(self) -> None:
        """Put the 1 000 back as they were before the tick (and remove what the tick wrote)."""
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM incidents_notification WHERE kind LIKE 'deadline_%%'")
            cursor.execute(
                "DELETE FROM incidents_incidentevent WHERE kind IN ('warning', 'breach', "
                "'escalation')"
            )
            cursor.execute(
                "UPDATE incidents_incidentclock SET breached_at = NULL, escalation_level = 0, "
                "next_escalation_at = NULL WHERE municipality_id = ANY(%s) AND due_at > %s "
                "AND due_at <= %s",
                [[m.pk for m in self.municipalities], NOW - BREACH_WINDOW, NOW],
            )
            assert cursor.rowcount == NEW_BREACHES, cursor.rowcount

    def vacuum(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            for table in (
                "incidents_incident",
                "incidents_incidentclock",
                "incidents_incidentevent",
                "incidents_notification",
            ):
                cursor.execute(f"VACUUM (ANALYZE) {table}")

    def print_sizes(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, c.reltuples::bigint, pg_relation_size(c.oid) "
                "FROM pg_class c WHERE c.relname IN ('incidents_incident', "
                "'incidents_incidentclock', 'incidents_incidentclock_pkey') "
                "OR c.relname LIKE 'clock_sweep_%%' ORDER BY c.relname"
            )
            print("\nrelation                      rows (est.)        size")
            for name, tuples, size in cursor.fetchall():
                print(f"  {name:<30} {tuples:>12,} {size / 2**20:>9.1f} MB")

    # --- plans --------------------------------------------------------------------------------

    def print_plans(self) -> None:
        from django.db import connection, transaction

        from incidents.services import sweep
        from mcu.tenancy import dangerously_unscoped

        for step in sweep.STEPS:
            # ANALYZE really runs it (and takes its row locks): roll back afterwards.
            with transaction.atomic(), connection.cursor() as cursor:
                with dangerously_unscoped(reason="bench: the sweep's candidate query"):
                    queryset = sweep._candidates(step, now=NOW, batch_size=1000)
                    sql, params = queryset.query.sql_with_params()
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join(f"    {line}" for (line,) in cursor.fetchall())
                transaction.set_rollback(True)
            print(f"\n{step.name.upper()} candidates — EXPLAIN (ANALYZE, BUFFERS) at NOW:\n{plan}")
        # The tick's first statement: one probe of every partial index (a quiet minute ends there).
        probe_sql, probe_params = sweep._probe_sql(NOW)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + probe_sql, probe_params)
            plan = "\n".join(f"    {line}" for (line,) in cursor.fetchall())
        print(f"\nPROBE of every step — EXPLAIN (ANALYZE, BUFFERS) at NOW:\n{plan}")

    # --- timing -------------------------------------------------------------------------------

    def time_breach_ticks(self, runs: int) -> None:
        print(f"\n--- tick with {NEW_BREACHES:,} new breaches (reset + VACUUM before each run) ---")
        figures = []
        for run in range(runs):
            self.reset_new_breaches()
            self.vacuum()
            figure = self.timed_tick()
            assert figure.result == (0, NEW_BREACHES, 0, 0, 0), figure.result
            figures.append(figure)
            print(f"  run {run + 1}: {figure}")
        _summary(figures)

    def time_idle_ticks(self, runs: int) -> None:
        print("\n--- tick with nothing new (right after the breach tick) ---")
        figures = []
        for run in range(runs):
            figure = self.timed_tick()
            assert figure.result == (0, 0, 0, 0, 0), figure.result
            figures.append(figure)
            print(f"  run {run + 1}: {figure}")
        _summary(figures)

    def timed_tick(self) -> Figure:
        from django.db import connection

        from incidents import tasks
        from incidents.services.sweep import sweep_tick

        # No broker in the bench: the e-mail task is queued after commit, outside the tick's
        # database work.
        tasks.notifications_email_task.delay = _no_broker  # type: ignore[method-assign,assignment]  # a stub
        rtt_ms = _round_trip_ms()
        server = _ServerStatements.start()
        backend = BackendCpu.start()  # after the statistics' reset: not the tick's work
        timer = _StatementTimer()
        with (
            connection.execute_wrapper(timer),
            _timed_commits(connection, timer, backend),
            _timed_copies(timer),
        ):
            started = time.perf_counter()
            result = sweep_tick(now=NOW)
            wall = time.perf_counter() - started
        backend_cpu_ms = backend.stop() if backend else None
        backend_commit_ms = backend.commit_ms if backend else None
        server_ms = server.stop() if server else None
        wal_bytes = server.wal_bytes if server else 0
        return Figure(
            wall_ms=wall * 1000,
            client_ms=dict(timer.ms),
            server_ms=server_ms,
            calls=dict(timer.calls),
            wal_bytes=wal_bytes,
            result=astuple(result),
            rtt_ms=rtt_ms,
            backend_cpu_ms=backend_cpu_ms,
            backend_commit_ms=backend_commit_ms,
        )


def _no_broker(**kwargs: Any) -> None:
    pass


def _round_trip_ms(samples: int = 5) -> float:
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for _ in range(samples):
            started = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


@dataclass(frozen=True)
class _Policy:
    pk: int
    unit: str
    amount: int
    warn_before: timedelta


@dataclass(frozen=True)
class _Lookups:
    sectors: dict[int, list[int | None]]
    executors: dict[int, list[int]]
    policies: dict[tuple[int, str], _Policy]


# What the figures group statements into: the "find and flag" part, the records the
# flags produce, the per-municipality lookups, and the commits (deferred FK checks + WAL flush).
PARTS = {
    "find + flag": ("SELECT incidentclock", "UPDATE incidentclock"),
    "events + notifications": (
        "INSERT incidentevent",
        "INSERT notification",
        "COPY incidentevent",
        "COPY notification",
        "SELECT nextval",
    ),
    "roster/terms lookups": (
        "SELECT roleassignment",
        "SELECT slapolicy",
        "SELECT municipality",
    ),
    "COMMIT": ("COMMIT",),
}


@dataclass(frozen=True)
class Figure:
    wall_ms: float
    client_ms: dict[str, float]  # per statement kind, as the client sees it (+ COMMIT)
    server_ms: dict[str, float] | None  # per statement kind, pg_stat_statements' execution time
    calls: dict[str, int]
    wal_bytes: int  # WAL the tick's statements wrote (pg_stat_statements; the FK checks too)
    result: tuple[int, ...]  # SweepResult: warned, breached, escalated, stage warned, breached
    rtt_ms: float  # a trivial statement's round trip just before the tick (the machine's load)
    backend_cpu_ms: float | None = None  # the server process's CPU time over the tick
    backend_commit_ms: float | None = None  # of which in COMMITs

    @property
    def commit_server_ms(self) -> float:
        """COMMIT less its round trips: what the server spent (deferred FK checks, WAL flush)."""
        return max(0.0, self.part("COMMIT") - self.calls.get("COMMIT", 0) * self.rtt_ms)

    @property
    def statements(self) -> int:
        return sum(self.calls.values())

    @property
    def db_ms(self) -> float:
        return sum(self.client_ms.values())

    def part(self, name: str, *, server: bool = False) -> float:
        source = self.server_ms if server and self.server_ms is not None else self.client_ms
        if server and name == "COMMIT":
            source = self.client_ms  # COMMIT's work happens after pg_stat_statements' timer
        return sum(ms for kind, ms in source.items() if kind in PARTS[name])

    def __str__(self) -> str:
        warned, breached, escalated, stage_warned, stage_breached = self.result
        parts = ", ".join(f"{name} {self.part(name):.1f}" for name in PARTS)
        return (
            f"DB {self.db_ms:6.1f} ms ({parts}), wall {self.wall_ms:6.1f} ms, "
            f"{self.statements} statements; warned {warned}, breached {breached}, "
            f"escalated {escalated}; stage terms warned {stage_warned}, breached {stage_breached}"
        )


class _StatementTimer:
    """Client-side duration of every statement of the tick, by kind."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.add(time.perf_counter() - started, _kind(sql))

    def add(self, seconds: float, kind: str) -> None:
        self.ms[kind] += seconds * 1000
        self.calls[kind] += 1


class _ServerStatements:
    """Server-side execution time from pg_stat_statements, where it is installed and readable
    (``shared_preload_libraries=pg_stat_statements``; the role may reset it)."""

    @classmethod
    def start(cls) -> _ServerStatements | None:
        from django.db import connection

        try:
            with transaction_savepoint(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_stat_statements_reset()")
        except Exception:  # optional: not installed, or this role may not reset it
            return None
        return cls()

    wal_bytes: int = 0

    def stop(self) -> dict[str, float]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT query, total_exec_time, wal_bytes FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND query NOT LIKE '%%pg_stat_statements%%'"
            )
            rows = cursor.fetchall()
        ms: dict[str, float] = defaultdict(float)
        # Per database, unlike pg_current_wal_lsn(): other databases of the cluster write too.
        self.wal_bytes = int(sum(wal for _query, _total, wal in rows))
        for query, total, _wal in rows:
            kind = _kind(query)
            if kind not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "SET", "SHOW"):
                ms[kind] += total
        return dict(ms)


@contextmanager
def _timed_commits(
    connection: Any, timer: _StatementTimer, backend: BackendCpu | None = None
) -> Iterator[None]:
    """COMMIT does not pass through execute wrappers; it is database work too (the deferred
    foreign-key checks Django's constraints run at commit, and the WAL flush)."""
    original = connection._commit

    def commit() -> None:
        started = time.perf_counter()
        cpu = backend.stop() if backend else None
        try:
            original()
        finally:
            timer.add(time.perf_counter() - started, "COMMIT")
            after = backend.stop() if backend else None
            if cpu is not None and after is not None and backend is not None:
                backend.commit_ms += after - cpu

    connection._commit = commit
    try:
        yield
    finally:
        connection._commit = original


@contextmanager
def _timed_copies(timer: _StatementTimer) -> Iterator[None]:
    """COPY (``insert_many``) does not pass through execute wrappers either: time each call,
    less the statements inside it that the wrapper already counted (the ids' nextval)."""
    from incidents.services import sweep

    original = sweep.insert_many

    def timed(model: Any, objs: Any, **kwargs: Any) -> None:
        counted = sum(timer.ms.values())
        started = time.perf_counter()
        try:
            original(model, objs, **kwargs)
        finally:
            inner = sum(timer.ms.values()) - counted
            name = model._meta.model_name
            timer.add(time.perf_counter() - started - inner / 1000, f"COPY {name}")

    sweep.insert_many = timed  # the same call, timed
    try:
        yield
    finally:
        sweep.insert_many = original


@contextmanager
def transaction_savepoint() -> Iterator[None]:
    from django.db import transaction

    with transaction.atomic():
        yield


def _kind(sql: str) -> str:
    words = sql.split()
    verb = words[0].upper() if words else "?"
    if "nextval(" in sql and "generate_series" in sql:
        return "SELECT nextval"  # ids for a COPY (incidents/services/bulk.py)
    if "FOR KEY SHARE" in sql:
        # A foreign-key check (Django's constraints are DEFERRABLE INITIALLY DEFERRED, so they
        # run at COMMIT, where pg_stat_statements sees them as top-level statements).
        verb = "FK check"
    # Longest name first: "incidents_incident" is a prefix of the clock's and the event's tables.
    for table in (
        "incidents_incidentclock",
        "incidents_incidentevent",
        "incidents_notification",
        "incidents_incident",
        "roles_roleassignment",
        "incidents_slapolicy",
        "roles_user",
        "mcu_municipality",
    ):
        if table in sql:
            return f"{verb} {table.split('_', 1)[1]}"
    return verb


def _summary(figures: list[Figure]) -> None:
    def line(label: str, values: list[float]) -> str:
        return (
            f"  {label:<44} median {statistics.median(values):7.1f} ms"
            f"   (min {min(values):.1f}, max {max(values):.1f})"
        )

    print(f"  medians over {len(figures)} runs:")
    print(line("wall (sweep_tick(), Python included)", [f.wall_ms for f in figures]))
    print(line("DB, client-side: all statements + COMMIT", [f.db_ms for f in figures]))
    if all(f.backend_cpu_ms is not None for f in figures):
        cpu = [f.backend_cpu_ms or 0.0 for f in figures]
        print(line("DB, server CPU (backend schedstat)", cpu))
        print(line("  of which in COMMIT", [f.backend_commit_ms or 0.0 for f in figures]))
    for name in PARTS:
        print(line(f"  {name}", [f.part(name) for f in figures]))
    print(
        f"  WAL written per tick                         median "
        f"{statistics.median(f.wal_bytes for f in figures) / 1024:7.0f} kB"
    )
    if all(f.server_ms is not None for f in figures):
        fk = [
            sum(ms for k, ms in (f.server_ms or {}).items() if k.startswith("FK check"))
            for f in figures
        ]
        print(line("FK checks (run inside COMMIT), server-side", fk))
        server = [
            sum(ms for k, ms in (f.server_ms or {}).items() if not k.startswith("FK check"))
            for f in figures
        ]
        commit = [f.part("COMMIT") for f in figures]
        print(line("DB, server-side: statements, FK checks apart", server))
        print(
            line(
                "DB, server-side statements + client-timed COMMIT",
                [s + c for s, c in zip(server, commit, strict=True)],
            )
        )
        print(
            line(
                "DB, server-side statements + COMMIT less RTT",
                [s + f.commit_server_ms for s, f in zip(server, figures, strict=True)],
            )
        )
        for name in PARTS:
            if name != "COMMIT":
                print(line(f"  {name}", [f.part(name, server=True) for f in figures]))
    print(line("round trip of SELECT 1 (load indicator)", [f.rtt_ms for f in figures]))
    last = figures[-1]
    if last.server_ms is not None:
        print(
            "  server-side ms by statement, last run: "
            + ", ".join(
                f"{kind} {ms:.1f}"
                for kind, ms in sorted(last.server_ms.items(), key=lambda kv: -kv[1])
            )
        )
    print(
        "  client-side ms by statement, last run: "
        + ", ".join(
            f"{kind} ×{last.calls[kind]} {ms:.1f}"
            for kind, ms in sorted(last.client_ms.items(), key=lambda kv: -kv[1])
        )
    )


_FILL_CLOCKS = """
INSERT INTO incidents_incidentclock (
    incident_id, municipality_id, is_open, due_at, warn_at, warned_at, breached_at,
    escalation_level, next_escalation_at, stage_open, stage_due_at, stage_warn_at,
    stage_warned_at, stage_breached_at
)
SELECT
    i.id, i.municipality_id, i.status = ANY(%(open)s), i.due_at, i.warn_at,
    CASE WHEN i.warn_at <= %(now)s THEN LEAST(i.due_at, %(now)s) END,
    CASE WHEN i.due_at <= %(before)s THEN i.due_at END,
    CASE WHEN i.due_at <= %(before)s THEN LEAST(4, s.level) ELSE 0 END,
    CASE WHEN i.due_at <= %(before)s AND s.level < 4
         THEN i.due_at + make_interval(secs => s.seconds * s.level) END,
    i.stage_due_at IS NOT NULL AND i.stage_due_at < i.due_at
        AND i.status = ANY(%(stage_open)s),
    i.stage_due_at,
    i.stage_due_at - f.warn_before,
    CASE WHEN i.stage_due_at - f.warn_before <= %(now)s THEN LEAST(i.stage_due_at, %(now)s) END,
    CASE WHEN i.stage_due_at <= %(now)s THEN i.stage_due_at END
FROM incidents_incident i
JOIN incidents_slapolicy p ON p.id = i.sla_policy_id
-- The rung a late incident is on at NOW: one per escalation step (policies.escalation_step).
CROSS JOIN LATERAL (
    SELECT seconds, 1 + floor(extract(epoch FROM %(now)s - i.due_at) / seconds) AS level
    FROM (SELECT CASE WHEN p.unit = 'hours' THEN 3600 ELSE 86400 END AS seconds) AS step
) s
LEFT JOIN incidents_slapolicy f ON f.municipality_id = i.municipality_id
    AND f.channel = i.channel AND f.stage = 'forwarding' AND NOT f.fast_track
    AND f.topic_id IS NULL
"""


_TEXTS = (
    "Добрый день! Во дворе дома уже вторую неделю не вывозят мусор, контейнерная площадка "
    "переполнена, пакеты лежат на земле, их растаскивают собаки и вороны. Жители несколько раз "
    "звонили в управляющую компанию, но там отвечают, что это не их зона ответственности. "
    "Просим разобраться и навести порядок, летом будет антисанитария.",
    "На участке дороги от школы до остановки образовалась глубокая яма, после дождя её не видно, "
    "машины проваливаются, пешеходов окатывает водой. Дети ходят по проезжей части, потому что "
    "тротуар тоже разбит. Когда будет ямочный ремонт? Прошу ответить по существу, а не отпиской.",
    "В квартирах третий день нет горячей воды, в управляющей компании трубку не берут, "
    "объявлений о плановых работах не было. В доме живут пожилые люди и маленькие дети. Просим "
    "сообщить сроки восстановления горячего водоснабжения и причину отключения.",
    "Не работает уличное освещение на всей улице, вечером идти с работы страшно, несколько раз "
    "падали на гололёде. Заявку в администрацию поселения подавали месяц назад, ответа нет. "
    "Прошу проверить и восстановить освещение, а также посыпать тротуары противогололёдной смесью.",
)


if __name__ == "__main__":
    main()
