from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from incidents.models import Notification
from roles.access import signed_in_user


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    """The bell's unread count in the current municipality (served by a partial index)."""
    municipality = getattr(request, "municipality", None)
    if municipality is None or not request.user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(
                municipality=municipality, user=signed_in_user(request), read_at__isnull=True
            ).count()
        )
    }
