"""Inbox rows → incidents, in batches; idempotent; a re-enqueue sweeper for rows left behind."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.db import connection, transaction
from django.utils import timezone

from incidents.exceptions import IncidentError
from incidents.models import Incident
from incidents.services.intake import IncomingMessage, incident_create, incident_create_many
from integrations.channels import adapter_for
from integrations.channels.base import PayloadInvalid
from integrations.models import InboundMessage
from integrations.services import normalized
from integrations.services.routing import CompiledRules, apply_rules, compile_rules, rules_for
from mcu.models import Municipality
from mcu.sql import column, table
from mcu.tenancy import dangerously_unscoped, municipality_scope, require_in_scope

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
    """Turn pending rows into incidents, the whole batch in one transaction.

    Rows another worker holds are skipped (``SKIP LOCKED``); rows already done are skipped; the
    incidents, their events and notifications are written by ``incident_create_many`` (one
    COPY each) and the rows marked in the same transaction. So a task that runs twice, or dies
    halfway, leaves exactly one incident per message: either the transaction committed (rows
    done, skipped next time) or nothing of it did; and the unique key (municipality, channel,
    external id) refuses a second incident whatever happens.

    If the batch as a whole fails unexpectedly, it is rolled back to a savepoint and its rows
    are made one by one, so one bad row costs only itself.
    """
    result = ProcessResult()
    with municipality_scope(municipality_id), transaction.atomic():
        municipality = Municipality.objects.get(pk=municipality_id)
        rows = _claim(municipality_id, inbound_ids)
        result.skipped = len(inbound_ids) - len(rows)
        if not rows:
            return result
        rules = compile_rules(rules_for(municipality_id=municipality_id))
        now = timezone.now()
        for row in rows:
            row.attempts += 1
            row.error_fields = {}  # this attempt's outcome replaces the last one's
        valid: list[tuple[InboundMessage, IncomingMessage]] = []
        for row, parsed in zip(rows, _parse(rows, rules), strict=True):
            if isinstance(parsed, IncomingMessage):
                valid.append((row, parsed))
            else:
                _fail(row, parsed, result)
        try:
            with transaction.atomic():
                made = incident_create_many(
                    municipality=municipality, messages=[m for _, m in valid]
                )
        except Exception:  # a bug or a bad row: fall back to one savepoint per row
            logger.exception("inbound batch of %d failed; processing row by row", len(valid))
            for row, message in valid:
                _one(municipality, row, message, result, now)
        else:
            for (row, _message), outcome in zip(valid, made, strict=True):
                if outcome.error is not None:
                    _fail(row, outcome.error, result)
                else:
                    assert outcome.incident is not None
                    _done(row, outcome.incident, outcome.created, result, now)
        _save(rows)
    return result


# What processing reads and writes; bodies are read only where there is no parsed form.
CLAIMED = frozenset(
    {
        "id",
        "municipality_id",
        "channel",
        "attempts",
        "state",
        "error",
        "incident_id",
        "processed_at",
        "normalized",
    }
)


def _claim(municipality_id: int, inbound_ids: list[int]) -> list[InboundMessage]:
    """The batch's rows still pending, locked for this transaction; rows another worker holds
    are skipped. In id order.

    On PostgreSQL each id is one probe of the primary key, locked there, and only then checked
    for its municipality and state. With those conditions beside the ids in one ``WHERE``, the
    planner weighed them by the statistics, and an inbox's statistics, taken while nearly every
    row was processed, say no row is pending: it then read every pending row of the
    municipality through an index by state (``inbound_pending``, ``inbound_state_mun``) and
    kept the batch's 500. So every claim of a large import read the whole backlog: 22 ms a
    claim with 29 700 rows pending, against ~4 ms; probing each id with those conditions
    beside it, 8.4 s. The ids travel as one JSON document, as ``inbox_stored``'s do.
    """
    # The plain SQL below bypasses the tenant manager: the scope is checked as it would check.
    require_in_scope("InboundMessage", municipality_id)
    if connection.vendor != "postgresql":
        return list(
            InboundMessage.objects.select_for_update(skip_locked=True)
            .filter(
                municipality_id=municipality_id,
                pk__in=inbound_ids,
                state=InboundMessage.State.PENDING,
            )
            .only(*CLAIMED)
            .order_by("pk")
        )
    # ``from_db`` takes the values in the model's order of fields.
    attnames = [f.attname for f in InboundMessage._meta.concrete_fields if f.attname in CLAIMED]
    names = ", ".join(column(InboundMessage, name) for name in attnames)
    # ``OFFSET 0`` fences the locking sub-select: the planner may not move the municipality
    # and state conditions into it (a plain sub-select, even a locking one, takes them), so
    # its only way in is the primary key. A row of another municipality would be locked but
    # never returned; the ids come from this municipality's own inbox (``inbox_enqueue``).
    sql = f"""
        SELECT claimed.*
          FROM jsonb_array_elements_text(%s::jsonb) AS wanted(id)
         CROSS JOIN LATERAL (
               SELECT {names}
                 FROM {table(InboundMessage)}
                WHERE {column(InboundMessage, "id")} = wanted.id::bigint
               OFFSET 0  -- the fence: see above
                  FOR UPDATE SKIP LOCKED
               ) AS claimed
         WHERE claimed.{column(InboundMessage, "municipality")} = %s
           AND claimed.{column(InboundMessage, "state")} = %s
         ORDER BY claimed.{column(InboundMessage, "id")}
    """  # noqa: S608  # names from the model; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [orjson.dumps(inbound_ids).decode(), municipality_id, InboundMessage.State.PENDING],
        )
        found = cursor.fetchall()
    return [InboundMessage.from_db(connection.alias, attnames, values) for values in found]


def _parse(rows: list[InboundMessage], rules: CompiledRules) -> list[IncomingMessage | Exception]:
    """Each row's body through its channel's adapter (one serializer per channel for the whole
    batch) and the administrator's routing rules."""
    out: list[IncomingMessage | Exception | None] = [None] * len(rows)
    by_channel: dict[str, list[tuple[int, Any]]] = {}
    unparsed: list[tuple[int, InboundMessage]] = []
    for index, row in enumerate(rows):
        stored = normalized.load(row.normalized)
        if stored is not None:  # validated when accepted: not again
            out[index] = apply_rules(stored, rules)
        else:
            unparsed.append((index, row))
    bodies: dict[int, str] = {}
    if unparsed:  # kept back by ``defer``: one query for all of them
        ids = [row.pk for _, row in unparsed]
        bodies = dict(InboundMessage.objects.filter(pk__in=ids).values_list("pk", "body"))
    for index, row in unparsed:
        row.body = bodies[row.pk]
        try:
            by_channel.setdefault(row.channel, []).append((index, json.loads(row.body)))
        except json.JSONDecodeError as error:
            out[index] = error
    for channel, items in by_channel.items():
        adapter = adapter_for(channel)
        if adapter is None:
            for index, _raw in items:
                out[index] = PayloadInvalid({"channel": [f"Неизвестный канал {channel}"]})
            continue
        for (index, _raw), parsed in zip(
            items, adapter.parse_many([raw for _, raw in items]), strict=True
        ):
            out[index] = parsed if isinstance(parsed, Exception) else apply_rules(parsed, rules)
    return [item if item is not None else ValueError("not parsed") for item in out]


