"""Bench: the weekly summary workbook for a busy week and a stress week (issue 6, «Performance»).

    .venv/bin/python bench/reports.py    # DATABASE_URL defaults to …/mcu_reports_bench (created)

Targets (issue 6): a week with 2 000 incidents ≤ 2 s; a stress week with 100 000 incidents
≤ 20 s and ≤ 150 MB peak memory. Prints figures, asserts none.

The data set (built once, reused): Октябрьский район, week 2026-W10 with 2 000 incidents and
week 2026-W20 with 100 000, each after four weeks of 2 000 (the «Темы» sheet compares with the
four weeks before). Statuses are mixed as a working week leaves them: most answered (some
late), some closed, rejected, forwarded, postponed, a few percent still open past their term —
so «Просрочено» lists thousands of rows in the stress week.

Each measurement runs in a fresh child process (``--measure``), so its peak memory is the
workbook's and not the data generator's. Peak is the child's ``VmHWM`` (/proc: the high-water
RSS of its own address space — ``ru_maxrss`` would carry the parent's peak across ``exec``);
the baseline is its ``VmRSS`` after Django has loaded, before the workbook starts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcu.settings_test")
os.environ.setdefault("DATABASE_URL", "postgres://mcu:mcu@127.0.0.1:5432/mcu_reports_bench")

PREFIX = "rbench-"
BUSY_WEEK = "2026-W10"
STRESS_WEEK = "2026-W20"
WEEKS = {BUSY_WEEK: 2_000, STRESS_WEEK: 100_000}
HISTORY = 2_000  # per week, four weeks before each measured week
RUNS = 3


def _create_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def _setup() -> None:
    import django

    django.setup()


def _prepare() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed", verbosity=0)
    from incidents.models import Incident
    from mcu.models import Municipality
    from mcu.tenancy import municipality_scope
    from reports.periods import parse_week

    municipality = Municipality.objects.get(slug="oktyabrsky")
    with municipality_scope(municipality.pk):
        if Incident.objects.filter(external_id__startswith=PREFIX).exists():
            print("data set present, reused")
            return
        started = time.perf_counter()
        total = 0
        for code, count in WEEKS.items():
            week = parse_week(code, municipality.tz)
            for back in range(4, 0, -1):
                total += _fill(municipality, week.shifted_weeks(-back), HISTORY)
            total += _fill(municipality, week, count)
        print(f"inserted {total} incidents in {time.perf_counter() - started:.1f} s")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE incidents_incident")


def _fill(municipality: Any, period: Any, count: int) -> int:
    from incidents.models import Incident, Status, Topic
    from roles.models import Sector

    rng = random.Random(f"{period.code}-{count}")
    sectors = list(Sector.objects.filter(municipality=municipality))
    topics = list(Topic.objects.filter(parent__isnull=False))
    seconds = int((period.end - period.start).total_seconds())
    rows = []
    for number in range(count):
        received = period.start + timedelta(seconds=rng.randrange(seconds))
        due = received + (timedelta(hours=3) if rng.random() < 0.5 else timedelta(days=25))
        roll = rng.random()
        answered = closed = None
        if roll < 0.70:
            status = Status.ANSWERED
            answered = received + (due - received) * rng.uniform(0.1, 1.3)
        elif roll < 0.80:
            status = Status.CLOSED
            answered = received + (due - received) * rng.uniform(0.1, 0.9)
            closed = answered + timedelta(hours=2)
        elif roll < 0.84:
            status, closed = Status.REJECTED, received + timedelta(hours=1)
        elif roll < 0.87:
            status, closed = Status.FORWARDED, received + timedelta(hours=5)
        elif roll < 0.92:
            status = Status.IN_PROGRESS
            due = received - timedelta(hours=rng.randrange(1, 48))  # open past its term
        else:
            status = rng.choice([Status.NEW, Status.ASSIGNED, Status.POSTPONED])
            due = period.end + timedelta(days=rng.randrange(1, 20))
        topic = rng.choice(topics)
        rows.append(
            Incident(
                municipality=municipality,
                channel=rng.choice(["im", "pos", "pos", "appeal", "edds", "gospublic"]),
                external_id=f"{PREFIX}{period.code}-{number}",
                status=status,
                text=f"Сообщение {number}: " + "яма на дороге у дома, " * rng.randrange(2, 10),
                address=f"ул. Ленина, {rng.randrange(1, 200)}",
                received_at=received,
                due_at=due,
                answered_at=answered,
                answered_late=bool(answered and answered >= due) if answered else None,
                closed_at=closed,
                sector=rng.choice(sectors),
                topic=topic,
                is_repeat=rng.random() < 0.1,
                satisfaction=rng.choice([None, None, 1, 2, 3, 4, 5]) if answered else None,
                auto_routed=rng.random() < 0.75,
                fast_track=rng.random() < 0.2,
                has_geo_confirmation=rng.random() < 0.3,
            )
        )
    Incident.objects.bulk_create(rows, batch_size=500)
    return count


def _measure(code: str, kind: str) -> dict[str, Any]:
    """One build in this (fresh) process: wall time per sheet, total, peak RSS."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from mcu.models import Municipality
    from mcu.tenancy import municipality_scope
    from reports.periods import parse_month, parse_week
    from reports.workbooks.kpi import kpi_monthly_workbook
    from reports.workbooks.problems import problemator_workbook
    from reports.workbooks.weekly import weekly_summary_workbook
    from reports.xlsx import workbook_bytes

    municipality = Municipality.objects.get(slug="oktyabrsky")
    baseline = _status_mb("VmRSS")
    marks: list[tuple[int, float]] = []
    started = time.perf_counter()
    reset_queries()
    with municipality_scope(municipality.pk), CaptureQueriesContext(connection) as queries:
        if kind == "weekly":
            period = parse_week(code, municipality.tz)
            book = weekly_summary_workbook(
                municipality=municipality,
                period=period,
                progress=lambda p: marks.append((p, time.perf_counter() - started)),
            )
        elif kind == "problemator":
            book = problemator_workbook(
                municipality=municipality, period=parse_week(code, municipality.tz)
            )
        else:
            book = kpi_monthly_workbook(
                municipality=municipality, period=parse_month(code, municipality.tz)
            )
        content = workbook_bytes(book)
    total = time.perf_counter() - started
    return {
        "seconds": round(total, 2),
        "sheets": [round(t, 2) for _p, t in marks],
        "queries": len(queries.captured_queries),
        "db_seconds": round(sum(float(q["time"]) for q in queries.captured_queries), 2),
        "bytes": len(content),
        "baseline_mb": round(baseline, 1),
        "peak_mb": _status_mb("VmHWM"),
    }


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)  # kB
    return float("nan")


