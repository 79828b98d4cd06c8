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

    def seed_demo(self, *, log: SeedLog) -> None:
        """Demo incidents (issue 3 item 11): on the laptop — ``make run`` sets DEBUG — or
        wherever ``MCU_DEMO_INCIDENTS`` turns them on. Not by default elsewhere: the test suite
        seeds the demo accounts in many tests and must not pay for 1 500 incidents each time."""
        from django.conf import settings

        from incidents.configuration.demo import answer_templates_demo_seed

        answer_templates_demo_seed(log=log)
        if not settings.MCU_DEMO_INCIDENTS:
            return
        from incidents.services.demo import incidents_demo_seed

        incidents_demo_seed(log=log)
