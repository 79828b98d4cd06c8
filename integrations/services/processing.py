"""Inbox rows → incidents, in batches; idempotent; a re-enqueue sweeper for rows left behind."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from incidents.exceptions import IncidentError
from incidents.services.intake import incident_create
from integrations.channels import adapter_for
from integrations.channels.base import PayloadInvalid
from integrations.models import InboundMessage
from integrations.services.routing import apply_rules, rules_for
from mcu.models import Municipality
from mcu.tenancy import dangerously_unscoped, municipality_scope

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
STALE_AFTER = timedelta(minutes=1)


@dataclass
class ProcessResult:
    processed: int = 0
    duplicates: int = 0
    failed: int = 0
    skipped: int = 0


def inbound_process(*, municipality_id: int, inbound_ids: list[int]) -> ProcessResult:
    """Turn pending rows into incidents. Rows another worker holds are skipped; rows already
    done are skipped; so a task that runs twice, or dies halfway, leaves exactly one incident
    per message (``incident_create`` is itself idempotent on the external id)."""
    result = ProcessResult()
    with municipality_scope(municipality_id), transaction.atomic():
        municipality = Municipality.objects.get(pk=municipality_id)
        rows = list(
            InboundMessage.objects.select_for_update(skip_locked=True)
            .filter(pk__in=inbound_ids, state=InboundMessage.State.PENDING)
            .order_by("pk")
        )
        result.skipped = len(inbound_ids) - len(rows)
        rules = rules_for(municipality_id=municipality_id)
        now = timezone.now()
        for row in rows:
            row.attempts += 1
            adapter = adapter_for(row.channel)
            try:
                with transaction.atomic():
                    if adapter is None:
                        raise PayloadInvalid({"channel": [f"Неизвестный канал {row.channel}"]})
                    parsed = adapter.parse(json.loads(row.body))
                    incident, created = incident_create(
                        municipality=municipality, message=apply_rules(parsed, rules)
                    )
            except (PayloadInvalid, IncidentError, json.JSONDecodeError) as error:
                row.state = InboundMessage.State.FAILED
                row.error = _describe(error)
                row.error_fields = getattr(error, "errors", {}) or {}
                result.failed += 1
            except Exception as error:  # a bug in one row must not stop the batch
                logger.exception("inbound %s failed unexpectedly", row.pk)
                row.error = f"{type(error).__name__}: {error}"[:5000]
                if row.attempts >= MAX_ATTEMPTS:
                    row.state = InboundMessage.State.FAILED
                    result.failed += 1
                else:
                    result.skipped += 1
            else:
                row.incident = incident
                row.state = (
                    InboundMessage.State.PROCESSED if created else InboundMessage.State.DUPLICATE
                )
                row.processed_at = now
                row.error = ""
                if created:
                    result.processed += 1
                else:
                    result.duplicates += 1
            row.save(
                update_fields=[
                    "attempts",
                    "state",
                    "error",
                    "error_fields",
                    "incident",
                    "processed_at",
                ]
            )
    return result


def _describe(error: Exception) -> str:
    if isinstance(error, PayloadInvalid):
        return error.summary()
    if isinstance(error, IncidentError):
        return error.message
    return str(error)[:5000]


def inbound_retry(*, inbound: InboundMessage) -> None:
    """The administrator fixed the cause (a routing rule, a sector): try a failed row again."""
    if inbound.state != InboundMessage.State.FAILED or not inbound.external_id:
        return
    inbound.state = InboundMessage.State.PENDING
    inbound.attempts = 0
    inbound.save(update_fields=["state", "attempts"])
    from integrations.services.inbox import inbox_enqueue

    municipality_id, pk = inbound.municipality_id, inbound.pk
    transaction.on_commit(lambda: inbox_enqueue(municipality_id=municipality_id, ids=[pk]))


def inbox_requeue_stale(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Re-enqueue rows still pending a minute after receipt (broker was down, worker killed).

    One index scan over pending rows only (partial index ``inbound_pending``), across
    municipalities; each group is handed over under its own municipality's id.
    """
    from integrations.services.inbox import inbox_enqueue

    cutoff = (now or timezone.now()) - STALE_AFTER
    with dangerously_unscoped(reason="inbox sweeper: pending rows of every municipality"):
        rows = list(
            InboundMessage.objects.filter(
                state=InboundMessage.State.PENDING, received_at__lt=cutoff
            )
            .order_by("received_at")
            .values_list("municipality_id", "pk")[:limit]
        )
    groups: dict[int, list[int]] = {}
    for municipality_id, pk in rows:
        groups.setdefault(municipality_id, []).append(pk)
    for municipality_id, ids in groups.items():
        inbox_enqueue(municipality_id=municipality_id, ids=ids)
    return len(rows)
