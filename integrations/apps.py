from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Каналы и интеграции")
    admin_group_permissions = (
        ("integrations", "routingrule", ("view", "add", "change")),
        ("integrations", "inboundmessage", ("view",)),
    )
