"""The administrator's routing rules, applied to a parsed message before it becomes an incident."""

from __future__ import annotations

from dataclasses import replace

from incidents.services.intake import IncomingMessage
from integrations.channels.base import ParsedMessage
from integrations.models import RoutingRule


def rules_for(*, municipality_id: int) -> list[RoutingRule]:
    return list(
        RoutingRule.objects.filter(municipality_id=municipality_id, is_active=True)
        .select_related("topic", "sector", "settlement")
        .order_by("priority", "pk")
    )


def _keywords(rule: RoutingRule) -> list[str]:
    return [word.strip().casefold() for word in rule.keywords.split(",") if word.strip()]


def apply_rules(parsed: ParsedMessage, rules: list[RoutingRule]) -> IncomingMessage:
    """The first matching rule sets topic / sector; the first settlement rule sets the settlement.

    A rule matches when every condition it has holds: its channel, its category code, any of its
    keywords in the text. A message no rule matches keeps what the channel said (its topic, if
    any) and is routed by the рубрикатор.
    """
    message = parsed.message
    text = message.text.casefold()
    address = message.address.casefold()
    topic_code, sector_code, settlement_code = (
        message.topic_code,
        message.sector_code,
        message.settlement_code,
    )
    decided = False
    for rule in rules:
        if rule.channel and rule.channel != message.channel:
            continue
        if (
            rule.settlement
            and rule.settlement_keyword
            and settlement_code is None
            and rule.settlement_keyword.casefold() in address
        ):
            settlement_code = rule.settlement.code
        if decided or not (rule.topic_id or rule.sector_id):
            continue
        if rule.category_code and rule.category_code != parsed.category_code:
            continue
        words = _keywords(rule)
        if words and not any(word in text for word in words):
            continue
        if not rule.category_code and not words:
            continue  # a rule with no condition would swallow every message
        topic_code = rule.topic.code if rule.topic else topic_code
        sector_code = rule.sector.code if rule.sector else sector_code
        decided = True
    return replace(
        message, topic_code=topic_code, sector_code=sector_code, settlement_code=settlement_code
    )
