"""Channel secrets: create or rotate; the previous one stays valid until the next rotation."""

from __future__ import annotations

import secrets as std_secrets

from django.db import transaction
from django.utils import timezone

from integrations.models import ChannelSecret
from mcu.models import Municipality
from roles.models import User

VALID_AT_ONCE = 2  # the new secret and the one before it, while senders switch over


@transaction.atomic
def channel_secret_rotate(
    *, municipality: Municipality, channel: str, actor: User | None = None
) -> str:
    """Create a new secret and return it — the only time it is ever shown."""
    value = std_secrets.token_urlsafe(32)
    ChannelSecret.objects.create(
        municipality=municipality, channel=channel, secret=value, created_by=actor
    )
    active = list(
        ChannelSecret.objects.select_for_update()
        .filter(municipality=municipality, channel=channel, revoked_at__isnull=True)
        .order_by("-created_at", "-pk")
    )
    for old in active[VALID_AT_ONCE:]:
        old.revoked_at = timezone.now()
        old.save(update_fields=["revoked_at"])
    return value


def channel_secrets_active(*, municipality: Municipality, channel: str) -> list[str]:
    return list(
        ChannelSecret.objects.filter(
            municipality=municipality, channel=channel, revoked_at__isnull=True
        )
        .order_by("-created_at", "-pk")
        .values_list("secret", flat=True)[:VALID_AT_ONCE]
    )
