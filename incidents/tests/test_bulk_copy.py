"""``bulk.insert_rows`` on PostgreSQL: COPY in the binary format stores every value exactly as
the ORM stores it, and a table with a column type the binary path does not take is still
copied, as text. ``insert_many`` shares the plan; ``test_intake_many.py`` compares what it
writes with the single path's rows, column by column."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.db import connection

from incidents.services import bulk
from incidents.services.bulk import COPY_FROM, insert_rows
from integrations.models import InboundMessage
from mcu.models import Municipality
from mcu.tenancy import municipality_scope

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="COPY is PostgreSQL's; CI runs on it"
    ),
]

YAKUTSK = timezone(timedelta(hours=9))

# What a text COPY must escape, what the binary one must carry as it is.
AWKWARD_TEXTS = [
    "Яма на дороге 🕳️ у дома № 5",
    "tab\there, new\nline, carriage\rreturn",
    "a backslash \\ and \\N, COPY's own null marker",
    '<script>alert("x")</script> & «кавычки»',
    "",
    "x" * 100_000,
]


def _inbound_row(municipality: Municipality, n: int) -> dict[str, Any]:
    return {
        "municipality_id": municipality.pk,
        "channel": "pos",
        "external_id": f"copy-{n}",
        "source": InboundMessage.Source.WEBHOOK,
        "body": AWKWARD_TEXTS[n % len(AWKWARD_TEXTS)],
        "normalized": "" if n % 2 else '{"text": "разобрано"}',
        "headers": {"X-MCU-Timestamp": str(1_700_000_000 + n), "список": [1, 2.5, None, "э"]},
        "received_at": datetime(2026, 12, 7, 9, n % 60, tzinfo=YAKUTSK),
        "state": InboundMessage.State.PENDING if n % 3 else InboundMessage.State.FAILED,
        "error": AWKWARD_TEXTS[(n + 1) % len(AWKWARD_TEXTS)],
        "error_fields": {} if n % 2 else {"text": ["Обязательное поле."], "big": 2**62},
        "attempts": n % 6,
        "processed_at": None if n % 2 else datetime(2026, 12, 7, 1, 2, 3, 456789, tzinfo=UTC),
        "delivery": uuid.UUID(int=n) if n % 2 else None,
        "import_batch_id": None,
        "incident_id": None,
    }


FIELDS = [f.attname for f in InboundMessage._meta.concrete_fields if f.attname != "id"]


def _stored(ids: list[int]) -> list[dict[str, Any]]:
    by_id: dict[int, dict[str, Any]] = {
        row["id"]: dict(row) for row in InboundMessage.objects.filter(pk__in=ids).values()
    }
    return [{name: by_id[pk][name] for name in FIELDS if name != "external_id"} for pk in ids]


def _plan(table: str, columns: tuple[str, ...]) -> bulk._CopyPlan:
    """How ``bulk`` chose to copy these columns (it asks once per database and columns)."""
    return bulk._COPY_PLANS[(connection.settings_dict["NAME"], table, columns)]


def test_copy_stores_every_value_as_the_orm_stores_it(municipality: Municipality) -> None:
    count = COPY_FROM + len(AWKWARD_TEXTS) * 2
    with municipality_scope(municipality.pk):
        copied = insert_rows(InboundMessage, [_inbound_row(municipality, n) for n in range(count)])
        saved = [
            obj.pk
            for obj in InboundMessage.objects.bulk_create(
                [
                    InboundMessage(**{**_inbound_row(municipality, n), "external_id": f"orm-{n}"})
                    for n in range(count)
                ]
            )
        ]

        assert _stored(copied) == _stored(saved)
    # The inbox is copied in the binary format, not the text one.
    assert _plan(InboundMessage._meta.db_table, ("id", *FIELDS)).binary


def test_a_table_with_a_type_the_binary_copy_does_not_take_is_copied_as_text() -> None:
    # ``inet`` is not on the binary path's list: no table the intake writes has one, so its
    # values were never checked against psycopg's binary writer; such a table stays on text.
    rows = [
        {
            "user_agent": f"агент {n}\t\\",
            "ip_address": f"10.0.0.{n}" if n % 2 else f"2001:db8::{n + 1}",
            "username": f"user-{n}",
            "http_accept": "*/*",
            "path_info": "/login/",
            "get_data": "",
            "post_data": "",
            "failures_since_start": n,
        }
        for n in range(COPY_FROM + 5)
    ]

    ids = insert_rows(AccessAttempt, rows)

    stored = {a.pk: a for a in AccessAttempt.objects.filter(pk__in=ids)}
    assert [
        (stored[pk].ip_address, stored[pk].user_agent, stored[pk].failures_since_start)
        for pk in ids
    ] == [(row["ip_address"], row["user_agent"], row["failures_since_start"]) for row in rows]
    columns = tuple(f.column for f in AccessAttempt._meta.concrete_fields)
    assert not _plan(AccessAttempt._meta.db_table, columns).binary
