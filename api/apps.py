from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("REST API для ЦУР")

    def ready(self) -> None:
        # Registers the Bearer scheme with drf-spectacular (extensions register on import).
        from api import extensions  # noqa: F401
        from api.models import ApiToken
        from api.tokens import token_scopes_forget
        from mcu.models import Municipality

        # A cached token scope (api.tokens.token_scope) must not outlive a change of what it
        # was resolved from.
        for through in (ApiToken.regions.through, ApiToken.municipalities.through):
            m2m_changed.connect(token_scopes_forget, sender=through, weak=False)
        post_save.connect(token_scopes_forget, sender=Municipality, weak=False)
        post_delete.connect(token_scopes_forget, sender=Municipality, weak=False)