def _child(code: str, kind: str) -> dict[str, Any]:
    output = subprocess.run(  # noqa: S603  # this very script, with our own arguments
        [sys.executable, __file__, "--measure", code, "--kind", kind],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "DEBUG": "false"},
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--measure")
    parser.add_argument("--kind", default="weekly")
    args = parser.parse_args()
    if args.measure:
        _setup()
        print(json.dumps(_measure(args.measure, args.kind)))
        return
    _create_database()
    _setup()
    _prepare()
    cases = [
        (BUSY_WEEK, "weekly", "busy week, 2 000 incidents"),
        (STRESS_WEEK, "weekly", "stress week, 100 000 incidents"),
        (STRESS_WEEK, "problemator", "problemator, stress week"),
        ("2026-05", "kpi", "monthly KPI, May 2026 (incl. the stress week)"),
    ]
    for code, kind, label in cases:
        results = [_child(code, kind) for _ in range(RUNS)]
        seconds = [r["seconds"] for r in results]
        last = results[-1]
        print(
            f"{label}: median {statistics.median(seconds):.2f} s (runs {seconds}); "
            f"DB {last['db_seconds']} s in {last['queries']} queries; "
            f"peak RSS {max(r['peak_mb'] for r in results)} MB "
            f"(Django loaded: {last['baseline_mb']} MB); file {last['bytes'] / 1e6:.2f} MB; "
            f"cumulative s after each sheet {last['sheets']}; load {_load()}"
        )


if __name__ == "__main__":
    main()
