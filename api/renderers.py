"""orjson for the API's JSON: the full sync serialises a million rows (FACTS.md: ``.values()``
+ orjson ~39 k rows/s against ~10 k for a ModelSerializer)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import orjson
from django.utils.functional import Promise
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


def _default(value: Any) -> Any:
    if isinstance(value, Promise):  # gettext_lazy
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(data: Any) -> bytes:
    # Datetimes come out as RFC 3339 with their offset (UTC: +00:00), as the contract says.
    try:
        return orjson.dumps(data, default=_default)
    except orjson.JSONEncodeError:
        # A key that is not a string (a figure keyed by a number or a date): orjson's option
        # for them checks every key of every object, ~30 % of a 1 000-row sync page's
        # serialising (bench/api.py), so only a document that needs it pays for it.
        return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)


def stream_object(
    head: Mapping[str, Any],
    key: str,
    items: Sequence[Any],
    present: Callable[[list[Any]], list[Any]],
    *,
    chunk: int,
) -> Iterator[bytes]:
    """``dumps({**head, key: present(items)})``, byte for byte, in pieces of ``chunk`` items:
    a 1 000-row sync page is ~2 MB, and its client can read the first bytes (and its
    ``Link``) while the rest is still being presented."""
    opening = dumps(head)
    # `{…}` → `{…,"key":[` (or `{"key":[` after an empty head); `key` is ours, not user input.
    yield opening[:-1] + (b"," if len(opening) > 2 else b"") + dumps(key) + b":["
    for start in range(0, len(items), chunk):
        body = dumps(present(list(items[start : start + chunk])))[1:-1]
        yield (b"," + body) if start and body else body
    yield b"]}"


def link_header(links: Mapping[str, str | None]) -> str:
    """RFC 8288 ``Link`` of a page's ``next`` and ``previous`` (both registered relations),
    so a client can follow a sync without parsing the body first."""
    return ", ".join(
        f'<{links[rel]}>; rel="{rel}"' for rel in ("next", "previous") if links.get(rel)
    )


class JsonRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None  # JSON is UTF-8 by definition (RFC 8259); no charset parameter

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        return dumps(data)


class FixedNegotiation(BaseContentNegotiation):
    """Each endpoint speaks one format: an ``Accept`` header never turns a good request into a
    406 (clients such as spreadsheet tools send ``Accept: */*`` or nothing useful)."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return first, first.media_type

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)
