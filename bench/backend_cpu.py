"""The CPU time of this process's PostgreSQL backend, read from ``/proc`` (the server must run
on this machine): what the server computed for the statements a bench times."""

from __future__ import annotations


class BackendCpu:
    """The PostgreSQL backend's own CPU time over a piece of work (``/proc/<pid>/schedstat``, ns):
    what the server computed — statements, COPY parsing, FK checks, commit — without the time
    it waited for the client (pg_stat_statements counts a COPY's wait for its rows) or for the
    disk (the WAL flush, which the client-timed COMMIT shows). Needs the server on this machine
    and permission to read its process; otherwise the figure is left out."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.begin = self._read()
        self.commit_ms = 0.0  # the part spent in COMMITs (FK checks, writing the WAL)

    @classmethod
    def start(cls) -> BackendCpu | None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        try:
            return cls(f"/proc/{pid}/schedstat")
        except OSError:
            return None

    def _read(self) -> int:
        with open(self.path) as stat:
            return int(stat.read().split()[0])

    def stop(self) -> float | None:
        try:
            return (self._read() - self.begin) / 1e6
        except OSError:
            return None
