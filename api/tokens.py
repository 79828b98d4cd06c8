"""Writes and reads of API tokens: create (the secret is returned once), revoke, authenticate.

A token's scope is a set of regions and/or municipalities; what it may read is resolved from
them, so a municipality added to a region later is visible to that region's token without a
new token. The resolved scope is cached (``token_scope``) and forgotten whenever a token's
regions or municipalities, or any municipality, change (``scope_signals``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from api.db import fetch_rows
from api.models import ApiToken
from mcu.models import Municipality, Region
from mcu.sql import column, table

logger = logging.getLogger(__name__)
TOKEN_PREFIX = "mcu_"  # noqa: S105 — a marker that tells the secret apart, not a secret
PREFIX_SHOWN = 12  # "mcu_" + 8 random characters: enough to tell tokens apart in the log
MAX_EXPIRES_DAYS = 3650
# last_used_at is a hint for the administrator, not an audit trail (that is ApiRequestLog):
# writing it at most once a minute keeps a row update off almost every request.
LAST_USED_EVERY = timedelta(minutes=1)
# A resolved scope is served from the cache at most this long; the generation counter below
# makes a change visible at once wherever the cache is shared (Redis), and within this time
# on a laptop, whose management commands do not share the web process's memory.
SCOPE_CACHE_SECONDS = 60
_SCOPE_GENERATION = "api-scope-generation"


class TokenError(ValueError):
    """A token cannot be created or revoked as asked; the message says why."""


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once; never stored


@transaction.atomic
def api_token_create(
    *,
    name: str,
    region_codes: Sequence[str] = (),
    municipality_slugs: Sequence[str] = (),
    personal_data: bool = False,
    expires_days: int | None = None,
    rate_per_minute: int | None = None,
    note: str = "",
) -> IssuedToken:
    """A new token for a region (by code or slug) or for named municipalities (by slug)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenError(_("Название токена: от 1 до 100 символов."))
    if not region_codes and not municipality_slugs:
        raise TokenError(_("Укажите охват токена: --region или --municipality."))
    if ApiToken.objects.filter(name=name, revoked_at__isnull=True).exists():
        raise TokenError(_("Действующий токен «%(name)s» уже есть.") % {"name": name})
    regions = _regions(region_codes)
    municipalities = _municipalities(municipality_slugs)
    expires_at = None
    if expires_days is not None:
        if not 1 <= expires_days <= MAX_EXPIRES_DAYS:
            raise TokenError(_("Срок действия: от 1 до %(max)s дней.") % {"max": MAX_EXPIRES_DAYS})
        expires_at = timezone.now() + timedelta(days=expires_days)
    token = ApiToken(name=name, personal_data=personal_data, expires_at=expires_at, note=note)
    secret = token_secret_assign(token)
    if rate_per_minute is not None:
        if rate_per_minute < 1:
            raise TokenError(_("Лимит запросов в минуту должен быть положительным."))
        token.rate_per_minute = rate_per_minute
    token.save()
    token.regions.set(regions)
    token.municipalities.set(municipalities)
    return IssuedToken(token=token, secret=secret)


def token_secret_assign(token: ApiToken) -> str:
    """A fresh secret for ``token`` (not saved yet): its hash and prefix are set, the secret is
    returned to be shown once."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token.prefix = secret[:PREFIX_SHOWN]
    token.token_hash = token_hash(secret)
    return secret


def _regions(codes: Sequence[str]) -> list[Region]:
    found: list[Region] = []
    for code in codes:
        region = Region.objects.filter(Q(code=code) | Q(slug=code)).first()
        if region is None:
            raise TokenError(_("Нет региона с кодом «%(code)s».") % {"code": code})
        found.append(region)
    return found


def _municipalities(slugs: Sequence[str]) -> list[Municipality]:
    found: list[Municipality] = []
    for slug in slugs:
        municipality = Municipality.objects.filter(slug=slug).first()
        if municipality is None:
            raise TokenError(_("Нет муниципального образования «%(slug)s».") % {"slug": slug})
        found.append(municipality)
    return found


@transaction.atomic
def api_token_revoke(*, name: str) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(name=name, revoked_at__isnull=True).first()
    if token is None:
        raise TokenError(_("Действующего токена «%(name)s» нет.") % {"name": name})
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return token


def api_token_for_secret(secret: str) -> ApiToken | None:
    """The active token with this secret, or None (unknown, revoked and expired alike)."""
    token = _token_by_hash(token_hash(secret))
    now = timezone.now()
    if token is None or not token.is_active(now):
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def _token_by_hash(digest: str) -> ApiToken | None:
    """``ApiToken.objects.filter(token_hash=digest).first()`` without compiling it on every
    API request (api/db.py)."""
    sql, names = _token_select()
    rows = fetch_rows(sql, [digest])
    return ApiToken.from_db(connection.alias, names, rows[0]) if rows else None


@functools.cache
def _token_select() -> tuple[str, list[str]]:
    fields = ApiToken._meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    hashed = column(ApiToken, "token_hash")
    # Only the model's own table and column names go into the text; the hash is a parameter.
    sql = f"SELECT {columns} FROM {table(ApiToken)} WHERE {hashed} = %s"  # noqa: S608
    return sql, [f.attname for f in fields]


def token_scope(token: ApiToken) -> dict[int, str]:
    """id → slug of every municipality the token may read: those named, plus its regions'.

    Read on every API request, so it is cached: one cache round trip instead of a three-table
    query. Each entry carries the generation it was resolved in and is used only while that
    generation is current."""
    key = f"api-scope:{token.token_hash}"
    try:
        found = cache.get_many([key, _SCOPE_GENERATION])
    except Exception:  # the cache is down (redis.ConnectionError…): the database still answers
        logger.warning("API scope cache unavailable: resolved from the database")
        return _scope_query(token)
    generation = found.get(_SCOPE_GENERATION, 0)
    cached = found.get(key)
    if cached is not None and cached[0] == generation:
        return dict(cached[1])
    scope = _scope_query(token)
    with contextlib.suppress(Exception):  # not cached this time; the next request tries again
        cache.set(key, (generation, scope), SCOPE_CACHE_SECONDS)
    return scope


def _scope_query(token: ApiToken) -> dict[int, str]:
    return dict(
        Municipality.objects.filter(Q(api_tokens=token) | Q(region__api_tokens=token))
        .order_by()
        .values_list("pk", "slug")
        .distinct()
    )


def token_scopes_forget(**_signal: object) -> None:
    """Every cached scope is stale: a token's scope or a municipality has changed."""
    try:
        try:
            cache.incr(_SCOPE_GENERATION)
        except ValueError:  # no generation yet (or evicted): any new value outdates the entries
            cache.set(_SCOPE_GENERATION, int(timezone.now().timestamp() * 1000), timeout=None)
    except Exception:  # the cache is down: what it held expires within SCOPE_CACHE_SECONDS
        logger.warning("API scope cache unavailable: cached scopes expire on their own")


def token_scope_label(token: ApiToken) -> str:
    parts = [f"регион {r.code} ({r.name})" for r in token.regions.all()]
    parts += [f"{m.slug} ({m.short_name})" for m in token.municipalities.all()]
    return ", ".join(parts) or "—"
