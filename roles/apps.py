from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from mcu.seeding import SeedLog


class RolesConfig(AppConfig):
    name = "roles"
    verbose_name = _("Состав МЦУ и роли")

    def seed(self, *, log: SeedLog) -> None:
        from roles.services import rosters_seed

        rosters_seed(log=log)

    def seed_demo(self, *, log: SeedLog) -> None:
        from roles.services import demo_accounts_seed

        demo_accounts_seed(log=log)
