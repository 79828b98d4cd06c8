"""Channel adapters, one module per channel, on the interface of ``base.Adapter``."""

from __future__ import annotations

from integrations.channels.appeal import AppealAdapter
from integrations.channels.base import Adapter
from integrations.channels.edds import EddsAdapter
from integrations.channels.gospublic import GospublicAdapter
from integrations.channels.im import ImAdapter
from integrations.channels.pos import PosAdapter

ADAPTERS: dict[str, Adapter] = {
    adapter.channel: adapter
    for adapter in (ImAdapter(), PosAdapter(), EddsAdapter(), AppealAdapter(), GospublicAdapter())
}


def adapter_for(channel: str) -> Adapter | None:
    return ADAPTERS.get(channel)
