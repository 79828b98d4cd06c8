from __future__ import annotations

from django import template

from roles.permissions import ActorCapabilities, Capability

register = template.Library()


@register.filter
def can(actor: ActorCapabilities, capability: str) -> bool:
    """``{% if actor|can:"roster.manage" %}`` — menus follow the permission matrix."""
    return actor.can(Capability(capability))
