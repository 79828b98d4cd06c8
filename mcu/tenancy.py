"""The municipality scope: every query on tenant-owned data runs inside one, or fails.

A request, task or management command states which municipalities it works for; the default
manager of every tenant-owned model (``TenantManager``) filters by that scope and raises
``TenantScopeMissing`` when there is none — it fails closed. The only way to read across tenants
is ``dangerously_unscoped(reason=...)``, named loudly so a reviewer sees every use (the regional
ЦУР API, platform-wide reports and the beat sweeps that fan out per municipality).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass


class TenantScopeMissing(RuntimeError):
    """Tenant-owned data was queried with no municipality scope."""


class WrongMunicipality(ValueError):
    """An object of a municipality outside the current scope was written or combined."""


@dataclass(frozen=True)
class Scope:
    """Municipality ids a piece of code may touch. ``None`` means all (the escape hatch)."""

    municipality_ids: frozenset[int] | None
    reason: str = ""

    @property
    def is_unscoped(self) -> bool:
        return self.municipality_ids is None

    def allows(self, municipality_id: int | None) -> bool:
        return self.municipality_ids is None or municipality_id in self.municipality_ids


_current: ContextVar[Scope | None] = ContextVar("mcu_municipality_scope", default=None)


def current_scope() -> Scope | None:
    return _current.get()


def require_scope(what: str) -> Scope:
    scope = _current.get()
    if scope is None:
        raise TenantScopeMissing(
            f"{what}: no municipality scope is active. Wrap the code in "
            "municipality_scope(...) (requests get one from the middleware)."
        )
    return scope


def require_in_scope(what: str, municipality_id: int) -> None:
    """For plain SQL, which bypasses the tenant manager: refuse a municipality outside the
    active scope, as the manager would (``TenantScopeMissing`` with no scope at all)."""
    if not require_scope(what).allows(municipality_id):
        raise WrongMunicipality(f"{what} of municipality {municipality_id} is outside the scope")


def set_scope(scope: Scope | None) -> Token[Scope | None]:
    """Low-level setter for the middleware; everything else uses the context managers."""
    return _current.set(scope)


def reset_scope(token: Token[Scope | None]) -> None:
    _current.reset(token)


@contextmanager
def municipality_scope(*municipality_ids: int | Iterable[int]) -> Iterator[Scope]:
    """Work for these municipalities only (ids; an iterable of ids is flattened)."""
    ids: set[int] = set()
    for item in municipality_ids:
        if isinstance(item, int):
            ids.add(item)
        else:
            ids.update(item)
    scope = Scope(frozenset(ids))
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


@contextmanager
def dangerously_unscoped(*, reason: str) -> Iterator[Scope]:
    """Read or write across all municipalities. Say why: the reason is kept on the scope."""
    if not reason.strip():
        raise ValueError("dangerously_unscoped() needs a reason")
    scope = Scope(None, reason=reason)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
