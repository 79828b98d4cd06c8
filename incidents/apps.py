from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from mcu.seeding import SeedLog


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Инциденты")
    # A municipal administrator edits the terms and the topic → block mapping in the admin.
    admin_group_permissions = (
        ("incidents", "slapolicy", ("view", "add", "change")),
        ("incidents", "sectortopic", ("view", "add", "change")),
    )

    def seed(self, *, log: SeedLog) -> None:
        from incidents.services.seeding import incidents_reference_seed

        incidents_reference_seed(log=log)
