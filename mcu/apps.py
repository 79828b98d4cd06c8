from __future__ import annotations

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _

from mcu.seeding import SeedLog


class McuConfig(AppConfig):
    name = "mcu"
    verbose_name = _("МЦУ: муниципальные образования")

    def ready(self) -> None:
        from mcu import checks  # noqa: F401 - registers the tenancy checks
        from mcu.pg_loaders import register_timestamptz_loader

        connection_created.connect(register_timestamptz_loader, weak=False)

    def seed(self, *, log: SeedLog) -> None:
        from mcu.kpi_seed import kpi_targets_seed
        from mcu.services import regions_and_municipalities_seed

        regions_and_municipalities_seed(log=log)
        kpi_targets_seed(log=log)  # Октябрьский, Приложение № 2: needs the municipalities

    def seed_demo(self, *, log: SeedLog) -> None:
        """Demo meetings, assignments, a roadmap and hearings for Октябрьский (issue 8).

        ``mcu`` seeds before ``roles``, whose hook makes the demo accounts; they are made here
        first (idempotent: the roles hook then finds nothing to do), so the demo assignments can
        go to ``oktyabrsky-sector-owner`` and show in that login's «Мои задачи».
        """
        from mcu.center.demo import center_demo_seed
        from roles.services import demo_accounts_seed

        demo_accounts_seed(log=log)
        center_demo_seed(log=log)
