"""COPY's text format against its binary one, for the rows an import writes.

``incidents.services.bulk`` writes the batch intake's incidents, events, clocks and inbox rows
with COPY, in the binary format wherever every column's type allows. This prints what that
format saves on both sides, for rows of the tables as they are stored:

- **client**: psycopg's formatting of each row (µs a row), with the values prepared as
  ``bulk`` prepares them (a jsonb value as its JSON text for the text format, as jsonb's wire
  bytes for the binary one);
- **server**: the CPU of the PostgreSQL backend (``bench.backend_cpu``: read from ``/proc``, so
  the server must run on this machine) to COPY the same rows into an empty copy of the table
  with all its indexes, alternately text and binary.

It reads the rows already stored: run ``bench/import.py`` on the same database first.
``DATABASE_URL=postgres://… .venv-bench/bin/python bench/copy_format.py [--rows N] [--rounds N]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.backend_cpu import BackendCpu

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcu.settings_test")

TABLES = [
    "incidents_incident",
    "incidents_incidentevent",
    "incidents_incidentclock",
    "integrations_inboundmessage",
]
JSONB_OID = 3802
BYTEA_OID = 17


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=30_000, help="rows of each table")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("bench/copy_format.py measures PostgreSQL's COPY: set DATABASE_URL=postgres://…")
    import django

    django.setup()
    from django.db import connection

    if BackendCpu.start() is None:
        sys.exit("the server's CPU is read from /proc: run PostgreSQL on this machine")
    raw = connection.connection  # psycopg's own, under Django's (the same backend)
    raw.autocommit = True
    print(f"PostgreSQL {raw.info.server_version}; {args.rows:,} rows a table, {args.rounds} rounds")
    for table in TABLES:
        measure(raw, table, args.rows, args.rounds)


def measure(raw: Any, table: str, limit: int, rounds: int) -> None:
    from psycopg._copy_base import BinaryFormatter, TextFormatter
    from psycopg.adapt import Transformer
    from psycopg.pq import Format

    cursor = raw.cursor()
    cursor.execute(f"SELECT * FROM {table} ORDER BY 1 LIMIT %s", [limit])  # noqa: S608
    rows = cursor.fetchall()
    if not rows:
        print(f"{table}: no rows — run bench/import.py on this database first")
        return
    oids = [column.type_code for column in cursor.description]
    names = [column.name for column in cursor.description]
    jsonb = [oid == JSONB_OID for oid in oids]
    as_text = [
        [
            json.dumps(v) if is_json and v is not None else v
            for v, is_json in zip(row, jsonb, strict=True)
        ]
        for row in rows
    ]
    as_binary = [
        [
            b"\x01" + json.dumps(v).encode() if is_json and v is not None else v
            for v, is_json in zip(row, jsonb, strict=True)
        ]
        for row in rows
    ]
    binary_oids = [BYTEA_OID if is_json else oid for oid, is_json in zip(oids, jsonb, strict=True)]

    def format_text() -> bytes:
        formatter = TextFormatter(Transformer(cursor))
        return b"".join(formatter.write_row(row) for row in as_text) + formatter.end()

    def format_binary() -> bytes:
        transformer = Transformer(cursor)
        transformer.set_dumper_types(binary_oids, Format.BINARY)
        formatter = BinaryFormatter(transformer)
        head = b"".join(formatter.write_row(row) for row in as_binary)
        return head + formatter.end()

    client: dict[str, list[float]] = {"text": [], "binary": []}
    server: dict[str, list[float]] = {"text": [], "binary": []}
    data: dict[str, bytes] = {}
    columns = ", ".join(f'"{name}"' for name in names)
    for _ in range(rounds):
        for kind, build in (("text", format_text), ("binary", format_binary)):
            started = time.process_time()
            data[kind] = build()
            client[kind].append((time.process_time() - started) / len(rows) * 1e6)
            raw.execute("DROP TABLE IF EXISTS bench_copy_format")
            raw.execute(f"CREATE TABLE bench_copy_format (LIKE {table} INCLUDING ALL)")
            backend = BackendCpu.start()
            assert backend is not None  # checked in main()
            with cursor.copy(
                f"COPY bench_copy_format ({columns}) FROM STDIN (FORMAT {kind.upper()})"
            ) as copy:
                copy.write(data[kind])
            server[kind].append((backend.stop() or 0.0) / 1000)
    raw.execute("DROP TABLE IF EXISTS bench_copy_format")
    print(f"{table}: {len(rows):,} rows")
    for kind in ("text", "binary"):
        print(
            f"  {kind:6}  {len(data[kind]) / 1e6:6.1f} MB  client formatting "
            f"{statistics.median(client[kind]):5.1f} µs a row (median)  server CPU "
            + " / ".join(f"{s:.2f}" for s in server[kind])
            + " s"
        )


if __name__ == "__main__":
    main()
