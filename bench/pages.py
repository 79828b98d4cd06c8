"""Bench: server time of the staff workspace pages over 1 000 000 incidents (issue 5).

    DATABASE_URL=postgres://mcu:…@127.0.0.1:5432/mcu_pages_bench .venv/bin/python bench/pages.py

Targets (issue 5 «Performance»): the dashboard p95 ≤ 150 ms; «Мои задачи», the incident list
(first page and a page deep in) and the incident card p95 ≤ 60 ms each. Prints p50 / p95 / max
over the timed runs, this process's CPU time per request (p50: Django's own work, which the
machine's load inflates less than the wall time), the number of SQL queries of one request and
their summed client-side time, and the machine's load (``/proc/loadavg``) beside each figure:
the 2 cores are shared. Asserts no threshold.

"Server time" is measured in-process with Django's test ``Client``: the whole request through
the middleware (session, auth, the municipality scope), the view, the queries and the template —
everything but the WSGI server and the network. Query counts come from one extra request under
``CaptureQueriesContext`` (which switches on the debug cursor), never from the timed ones.

A page that does not exist yet (no URL name) is reported as "missing"; a page that answers
anything but 200 is reported with its status — nothing here crashes on another issue's page.

The data set is built with COPY by ``bench/sweep.py``'s builder (1 000 000 rows over the five
seeded municipalities, ~200 000 each); this script adds topics, a realistic mix of statuses
(about half answered or closed) and moves the whole set to the present, so "overdue", "due
today" and the last 8 weeks mean something. It needs a database of its own (``mcu_pages_bench``);
a second run reuses the rows. The open incidents' partial index ``incident_mun_open_due`` is part
of the schema (incidents migration 0005); an earlier bench-only copy of it is dropped.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcu.settings_test")

MUNICIPALITY = "oktyabrsky"  # eight sector blocks, every role of the matrix
DEEP = 100_000  # rows before the "deep" page: half-way down one municipality's ~200 000
# Proposed, not in the migrations (the model is another part's): open incidents by term. The
# full (municipality, due_at, id) index serves "by term" well, but "open, by term" and
# "overdue" must step over every finished incident whose term is already past — half the
# table here, most of it in a real municipality after a year (FACTS.md: 108 ms vs ~1 ms).
OPEN_DUE_INDEX = "incident_open_due"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="incidents in all")
    parser.add_argument("--runs", type=int, default=40, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per page first")
    parser.add_argument("--plans", action="store_true", help="EXPLAIN the list's page queries")
    parser.add_argument("--only", default="", help="measure only pages whose name contains this")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("bench/pages.py measures PostgreSQL: set DATABASE_URL=postgres://… (own DB).")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # The test Client's host, and no mail leaving. Not setup_test_environment(): it instruments
    # every template render with a signal, which would be timed too.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", verbosity=0)
    call_command("seed", verbosity=0)
    PagesBench(rows=args.rows).run(
        runs=args.runs,
        warmup=args.warmup,
        plans=args.plans,
        only=args.only,
    )


def _load() -> str:
    try:
        return "load " + " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "load ?"


def _builder() -> Any:
    """``bench/sweep.py``'s COPY builder, with topics, finished incidents and present dates."""
    from bench.sweep import NOW as SWEEP_NOW
    from bench.sweep import Bench

    class Builder(Bench):
        def lookups(self) -> Any:
            from incidents.models import Topic

            self.topic_ids = list(
                Topic.objects.filter(parent__isnull=False).values_list("pk", flat=True)
            )
            return super().lookups()

        def generate(self, lookups: Any) -> Iterator[dict[str, Any]]:
            from django.utils import timezone

            rng = random.Random(5)
            # The sweep's data sits around its fixed NOW; move it to the present.
            shift = timezone.now() - SWEEP_NOW
            finished = ["answered", "closed", "answered", "closed", "rejected", "forwarded"]
            for n, row in enumerate(super().generate(lookups)):
                for key, value in list(row.items()):
                    if isinstance(value, datetime):
                        row[key] = value + shift
                row["topic_id"] = rng.choice(self.topic_ids)
                row["is_repeat"] = n % 17 == 0
                row["fast_track"] = row["channel"] == "pos" and n % 7 == 0
                if rng.random() < 0.5:  # half of the history is done with
                    row["status"] = finished[n % len(finished)]
                    # Received earlier: weeks of history, answered a day after.
                    received = row["received_at"] - timedelta(days=rng.uniform(0, 56))
                    row["received_at"] = row["created_at"] = received
                    row["due_at"] = row["final_due_at"] = received + timedelta(days=3)
                    row["answered_at"] = received + timedelta(days=1)
                    row["updated_at"] = row["answered_at"]
                yield row

    return Builder


