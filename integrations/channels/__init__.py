"""Channel adapters, one module per channel, on the interface of ``base.Adapter``."""

from __future__ import annotations

from integrations.channels.base import Adapter
from integrations.channels.pos import PosAdapter

ADAPTERS: dict[str, Adapter] = {adapter.channel: adapter for adapter in (PosAdapter(),)}


def adapter_for(channel: str) -> Adapter | None:
    return ADAPTERS.get(channel)
