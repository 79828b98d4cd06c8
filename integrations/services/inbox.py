"""The inbox: a message is stored raw, in the transaction that acknowledges it, before anything
else happens to it (DESIGN §6). Processing into incidents comes after, in a task."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.db import IntegrityError, connection, transaction

from incidents.services.bulk import insert_rows
from integrations.channels import adapter_for
from integrations.channels.base import ParsedMessage, PayloadInvalid
from integrations.models import InboundMessage
from integrations.services import normalized
from mcu.models import Municipality
from mcu.sql import column, table
from mcu.tenancy import require_in_scope

logger = logging.getLogger(__name__)
MAX_ITEMS = 500
# Rows per processing task: one transaction and one COPY per table each (a webhook's array of
# up to 500 is one task).
PROCESS_CHUNK = 500


class BodyInvalid(Exception):
    """The request body as a whole is unusable (not JSON, wrong shape, too many items)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ItemResult:
    index: int
    status: str  # accepted | duplicate | invalid
    external_id: str = ""
    incident_id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "status": self.status, "id": self.external_id}
        if self.incident_id is not None:
            out["incident"] = self.incident_id
        if self.errors:
            out["errors"] = self.errors
        return out


def storable(text: str) -> str:
    """PostgreSQL text cannot hold NUL: keep the byte visible instead of losing the payload."""
    return text.replace("\x00", "\\u0000")


def _raw(item: Any) -> str:
    # Control characters (NUL included) come out as \\uXXXX escapes: storable as text, and the
    # same JSON value when read back.
    return json.dumps(item, ensure_ascii=False)


def _raw_plain(item: Any) -> str:
    """``_raw`` for an item of strings, booleans, None, dicts and lists only — what an import
    makes of a spreadsheet row: the same JSON value, written ~5× faster (a twentieth of an
    import's own time went to ``json.dumps``). orjson writes other JSON than ``json.dumps``
    only for floats that are not finite (``null`` for ``NaN``) and integers beyond 64 bits,
    which is why a webhook's payloads, taken as sent, keep ``_raw``."""
    try:
        return orjson.dumps(item).decode()
    except orjson.JSONEncodeError:  # a lone surrogate in a string: json.dumps keeps it
        return _raw(item)


