from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.models import ImportBatch
from integrations.services.imports import (
    import_batch_process,
    import_channels,
    import_file,
    import_rows_invalid,
)
from mcu.gc_tuning import tune_gc
from mcu.models import Municipality


class Command(BaseCommand):
    help = (
        "Загружает выгрузку ПОС или ИМ (XLSX или CSV) во входящие сообщения муниципального "
        "образования. Печатает итог и каждую ошибочную строку; повторная загрузка того же файла "
        "ничего не создаёт. Код выхода 1 — файл не прочитан."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("municipality", help="краткое имя, например oktyabrsky")
        parser.add_argument("channel", help=f"канал: {', '.join(import_channels())}")
        parser.add_argument("file", type=Path, help="путь к файлу .xlsx или .csv")
        parser.add_argument(
            "--process",
            action="store_true",
            help="сразу превратить загруженные сообщения в инциденты в этом процессе "
            "(без воркера) и напечатать итог обработки",
        )

    def run_from_argv(self, argv: list[str]) -> None:
        # From the command line: a long batch in this process, as in a worker (mcu/gc_tuning.py).
        tune_gc()
        super().run_from_argv(argv)

    def handle(self, *args: Any, **options: Any) -> None:
        municipality = Municipality.objects.filter(slug=options["municipality"]).first()
        if municipality is None:
            raise CommandError(f"Нет муниципального образования «{options['municipality']}».")
        channel = options["channel"]
        if channel not in import_channels():
            raise CommandError(
                f"Файлы канала «{channel}» не загружаются. Каналы: {', '.join(import_channels())}."
            )
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Не удалось прочитать {path}: {error.strerror}.") from None
        batch = import_file(
            municipality=municipality, channel=channel, file_name=path.name, data=data
        )
        self._summary(batch)
        if batch.state == ImportBatch.State.FAILED:
            raise CommandError(f"Файл не загружен: {batch.error}")
        if options["process"]:
            self._process(batch)

    def _summary(self, batch: ImportBatch) -> None:
        out = self.stdout
        out.write(f"Импорт № {batch.pk}: {batch.file_name} ({batch.get_channel_display()})")
        out.write(f"Строк с данными: {batch.total_rows}")
        out.write(f"Загружено новых: {batch.imported}")
        out.write(f"Уже были загружены (повторы): {batch.duplicates}")
        out.write(f"Строк с ошибками: {import_rows_invalid(batch)}")
        for error in batch.errors:
            column = f", «{error['column']}»" if error["column"] else ""
            out.write(f"  строка {error['row']}{column}: {error['reason']}")

    def _process(self, batch: ImportBatch) -> None:
        summary = import_batch_process(batch=batch)
        out = self.stdout
        out.write("Обработка:")
        out.write(f"  создано инцидентов: {summary.processed}")
        out.write(f"  инцидент уже существовал: {summary.duplicates}")
        out.write(f"  ошибок обработки: {summary.failed}")
        if summary.pending:
            out.write(f"  ещё обрабатывает воркер: {summary.pending}")
        for external_id, error in summary.failures:
            out.write(f"  сообщение {external_id}: {error}")
