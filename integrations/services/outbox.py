"""Answers back out: an outbox row in the publishing transaction, then delivery with retries."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents.models import Answer, Incident
from integrations.channels import adapter_for
from integrations.channels.base import ChannelUnavailable
from integrations.models import OutboxMessage
from mcu.tenancy import dangerously_unscoped, municipality_scope

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
HTTP_TIMEOUT_SECONDS = 10


def outbox_enqueue_for_answer(*, answer: Answer, incidents: Sequence[Incident]) -> None:
    """One outbox row per answered incident whose channel takes answers (a merged duplicate from
    another channel gets the answer in its own channel)."""
    now = timezone.now()
    created: list[int] = []
    for incident in incidents:
        adapter = adapter_for(incident.channel)
        if adapter is None or not adapter.takes_answers:
            continue
        row, was_created = OutboxMessage.objects.get_or_create(
            municipality_id=incident.municipality_id,
            answer=answer,
            incident=incident,
            defaults={
                "channel": incident.channel,
                "payload": {
                    "external_id": incident.external_id,
                    "text": answer.text,
                    "published_at": now.isoformat(),
                },
                "next_attempt_at": now,
            },
        )
        if was_created:
            created.append(row.pk)
    if created:
        municipality_id = incidents[0].municipality_id
        transaction.on_commit(lambda: _enqueue(municipality_id, created))


def _enqueue(municipality_id: int, ids: list[int]) -> None:
    from integrations.tasks import outbox_deliver_task

    for pk in ids:
        try:
            outbox_deliver_task.delay(municipality_id=municipality_id, outbox_id=pk)
        except Exception:  # a broker outage: the outbox sweeper delivers it later
            logger.warning("broker unavailable: outbox %s left for the sweeper", pk)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most an hour between attempts."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _post(endpoint: str, payload: dict[str, object]) -> None:
    request = urllib.request.Request(  # noqa: S310 - the endpoint is the administrator's https URL
        endpoint,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as error:
        if error.code >= 500 or error.code == 429:
            raise ChannelUnavailable(f"HTTP {error.code}") from error
        raise  # 4xx: the channel refuses this answer; retrying will not help
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise ChannelUnavailable(str(error)) from error


def outbox_deliver(*, municipality_id: int, outbox_id: int, now: datetime | None = None) -> str:
    """Deliver one row; returns its state. Idempotent: a sent row is not sent again."""
    with municipality_scope(municipality_id), transaction.atomic():
        row = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=outbox_id, state=OutboxMessage.State.PENDING)
            .first()
        )
        if row is None:
            return "skipped"
        moment = now or timezone.now()
        row.attempts += 1
        adapter = adapter_for(row.channel)
        endpoint = settings.MCU_CHANNEL_ENDPOINTS.get(row.channel)
        try:
            if adapter is None:
                raise ValueError(f"no adapter for {row.channel}")
            if endpoint:
                _post(endpoint, row.payload)
            else:
                adapter.send_answer(
                    external_id=str(row.payload.get("external_id", "")),
                    text=str(row.payload.get("text", "")),
                    endpoint=None,
                )
        except ChannelUnavailable as error:
            row.last_error = str(error)[:2000]
            if row.attempts >= MAX_ATTEMPTS:
                row.state = OutboxMessage.State.FAILED
                row.next_attempt_at = None
            else:
                row.next_attempt_at = moment + backoff(row.attempts)
        except Exception as error:  # a refusal or a bug: retrying will not help; show it
            logger.exception("outbox %s failed", row.pk)
            row.last_error = f"{type(error).__name__}: {error}"[:2000]
            row.state = OutboxMessage.State.FAILED
            row.next_attempt_at = None
        else:
            row.state = OutboxMessage.State.SENT
            row.sent_at = moment
            row.last_error = ""
            row.next_attempt_at = None
        row.save(update_fields=["attempts", "state", "last_error", "next_attempt_at", "sent_at"])
        return row.state


def outbox_requeue_due(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Hand over rows whose next attempt is due (partial index ``outbox_due``)."""
    moment = now or timezone.now()
    with dangerously_unscoped(reason="outbox sweeper: due deliveries of every municipality"):
        rows = list(
            OutboxMessage.objects.filter(
                state=OutboxMessage.State.PENDING, next_attempt_at__lte=moment
            )
            .order_by("next_attempt_at")
            .values_list("municipality_id", "pk")[:limit]
        )
    for municipality_id, pk in rows:
        _enqueue(municipality_id, [pk])
    return len(rows)
