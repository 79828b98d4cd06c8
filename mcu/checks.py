"""System checks that keep the tenancy rules of STYLE.md true as models are added."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error, register

from mcu.models import TenantManager, TenantModel


@register()
def tenant_models_are_scoped(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for model in apps.get_models():
        if not issubclass(model, TenantModel):
            continue
        label = model._meta.label
        for name, manager in (
            ("default", model._default_manager),
            ("base", model._base_manager),
        ):
            if not isinstance(manager, TenantManager):
                errors.append(
                    Error(
                        f"{label}: the {name} manager is not a TenantManager",
                        hint="Inherit Meta from TenantModel.Meta (base_manager_name='objects').",
                        obj=model,
                        id="mcu.E001",
                    )
                )
        for field in model._meta.local_fields:
            if field.unique and not field.primary_key:
                errors.append(
                    Error(
                        f"{label}.{field.name} is unique across all municipalities",
                        hint="Use a UniqueConstraint that includes 'municipality'.",
                        obj=model,
                        id="mcu.E002",
                    )
                )
        for constraint in model._meta.constraints:
            fields = getattr(constraint, "fields", ())
            if fields and "municipality" not in fields:
                errors.append(
                    Error(
                        f"{label}: constraint {constraint.name} does not include municipality",
                        obj=model,
                        id="mcu.E003",
                    )
                )
    return errors
