"""Bench: how fast is this machine? FACTS.md's reference figures, measured again here.

    .venv/bin/python bench/calibrate.py [--seconds 20] [--port 8767]

The performance targets of issues 4 and 7 were set against figures measured on the project's
first machines (FACTS.md «Django / DRF / Celery»). Machines of the same nominal size (2 cores)
have since differed by 2–3× in speed, so every figure of the other benches is quoted beside
these, measured in the same hour on the same machine:

1. **pure Python**: a 10 000 000-step ``for`` loop adding integers (no library, no I/O);
2. **rows to JSON**: 10 000 incidents through ``.values()`` + orjson, and through a DRF
   ``ModelSerializer`` (FACTS.md: ~39 k and ~10 k rows/s);
3. **plain DRF list**: ``bench/calibrate_app.py`` — a ``ListAPIView`` with DRF's cursor
   pagination, 50 rows a page, no authentication — under gunicorn with 2 sync workers and 4
   concurrent clients, the same client loop as ``bench/api.py`` (FACTS.md: ~255 requests/s,
   p95 22 ms; issue 7 set its list target, p95 ≤ 25 ms, beside this one).

Uses ``bench/api.py``'s database (``mcu_api_bench``, 1 000 000 incidents; run that bench once
first to build it). Prints figures and the load average; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import (  # noqa: E402
    CLIENTS,
    DATABASE,
    latency_figures,
    load,
    server_env,
    start_gunicorn,
)

MUNICIPALITIES = ["oktyabrsky", "lensky", "askiz", "lovozero", "sosnovoborsk"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the list run")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--dsn", default="postgres://mcu:mcu@127.0.0.1:5432")
    args = parser.parse_args()
    env = server_env(f"{args.dsn}/{DATABASE}")
    os.environ.update(env)
    print(f"load before: {load()}")
    print(f"pure Python, 10 000 000-step loop: {pure_python() * 1000:,.0f} ms (best of 3)")
    import django

    django.setup()
    rows_to_json()
    server = start_gunicorn(env, args.port, application="bench.calibrate_app:application")
    try:
        base = f"http://127.0.0.1:{args.port}/plain/incidents/"
        _wait_ready(base)
        plain_list(base, clients=args.clients, seconds=args.seconds)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(f"load after: {load()}")


def pure_python() -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for n in range(10_000_000):
            total += n
        best = min(best, time.perf_counter() - started)
    return best


def rows_to_json() -> None:
    import orjson
    from django.db.models import QuerySet

    from bench.calibrate_app import PlainIncidentSerializer
    from incidents.models import Incident
    from mcu.tenancy import dangerously_unscoped

    fields = PlainIncidentSerializer.Meta.fields
    with dangerously_unscoped(reason="bench: reference rows of every municipality"):
        rows: QuerySet[Incident] = Incident.objects.order_by("id")[:10_000]

        def values() -> None:
            orjson.dumps(list(rows.values(*fields)))

        def serializer() -> None:
            orjson.dumps(PlainIncidentSerializer(list(rows), many=True).data)

        for name, run in (("values() + orjson", values), ("DRF ModelSerializer", serializer)):
            timings = []
            for _ in range(3):
                started = time.perf_counter()
                run()
                timings.append(time.perf_counter() - started)
            print(f"10 000 rows, {name}: {10_000 / min(timings):,.0f} rows/s (best of 3)")


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 — our own gunicorn
        return response.status, response.read()


def _wait_ready(base: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            _get(f"{base}?municipality=oktyabrsky")
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _client(base: str, seconds: float, seed: int, out: Any) -> None:
    import orjson

    latencies: list[float] = []
    stop = time.monotonic() + seconds
    n = seed
    while time.monotonic() < stop:
        url: str | None = f"{base}?municipality={MUNICIPALITIES[n % len(MUNICIPALITIES)]}"
        n += 1
        for _page in range(2):  # the first page and the one after it, as bench/api.py does
            assert url is not None
            started = time.perf_counter()
            status, body = _get(url)
            latencies.append(time.perf_counter() - started)
            assert status == 200, status
            url = orjson.loads(body)["next"]
            if not url:
                break
    out.put(latencies)


def plain_list(base: str, *, clients: int, seconds: float) -> None:
    for _ in range(20):  # warm both workers
        _get(f"{base}?municipality=oktyabrsky")
    queue: Any = CLIENTS.Queue()
    workers = [
        CLIENTS.Process(target=_client, args=(base, seconds, n, queue)) for n in range(clients)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    latencies = sorted(x for _ in workers for x in queue.get())
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started

    print(
        f"plain DRF list, page of 50, {clients} clients, gunicorn 2 workers: "
        f"{latency_figures(latencies, elapsed)} (FACTS.md: ~255 req/s, p95 22 ms)"
    )


if __name__ == "__main__":
    main()
