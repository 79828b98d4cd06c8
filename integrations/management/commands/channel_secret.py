from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.channels import ADAPTERS
from integrations.services.secrets import channel_secret_rotate
from mcu.models import Municipality
from mcu.tenancy import municipality_scope


class Command(BaseCommand):
    help = (
        "Создаёт или заменяет секрет подписи вебхука для муниципального образования и канала. "
        "Предыдущий секрет действует до следующей замены. Секрет печатается один раз — "
        "последней строкой."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("municipality", help="краткое имя, например oktyabrsky")
        parser.add_argument("channel", help=f"канал: {', '.join(sorted(ADAPTERS))}")

    def handle(self, *args: Any, **options: Any) -> None:
        municipality = Municipality.objects.filter(slug=options["municipality"]).first()
        if municipality is None:
            raise CommandError(f"Нет муниципального образования «{options['municipality']}».")
        channel = options["channel"]
        if channel not in ADAPTERS:
            raise CommandError(
                f"Неизвестный канал «{channel}». Каналы: {', '.join(sorted(ADAPTERS))}."
            )
        with municipality_scope(municipality.pk):
            secret = channel_secret_rotate(municipality=municipality, channel=channel)
        self.stderr.write(
            f"Новый секрет для {municipality.short_name}, канал {channel}. Сохраните его: "
            "больше он показан не будет. Предыдущий секрет действует до следующей замены."
        )
        self.stdout.write(secret)