def _one(
    municipality: Municipality,
    row: InboundMessage,
    message: IncomingMessage,
    result: ProcessResult,
    now: datetime,
) -> None:
    """The fallback: one row in its own savepoint, through the single-incident path."""
    try:
        with transaction.atomic():
            incident, created = incident_create(municipality=municipality, message=message)
    except IncidentError as error:
        _fail(row, error, result)
    except Exception as error:  # a bug in one row must not stop the batch
        logger.exception("inbound %s failed unexpectedly", row.pk)
        row.error = f"{type(error).__name__}: {error}"[:5000]
        if row.attempts >= MAX_ATTEMPTS:
            row.state = InboundMessage.State.FAILED
            result.failed += 1
        else:
            result.skipped += 1
    else:
        _done(row, incident, created, result, now)


def _fail(row: InboundMessage, error: Exception, result: ProcessResult) -> None:
    row.state = InboundMessage.State.FAILED
    row.error = _describe(error)
    row.error_fields = getattr(error, "errors", {}) or {}
    result.failed += 1


def _done(
    row: InboundMessage, incident: Incident, created: bool, result: ProcessResult, now: datetime
) -> None:
    row.incident = incident
    row.state = InboundMessage.State.PROCESSED if created else InboundMessage.State.DUPLICATE
    row.processed_at = now
    row.error = ""
    row.normalized = ""  # done: the body stays, its parsed form is needed no more
    if created:
        result.processed += 1
    else:
        result.duplicates += 1


SAVED_FIELDS = [
    "attempts",
    "state",
    "error",
    "error_fields",
    "incident",
    "processed_at",
    "normalized",
]


def _save(rows: list[InboundMessage]) -> None:
    """One UPDATE for the whole batch. On PostgreSQL the new values travel as one JSON document
    joined by id (``bulk_update``'s CASE per column cost ~4 ms per row to build in Python, and
    arrays of parameters are quoted element by element in Python: ~4 ms a batch of 500);
    elsewhere ``bulk_update``."""
    if connection.vendor != "postgresql":
        InboundMessage.objects.bulk_update(rows, SAVED_FIELDS, batch_size=500)
        return
    municipality_ids = {row.municipality_id for row in rows}
    assert len(municipality_ids) == 1  # one task, one municipality (tenancy: stated in SQL)
    document = orjson.dumps(
        [
            {
                "id": row.pk,
                "attempts": row.attempts,
                "state": row.state,
                "error": row.error,
                "error_fields": row.error_fields,
                "incident_id": row.incident_id,
                "processed_at": row.processed_at,
                "normalized": row.normalized,
            }
            for row in rows
        ]
    ).decode()
    # The document's keys are the fields' attnames; the table's names come from the model.
    names = {name: column(InboundMessage, name) for name in (*SAVED_FIELDS, "id", "municipality")}
    sql = f"""
        UPDATE {table(InboundMessage)} AS m
           SET {names["attempts"]} = v.attempts, {names["state"]} = v.state,
               {names["error"]} = v.error, {names["error_fields"]} = v.error_fields,
               {names["incident"]} = v.incident_id, {names["processed_at"]} = v.processed_at,
               {names["normalized"]} = v.normalized
          FROM jsonb_to_recordset(%s::jsonb)
               AS v(id bigint, attempts integer, state text, error text, error_fields jsonb,
                    incident_id bigint, processed_at timestamptz, normalized text)
         WHERE m.{names["id"]} = v.id AND m.{names["municipality"]} = %s
    """  # noqa: S608  # names from the model; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [document, municipality_ids.pop()])


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
    inbound.normalized = ""  # the fix may be in the adapter: parse the body again
    inbound.save(update_fields=["state", "attempts", "normalized"])
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
