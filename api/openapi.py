"""Schema generation hooks: the schema documents the ЦУР API and Open311, nothing else."""

from __future__ import annotations

from typing import Any

PUBLIC_PREFIXES = ("/api/v1/", "/open311/v2/")


def only_public_operations(endpoints: list[tuple[Any, ...]], **_: Any) -> list[tuple[Any, ...]]:
    return [endpoint for endpoint in endpoints if str(endpoint[0]).startswith(PUBLIC_PREFIXES)]
