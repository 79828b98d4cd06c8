"""Helpers of the incident list tests: URLs and quick ways to fill the list."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, Topic
from mcu.models import Municipality
from mcu.tenancy import municipality_scope


def list_url(municipality: Municipality, name: str = "incident_list") -> str:
    return reverse(name, kwargs={"municipality_slug": municipality.slug})


def topic(code: str) -> Topic:
    return Topic.objects.get(code=code)


def raw_incidents(
    municipality: Municipality, count: int, *, start: datetime | None = None, **fields: Any
) -> list[Incident]:
    """``count`` incidents written directly (bulk), one minute apart going back from ``start``:
    for lists that need many rows, where the intake's routing is not what is tested."""
    start = start or timezone.now()
    with municipality_scope(municipality.pk):
        base = Incident.objects.filter(municipality=municipality).count()
        rows = [
            Incident(
                municipality=municipality,
                channel=fields.get("channel", "pos"),
                external_id=f"raw-{municipality.slug}-{base + n}",
                text=fields.get("text", f"Сообщение № {base + n}"),
                received_at=start - timedelta(minutes=n),
                due_at=start - timedelta(minutes=n) + timedelta(days=25),
                **{k: v for k, v in fields.items() if k not in ("channel", "text")},
            )
            for n in range(count)
        ]
        return Incident.objects.bulk_create(rows)