def decode_body(body: bytes) -> list[Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BodyInvalid("Тело запроса не в кодировке UTF-8.") from None
    except json.JSONDecodeError as error:
        raise BodyInvalid(
            f"Тело запроса — не JSON: {error.msg} (строка {error.lineno}, позиция {error.colno})."
        ) from None
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        if not data:
            raise BodyInvalid("Пустой массив сообщений.")
        if len(data) > MAX_ITEMS:
            raise BodyInvalid(
                f"Не более {MAX_ITEMS} сообщений в одном запросе (получено {len(data)})."
            )
        return data
    raise BodyInvalid("Ожидался JSON-объект или массив объектов.")


def inbox_store_rejected(
    *,
    municipality: Municipality,
    channel: str,
    body: bytes,
    headers: dict[str, str],
    error: str,
    received_at: datetime,
) -> InboundMessage:
    """Keep a whole unusable body for the administrator to inspect."""
    return InboundMessage.objects.create(
        municipality=municipality,
        channel=channel,
        source=InboundMessage.Source.WEBHOOK,
        body=storable(body.decode("utf-8", errors="backslashreplace")),
        headers=headers,
        received_at=received_at,
        state=InboundMessage.State.FAILED,
        error=error,
    )


def inbox_accept(
    *,
    municipality: Municipality,
    channel: str,
    items: Sequence[Any],
    headers: dict[str, str],
    received_at: datetime,
    source: str = InboundMessage.Source.WEBHOOK,
    import_batch_id: int | None = None,
    plain_items: bool = False,
) -> list[ItemResult]:
    """Store every item: valid ones pending (or reported duplicate), invalid ones failed.

    Runs in the caller's transaction; processing is enqueued after it commits, so a message is
    acknowledged only once its row is durable. ``plain_items``: the caller built the items
    from strings, booleans and None alone (an import), so their bodies take the faster writer.
    """
    raw = _raw_plain if plain_items else _raw
    adapter = adapter_for(channel)
    if adapter is None:
        raise BodyInvalid(f"Неизвестный канал: {channel}")
    delivery = uuid.uuid4()
    results: dict[int, ItemResult] = {}
    valid: dict[str, tuple[int, Any, ParsedMessage]] = {}
    failed: list[dict[str, Any]] = []

    # Plain rows for ``insert_rows``, not model instances: building an instance cost more than
    # the row's share of the COPY (bench/import.py). Every row names the same columns, as one
    # COPY needs.
    def row(item: Any, **values: Any) -> dict[str, Any]:
        return {
            "municipality_id": municipality.pk,
            "channel": channel,
            "source": source,
            "body": raw(item),
            "headers": headers,
            "received_at": received_at,
            "import_batch_id": import_batch_id,
            "external_id": "",
            "state": InboundMessage.State.PENDING,
            "error": "",
            "error_fields": {},
            "delivery": None,
            "normalized": "",
            **values,
        }

    for index, (item, parsed) in enumerate(zip(items, adapter.parse_many(items), strict=True)):
        if isinstance(parsed, PayloadInvalid):
            results[index] = ItemResult(index, "invalid", parsed.external_id, errors=parsed.errors)
            state = InboundMessage.State.FAILED
            failed.append(
                row(item, state=state, error=parsed.summary(), error_fields=parsed.errors)
            )
            continue
        external_id = parsed.message.external_id
        if external_id in valid:
            results[index] = ItemResult(index, "duplicate", external_id)
            continue
        valid[external_id] = (index, item, parsed)
    if valid:
        # Redeliveries are answered from what is stored; only the rest is inserted.
        stored = dict(
            inbox_stored(
                municipality_id=municipality.pk,
                channel=channel,
                external_ids=list(valid),
                columns=("external_id", "incident_id"),
            )
        )
        for external_id, incident_id in stored.items():
            index = valid.pop(external_id)[0]
            results[index] = ItemResult(index, "duplicate", external_id, incident_id)
        fresh = [
            row(item, external_id=external_id, delivery=delivery, normalized=normalized.dump(p))
            for external_id, (_, item, p) in valid.items()
        ]
        accepted = _insert(municipality, channel, failed, fresh, delivery, results, valid)
        if accepted:
            municipality_id = municipality.pk
            transaction.on_commit(
                lambda: inbox_enqueue(municipality_id=municipality_id, ids=accepted)
            )
    elif failed:
        insert_rows(InboundMessage, failed)
    return [results[index] for index in sorted(results)]


def inbox_stored(
    *,
    municipality_id: int,
    channel: str,
    external_ids: Sequence[str],
    columns: Sequence[str],
    import_batch_id: int | None = None,
) -> list[tuple[Any, ...]]:
    """``columns`` (field attnames) of the stored rows among these external ids (and of this
    import batch, if given), in no particular order.

    On PostgreSQL each id is one probe of the unique index ``(municipality, channel, external
    id)``: a 500-id chunk reads ~500 index entries whatever the statistics say. As one query
    with an ``IN`` list of 500 ids the planner's choice followed the statistics, and statistics
    taken while an import was filling the inbox made it read the municipality's whole range of
    the index and compare every entry with the 500 ids: 54 ms a chunk on average, up to 150 ms,
    in bench/import.py (against 2–3 ms), most of the database's time in an import. The ids
    travel as one JSON document (a list parameter is quoted element by element in Python).
    """
    # The plain SQL below bypasses the tenant manager: the scope is checked as it would check.
    require_in_scope("InboundMessage", municipality_id)
    if not external_ids:
        return []
    if connection.vendor != "postgresql":
        rows = InboundMessage.objects.filter(
            municipality_id=municipality_id, channel=channel, external_id__in=external_ids
        )
        if import_batch_id is not None:
            rows = rows.filter(import_batch_id=import_batch_id)
        return list(rows.exclude(external_id="").order_by().values_list(*columns))
    names = ", ".join(f"m.{column(InboundMessage, name)}" for name in columns)
    batch = "AND m.import_batch_id = %s" if import_batch_id is not None else ""
    # Only the model's own table and column names go into the text; values are parameters.
    sql = f"""
        SELECT found.*
          FROM jsonb_array_elements_text(%s::jsonb) AS wanted(external_id)
         CROSS JOIN LATERAL (
               SELECT {names}
                 FROM {table(InboundMessage)} m
                WHERE m.municipality_id = %s AND m.channel = %s
                  AND m.external_id = wanted.external_id AND m.external_id <> ''
                  {batch}
                LIMIT 1
               ) AS found
    """  # noqa: S608
    params: list[Any] = [orjson.dumps(list(external_ids)).decode(), municipality_id, channel]
    if import_batch_id is not None:
        params.append(import_batch_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _insert(
    municipality: Municipality,
    channel: str,
    failed: list[dict[str, Any]],
    fresh: list[dict[str, Any]],
    delivery: uuid.UUID,
    results: dict[int, ItemResult],
    valid: dict[str, tuple[int, Any, ParsedMessage]],
) -> list[int]:
    """Insert the failed rows and the new messages (COPY on PostgreSQL); returns the ids of the
    accepted ones. A concurrent delivery of the same message between the check above and the
    insert makes the unique key refuse it: the insert is then redone row-tolerant (``ON
    CONFLICT DO NOTHING``) and only the delivery that wrote a row reports it accepted."""
    try:
        with transaction.atomic():
            ids = insert_rows(InboundMessage, [*failed, *fresh])
    except IntegrityError:
        insert_rows(InboundMessage, failed)
        InboundMessage.objects.bulk_create(
            [InboundMessage(**values) for values in fresh], ignore_conflicts=True, batch_size=500
        )
        accepted: list[int] = []
        stored = inbox_stored(
            municipality_id=municipality.pk,
            channel=channel,
            external_ids=list(valid),
            columns=("id", "external_id", "delivery", "incident_id"),
        )
        for pk, external_id, row_delivery, incident_id in stored:
            index = valid[external_id][0]
            if row_delivery == delivery:
                results[index] = ItemResult(index, "accepted", external_id)
                accepted.append(pk)
            else:
                results[index] = ItemResult(index, "duplicate", external_id, incident_id)
        return accepted
    for values in fresh:
        index = valid[values["external_id"]][0]
        results[index] = ItemResult(index, "accepted", values["external_id"])
    return ids[len(failed) :]


def inbox_enqueue(*, municipality_id: int, ids: Sequence[int]) -> None:
    """Hand rows to the worker. A broker that is down loses nothing: the rows stay pending and
    the re-enqueue sweeper hands them over again once it is back."""
    from integrations.tasks import inbound_process_task

    for start in range(0, len(ids), PROCESS_CHUNK):
        chunk = list(ids[start : start + PROCESS_CHUNK])
        try:
            inbound_process_task.delay(municipality_id=municipality_id, inbound_ids=chunk)
        except Exception:  # any broker failure: the sweeper is the retry
            logger.warning(
                "broker unavailable: %d inbound rows left pending for the sweeper", len(chunk)
            )
            return
