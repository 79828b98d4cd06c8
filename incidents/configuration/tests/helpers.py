"""Small assertions shared by the settings page tests."""

from __future__ import annotations

import html

from django.contrib.admin.models import LogEntry
from django.db.models import Model


def field_error(response, field: str) -> str:
    """The error text shown next to ``field`` (the span right after the input), or ""."""
    body = response.content.decode()
    marker = f'id="id_{field}_error">'
    start = body.find(marker)
    if start < 0:
        return ""
    start += len(marker)
    return html.unescape(body[start : body.index("</span>", start)])


def audit_of(obj: Model) -> list[tuple[int, str]]:
    return list(
        LogEntry.objects.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name)
        .order_by("pk")
        .values_list("action_flag", "change_message")
    )
