from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand

from mcu.seeding import SeedLog


class Command(BaseCommand):
    help = "Создаёт регионы, муниципальные образования и составы МЦУ по актам (идемпотентно)."
    hooks: tuple[str, ...] = ("seed",)

    def handle(self, *args: Any, **options: Any) -> None:
        log = SeedLog(echo=self.stdout.write)
        for hook in self.hooks:
            for app_config in apps.get_app_configs():
                seeder = getattr(app_config, hook, None)
                if callable(seeder):
                    seeder(log=log)
        self.stdout.write(self.style.SUCCESS(f"{self.hooks[-1]}: {log.summary()}"))
