from __future__ import annotations

from mcu.management.commands.seed import Command as SeedCommand


class Command(SeedCommand):
    help = (
        "Добавляет демо-учётные записи <slug>-<роль> и суперпользователя admin "
        "(пароль mcu-demo) и демо-данные (идемпотентно)."
    )
    # The acts first, so the demo accounts always have municipalities to belong to.
    hooks = ("seed", "seed_demo")
