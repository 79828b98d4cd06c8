"""The administrator's routing rules, applied to a parsed message before it becomes an incident."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from incidents.services.intake import IncomingMessage
from integrations.channels.base import ParsedMessage
from integrations.models import RoutingRule


def rules_for(*, municipality_id: int) -> list[RoutingRule]:
    return list(
        RoutingRule.objects.filter(municipality_id=municipality_id, is_active=True)
        .select_related("topic", "sector", "settlement")
        .order_by("priority", "pk")
    )


@dataclass(frozen=True, slots=True)
class _Rule:
    """One rule's conditions and verdict as plain values."""

    channel: str
    settlement_keyword: str  # casefolded; "" when the rule names no settlement
    settlement_code: str | None
    decides: bool  # it sets a topic or a sector
    category_code: str
    words: tuple[str, ...]  # casefolded keywords
    topic_code: str | None
    sector_code: str | None


@dataclass(frozen=True)
class CompiledRules:
    """Rules read once for a batch: each message of the batch is then matched against plain
    values, instead of splitting every rule's keywords and reading its related rows again for
    each message (~19 µs a message with eight rules, bench/import.py)."""

    rules: tuple[_Rule, ...]
    reads_text: bool
    reads_address: bool


def compile_rules(rules: Iterable[RoutingRule]) -> CompiledRules:
    compiled = tuple(
        _Rule(
            channel=rule.channel,
            settlement_keyword=(
                rule.settlement_keyword.casefold()
                if rule.settlement and rule.settlement_keyword
                else ""
            ),
            settlement_code=rule.settlement.code if rule.settlement else None,
            decides=bool(rule.topic_id or rule.sector_id),
            category_code=rule.category_code,
            words=tuple(
                word.strip().casefold() for word in rule.keywords.split(",") if word.strip()
            ),
            topic_code=rule.topic.code if rule.topic else None,
            sector_code=rule.sector.code if rule.sector else None,
        )
        for rule in rules
    )
    return CompiledRules(
        rules=compiled,
        reads_text=any(rule.words for rule in compiled),
        reads_address=any(rule.settlement_keyword for rule in compiled),
    )


def apply_rules(
    parsed: ParsedMessage, rules: CompiledRules | Iterable[RoutingRule]
) -> IncomingMessage:
    """The first matching rule sets topic / sector; the first settlement rule sets the settlement.

    A rule matches when every condition it has holds: its channel, its category code, any of its
    keywords in the text. A message no rule matches keeps what the channel said (its topic, if
    any) and is routed by the рубрикатор.
    """
    if not isinstance(rules, CompiledRules):
        rules = compile_rules(rules)
    message = parsed.message
    text = message.text.casefold() if rules.reads_text else ""
    address = message.address.casefold() if rules.reads_address else ""
    topic_code, sector_code, settlement_code = (
        message.topic_code,
        message.sector_code,
        message.settlement_code,
    )
    decided = False
    for rule in rules.rules:
        if rule.channel and rule.channel != message.channel:
            continue
        if (
            rule.settlement_keyword
            and settlement_code is None
            and rule.settlement_keyword in address
        ):
            settlement_code = rule.settlement_code
        if decided or not rule.decides:
            continue
        if rule.category_code and rule.category_code != parsed.category_code:
            continue
        if rule.words and not any(word in text for word in rule.words):
            continue
        if not rule.category_code and not rule.words:
            continue  # a rule with no condition would swallow every message
        if rule.topic_code is not None:
            topic_code = rule.topic_code
        if rule.sector_code is not None:
            sector_code = rule.sector_code
        decided = True
    if (topic_code, sector_code, settlement_code) == (
        message.topic_code,
        message.sector_code,
        message.settlement_code,
    ):
        return message  # frozen: nothing to copy
    return replace(
        message, topic_code=topic_code, sector_code=sector_code, settlement_code=settlement_code
    )
