"""Repeat detection: the same topic at the same place within a window (default 30 days)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings

from incidents.models import Incident, Status, Topic

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def address_key(address: str) -> str:
    """ "ул. Ленина, д. 5" and "УЛ ЛЕНИНА Д 5" give the same key; "" stays ""."""
    return " ".join(_NOT_WORD.sub(" ", address.casefold().replace("ё", "е")).split())[:500]


def repeat_window() -> timedelta:
    return timedelta(days=getattr(settings, "MCU_REPEAT_WINDOW_DAYS", 30))


def find_repeat_of(
    *,
    municipality_id: int,
    topic: Topic | None,
    address_key_value: str,
    settlement_id: int | None,
    received_at: datetime,
    exclude_id: int | None = None,
) -> Incident | None:
    """The earliest incident this one repeats, or None.

    Same topic and same address; with no address, the same settlement. No topic or no place: no
    repeat — guessing would inflate the repeat count the head is judged by.
    """
    if topic is None or not (address_key_value or settlement_id):
        return None
    candidates = Incident.objects.filter(
        municipality_id=municipality_id,
        topic=topic,
        received_at__gte=received_at - repeat_window(),
        received_at__lt=received_at,
    ).exclude(status=Status.MERGED)
    if address_key_value:
        candidates = candidates.filter(address_key=address_key_value)
    else:
        candidates = candidates.filter(address_key="", settlement_id=settlement_id)
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    first = candidates.order_by("received_at", "pk").first()
    if first is not None and first.repeat_of_id is not None:
        # Point at the original, not at another repeat: one chain, one root.
        return Incident.objects.filter(pk=first.repeat_of_id).first() or first
    return first
