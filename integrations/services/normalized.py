"""A parsed message as JSON: stored with the inbox row when the webhook or an import accepts
it, so the worker need not run the adapter's validation a second time (FACTS.md: DRF
validation is the largest per-message cost after the inserts)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from incidents.services.intake import IncomingMessage
from integrations.channels.base import ParsedMessage

VERSION = 1  # bump when IncomingMessage changes shape: older rows are parsed from the body
_DATETIMES = ("received_at", "registered_at")
_DECIMALS = ("latitude", "longitude")
_FIELDS = frozenset(field.name for field in dataclasses.fields(IncomingMessage))


def dump(parsed: ParsedMessage) -> str:
    """The message as JSON text (strings, numbers, booleans and None: orjson writes them as the
    standard module would)."""
    message = parsed.message
    out: dict[str, Any] = {"v": VERSION, "category_code": parsed.category_code}
    for name in _FIELDS:
        value = getattr(message, name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[name] = value
    return orjson.dumps(out).decode()


def load(text: str) -> ParsedMessage | None:
    """The stored message, or None when there is none usable (then parse the body)."""
    if not text:
        return None
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or data.get("v") != VERSION:
        return None
    if set(data) - {"v", "category_code"} != _FIELDS:
        return None
    values = {name: data[name] for name in _FIELDS}
    for name in _DATETIMES:
        if values[name] is not None:
            values[name] = datetime.fromisoformat(values[name])
    for name in _DECIMALS:
        if values[name] is not None:
            values[name] = Decimal(values[name])
    return ParsedMessage(message=IncomingMessage(**values), category_code=data["category_code"])