@dataclass(frozen=True)
class Figure:
    name: str
    status: int | str
    times_ms: list[float]
    cpu_ms: list[float]  # this process's CPU per request: Django's own work, less load-bound
    queries: int
    db_ms: float
    load: str

    def line(self) -> str:
        if not self.times_ms:
            return f"  {self.name:<46} {self.status}"
        times = sorted(self.times_ms)
        p95 = times[min(len(times) - 1, max(0, round(0.95 * len(times)) - 1))]
        return (
            f"  {self.name:<46} p50 {statistics.median(times):6.1f}  p95 {p95:6.1f}  "
            f"max {times[-1]:6.1f} ms  cpu p50 {statistics.median(self.cpu_ms):5.1f}  "
            f"{self.queries:>3} queries ({self.db_ms:5.1f} ms)  [{self.load}]"
        )


class PagesBench:
    def __init__(self, *, rows: int) -> None:
        self.rows = rows

    def run(self, *, runs: int, warmup: int, plans: bool, only: str = "") -> None:
        from django.db import connection

        from mcu.models import Municipality

        print(f"PostgreSQL {connection.cursor().connection.info.server_version}; {_load()}")
        builder = _builder()(rows=self.rows)
        builder.ensure_roster()
        builder.ensure_rows()
        self.drop_bench_only_index()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) incidents_incident")
        self.municipality = Municipality.objects.get(slug=MUNICIPALITY)
        self.users = self.ensure_users()
        self.print_sizes()
        pages = [page for page in self.pages() if only in page[0]]
        if plans:
            self.print_plans(pages)
        print(f"\n{runs} timed requests per page after {warmup} untimed; times are server time")
        for name, user, url_name, kwargs, query in pages:
            print(
                self.measure(name, user, url_name, kwargs, query, runs, warmup).line(), flush=True
            )
        print(f"\n{_load()}")

    # --- setup ----------------------------------------------------------------------------------

    def ensure_users(self) -> dict[str, Any]:
        """Signed-in people: the head (sees everything) and the «Дороги» owner."""
        from mcu.tenancy import municipality_scope
        from roles.models import Role, RoleAssignment, Sector, User

        people: dict[str, Any] = {}
        with municipality_scope(self.municipality.pk):
            roads = Sector.objects.get(municipality=self.municipality, code="roads")
            for key, role, sector in (
                ("head", Role.HEAD, None),
                ("sector_owner", Role.SECTOR_OWNER, roads),
            ):
                user, _ = User.objects.get_or_create(
                    username=f"bench-pages-{key}", defaults={"full_name": f"Стенд {key}"}
                )
                RoleAssignment.objects.get_or_create(
                    municipality=self.municipality, user=user, role=role, sector=sector
                )
                people[key] = user
        return people

    def drop_bench_only_index(self) -> None:
        """An earlier run may have built a bench-only copy of the schema's open-due index."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {OPEN_DUE_INDEX}")

    def print_sizes(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT municipality_id, count(*) FROM incidents_incident GROUP BY 1 ORDER BY 1"
            )
            counts = ", ".join(f"{mid}: {n:,}" for mid, n in cursor.fetchall())
            cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('incidents_incident'))")
            (size,) = cursor.fetchone()
        print(f"incidents per municipality id: {counts}; table + indexes {size}")
        print(f"measured in {self.municipality.short_name} (id {self.municipality.pk})")

    def cursor_at(self, sort_key: str, depth: int, where: str = "") -> str:
        """The "next" cursor of the page that ends at row ``depth`` (found once with OFFSET —
        setup, not timed): what following the links that far would hand the server."""
        from incidents.listing.selectors import SORTS, Cursor, incident_list_base
        from mcu.tenancy import municipality_scope

        sort = SORTS[sort_key]
        with municipality_scope(self.municipality.pk):
            qs = incident_list_base(municipality=self.municipality)
            if sort.nullable:
                qs = qs.filter(**{f"{sort.field}__isnull": False})
            row = qs.order_by(*sort.order_by())[depth - 1 : depth].get()
        return Cursor(sort.key, False, getattr(row, sort.field), row.pk).encode()

    def card_id(self, *, depth: int) -> int:
        """An incident in work half-way down the list (its answer flow is under way)."""
        from incidents.models import Incident
        from mcu.tenancy import municipality_scope

        with municipality_scope(self.municipality.pk):
            rows = Incident.objects.filter(municipality=self.municipality, status="in_progress")
            count = rows.count()
            return int(
                rows.order_by("received_at", "id").values_list("pk", flat=True)[
                    min(depth // 10, count - 1)
                ]
            )

    def pages(self) -> list[tuple[str, Any, str, dict[str, Any], str]]:
        from incidents.models import Incident
        from mcu.tenancy import municipality_scope

        head, owner = self.users["head"], self.users["sector_owner"]
        with municipality_scope(self.municipality.pk):
            total = Incident.objects.filter(municipality=self.municipality).count()
        deep = min(DEEP, total // 2)  # a smaller --rows: half-way down
        deep_received = self.cursor_at("-received", deep)
        deep_due = self.cursor_at("due", deep)
        card = {"pk": self.card_id(depth=deep)}
        return [
            ("dashboard (home), head", head, "home", {}, ""),
            ("«Мои задачи» (tasks), head", head, "tasks", {}, ""),
            ("«Мои задачи» (tasks), sector owner", owner, "tasks", {}, ""),
            ("list, first page (newest first)", head, "incident_list", {}, ""),
            (
                f"list, page after row {deep:,} (cursor)",
                head,
                "incident_list",
                {},
                f"cursor={deep_received}",
            ),
            ("list, sort=due, first page", head, "incident_list", {}, "sort=due"),
            (
                f"list, sort=due, after row {deep:,}",
                head,
                "incident_list",
                {},
                f"sort=due&cursor={deep_due}",
            ),
            ("list, open, by due (extra)", head, "incident_list", {}, "status=open&sort=due"),
            ("list, overdue (extra)", head, "incident_list", {}, "overdue=true&sort=due"),
            (
                "list, one block, by due (extra)",
                owner,
                "incident_list",
                {},
                f"sector={self.roads_id()}&status=open&sort=due",
            ),
            ("list, search «кв. 57» (icontains, extra)", head, "incident_list", {}, "q=кв.+57"),
            ("incident card, head", head, "incident_detail", card, ""),
            ("incident card, sector owner", owner, "incident_detail", card, ""),
        ]

    def roads_id(self) -> int:
        from mcu.tenancy import municipality_scope
        from roles.models import Sector

        with municipality_scope(self.municipality.pk):
            return Sector.objects.get(municipality=self.municipality, code="roads").pk

    # --- timing ---------------------------------------------------------------------------------

    def measure(
        self,
        name: str,
        user: Any,
        url_name: str,
        kwargs: dict[str, Any],
        query: str,
        runs: int,
        warmup: int,
    ) -> Figure:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import NoReverseMatch, reverse

        try:
            url = reverse(url_name, kwargs={"municipality_slug": self.municipality.slug, **kwargs})
        except NoReverseMatch:
            return Figure(name, "missing (no such page yet)", [], [], 0, 0.0, _load())
        if query:
            url = f"{url}?{query}"
        client = Client()
        client.force_login(user)
        for _ in range(warmup):
            response = client.get(url)
            if response.status_code != 200:
                return Figure(name, f"HTTP {response.status_code}", [], [], 0, 0.0, _load())
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        # Read now: the next request's request_started signal empties the query log.
        queries = len(captured)
        db_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        times, cpu = [], []
        for _ in range(runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        return Figure(name, 200, times, cpu, queries, db_ms, _load())

    def print_plans(self, pages: list[tuple[str, Any, str, dict[str, Any], str]]) -> None:
        """EXPLAIN ANALYZE of each list variant's slowest query (the page's incident query)."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        for name, user, url_name, _kwargs, query in pages:
            if url_name != "incident_list":
                continue
            client = Client()
            client.force_login(user)
            url = reverse(url_name, kwargs={"municipality_slug": self.municipality.slug})
            with CaptureQueriesContext(connection) as captured:
                client.get(f"{url}?{query}")
            slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
                plan = "\n".join(f"    {line}" for (line,) in cursor.fetchall())
            print(f"\n{name}:\n{plan}")


if __name__ == "__main__":
    main()
