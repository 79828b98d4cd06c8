"""The audit record of a settings change.

Settings rows (terms, routing rules, the mapping, templates, secrets, role assignments) have no
history table of their own, so every change made on the settings pages is written to Django's
admin log (``LogEntry``) — the same record the admin keeps for changes made there, shown in each
object's «История» in the admin. Role assignments are also their own history: a change ends a
row and opens another, never overwrites one.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models import Model

from roles.models import User

ADDED, CHANGED, DELETED = ADDITION, CHANGE, DELETION


def audit_record(
    *, actor: User, obj: Model, action: int, fields: Iterable[str] = (), note: str = ""
) -> None:
    """One log row. ``fields``: verbose names of what changed (the admin's own message format);
    ``note``: a sentence instead, for actions that are not plain edits (rotating a secret)."""
    message: str | list[dict[str, object]]
    if note:
        message = note
    elif action == ADDED:
        message = [{"added": {}}]
    elif action == CHANGED:
        message = [{"changed": {"fields": sorted(fields)}}]
    else:
        message = ""
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[obj],
        action_flag=action,
        change_message=message,
        single_object=True,
    )


def changed_fields(obj: Model, values: dict[str, object]) -> list[str]:
    """Names of the fields whose value differs, before they are set."""
    return [name for name, value in values.items() if getattr(obj, name) != value]


def verbose(model: type[Model], names: Iterable[str]) -> list[str]:
    return [str(getattr(model._meta.get_field(name), "verbose_name", name)) for name in names]
