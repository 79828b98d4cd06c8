"""The seeding protocol: each app's ``AppConfig`` may define ``seed`` and ``seed_demo``.

``manage.py seed`` and ``seed_demo`` call them in INSTALLED_APPS order, so the tenancy core is
seeded before the rosters that depend on it, without ``mcu`` importing the apps above it.
Seeders are idempotent: they look rows up by natural keys and report what they changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import Model

_M = TypeVar("_M", bound=Model)


@dataclass
class SeedLog:
    """What a seeding run created and changed, so a second run can show it changed nothing."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    echo: Callable[[str], None] | None = None

    def record(self, model_label: str, *, created: bool, changed: bool = False) -> None:
        if created:
            self.created[model_label] += 1
        elif changed:
            self.updated[model_label] += 1

    @property
    def changed_anything(self) -> bool:
        return bool(+self.created or +self.updated)

    def summary(self) -> str:
        if not self.changed_anything:
            return "без изменений"
        parts = [f"{label}: +{n}" for label, n in sorted(self.created.items())]
        parts += [f"{label}: изменено {n}" for label, n in sorted(self.updated.items())]
        return "; ".join(parts)


def seed_upsert(
    model: type[_M], *, lookup: dict[str, Any], values: dict[str, Any], log: SeedLog
) -> _M:
    """Create the row found by ``lookup`` or bring its ``values`` up to date; log what changed.

    Runs through ``_base_manager``, which for tenant models is the scoped manager, so the caller
    must be inside the right ``municipality_scope``.
    """
    manager = model._base_manager
    obj = manager.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.save()
        log.record(model._meta.label, created=True)
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        log.record(model._meta.label, created=False, changed=True)
    return obj
