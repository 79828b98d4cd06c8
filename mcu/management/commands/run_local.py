"""Laptop / demo launcher: the web server and a Celery worker with embedded beat in one terminal.

Each child runs in its own session so that Ctrl-C reaches only this command, which then stops the
children in order: a Celery worker hit by the terminal's SIGINT *and* our SIGTERM would treat the
second signal as "again" and could drop in-flight tasks.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

HOST = "127.0.0.1"
STOP_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 0.3
SERVER_START_TIMEOUT_SECONDS = 60.0


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    # runserver's autoreloader forks the real server: signal the whole group, or the server
    # outlives its parent. A Celery worker must be signalled on its main PID only: it shuts its
    # pool down itself, and a pool process killed under it loses the task it holds.
    signal_group: bool


def var_dir() -> Path:
    return Path(getattr(settings, "VAR_DIR", Path(settings.BASE_DIR) / "var"))


def broker_folders() -> list[Path]:
    """The folders Celery's filesystem transport reads and writes; it does not create them."""
    broker_url = str(getattr(settings, "CELERY_BROKER_URL", ""))
    if not broker_url.startswith("filesystem://"):
        return []
    options: dict[str, Any] = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    keys = ("data_folder_in", "data_folder_out", "processed_folder")
    return [Path(options[key]) for key in keys if options.get(key)]


def port_is_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "Запускает веб-сервер и Celery (worker + beat) для работы на ноутбуке."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="порт веб-сервера")

    def handle(self, *args: Any, **options: Any) -> None:
        port: int = options["port"]
        if port_is_open(port):
            raise CommandError(f"Порт {port} уже занят. Укажите другой: make run PORT=8123")

        for folder in [var_dir(), *broker_folders()]:
            folder.mkdir(parents=True, exist_ok=True)

        self._stop_requested = False
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)

        children = self._start_children(port)
        try:
            failed = self._supervise(children, port)
        finally:
            self._stop_all(children)
        if failed is not None:
            raise CommandError(
                f"Процесс «{failed.name}» завершился с кодом {failed.process.returncode}; "
                "остальные остановлены."
            )
        self.stdout.write("Все процессы остановлены.")

    def _request_stop(self, signum: int, frame: FrameType | None) -> None:
        self._stop_requested = True

    def _start_children(self, port: int) -> list[Child]:
        python = sys.executable
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        beat_schedule = str(var_dir() / "celerybeat-schedule")
        celery = [python, "-m", "celery", "-A", "mcu", "worker", "-B", "-l", "info"]
        commands = [
            ("веб-сервер", [python, manage, "runserver", f"{HOST}:{port}"], True),
            ("Celery worker + beat", [*celery, "--concurrency", "2", "-s", beat_schedule], False),
        ]
        children = []
        for name, command, signal_group in commands:
            # A fixed argv from sys.executable and settings, no shell: nothing untrusted to run.
            process = subprocess.Popen(  # noqa: S603
                command, cwd=settings.BASE_DIR, start_new_session=True
            )
            children.append(Child(name=name, process=process, signal_group=signal_group))
        return children

    def _supervise(self, children: list[Child], port: int) -> Child | None:
        """Wait for Ctrl-C / SIGTERM (returns None) or for a child to die (returns it)."""
        announced = False
        started = time.monotonic()
        while not self._stop_requested:
            for child in children:
                if child.process.poll() is not None:
                    return child
            if not announced and port_is_open(port):
                self._announce(port)
                announced = True
            elif not announced and time.monotonic() - started > SERVER_START_TIMEOUT_SECONDS:
                self.stderr.write(f"Веб-сервер не открыл порт {port} за минуту; жду дальше.")
                announced = True
            time.sleep(POLL_SECONDS)
        return None

    def _announce(self, port: int) -> None:
        # The machine's own clock and zone: what the person at the laptop sees on the wall.
        now = timezone.now().astimezone().strftime("%d.%m.%Y %H:%M:%S %Z")
        self.stdout.write(
            self.style.SUCCESS(
                f"\nMCU Desk запущен, время сервера: {now}.\n"
                f"Откройте http://{HOST}:{port}/ — вход: askiz-head / mcu-demo, "
                "администратор: admin / mcu-demo; все демо-учётные записи — в README.\n"
                "Остановить: Ctrl-C.\n"
            )
        )
        self.stdout.flush()

    def _stop_all(self, children: list[Child]) -> None:
        alive = [child for child in children if child.process.poll() is None]
        if alive:
            self.stdout.write("Останавливаю: " + ", ".join(child.name for child in alive) + " …")
            self.stdout.flush()
        for child in alive:
            self._send(child, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in alive:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"«{child.name}» не остановился за 10 с, завершаю принудительно.")
        # SIGKILL the whole group in every case: it also reaps a Celery pool process or a
        # runserver child left behind by a parent that has already exited.
        for child in children:
            self._send(child, signal.SIGKILL, group=True)
            child.process.wait()

    @staticmethod
    def _send(child: Child, signum: signal.Signals, group: bool = False) -> None:
        try:
            if group or child.signal_group:
                # start_new_session=True made the child the leader of its own process group.
                os.killpg(child.process.pid, signum)
            else:
                child.process.send_signal(signum)
        except ProcessLookupError:
            pass
