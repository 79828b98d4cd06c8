"""The administrator's routing rules as the worker applies them to a parsed message (issue 4
item 5: the channel's category code, keywords, address → settlement)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from incidents.models import Topic
from incidents.services.intake import IncomingMessage
from integrations.channels.base import ParsedMessage
from integrations.models import RoutingRule
from integrations.services.routing import CompiledRules, apply_rules, compile_rules
from roles.models import OrgUnit, Sector

Rules = CompiledRules | list[RoutingRule]

ROADS = Topic(pk=1, code="roads", name="Дороги")
WASTE = Topic(pk=2, code="waste", name="Мусор")
ZHKH = Sector(pk=3, code="zhkh", name="ЖКХ")
SERGINO = OrgUnit(pk=4, code="sergino", name="Сергино", kind=OrgUnit.Kind.SETTLEMENT)


def parsed(
    *, channel: str = "pos", category: str = "", text: str = "", address: str = ""
) -> ParsedMessage:
    message = IncomingMessage(
        channel=channel,
        external_id="m-1",
        text=text,
        received_at=datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
        address=address,
        topic_code="other",
    )
    return ParsedMessage(message, category_code=category)


RULES = [
    RoutingRule(channel="im", category_code="pos-101", topic=WASTE),  # another channel's
    RoutingRule(category_code="pos-101", topic=ROADS, sector=ZHKH),
    RoutingRule(keywords=" Яма, выбоина ,", topic=ROADS),
    RoutingRule(category_code="pos-104", keywords="мусор", topic=WASTE),
    RoutingRule(topic=WASTE),  # no condition: must never match
    RoutingRule(settlement_keyword="СЕРГИНО", settlement=SERGINO),
    RoutingRule(settlement_keyword="Сергино", settlement=OrgUnit(pk=5, code="second")),
]


@pytest.fixture(params=["compiled", "as loaded"])
def rules(request: pytest.FixtureRequest) -> Rules:
    # The worker compiles a batch's rules once; the routing trial and manual registration pass
    # the rules as loaded. Both must decide alike.
    return compile_rules(RULES) if request.param == "compiled" else RULES


def test_the_category_code_decides_topic_and_sector(rules: Rules) -> None:
    routed = apply_rules(parsed(category="pos-101"), rules)
    assert (routed.topic_code, routed.sector_code) == ("roads", "zhkh")


def test_a_rule_of_another_channel_is_passed_over(rules: Rules) -> None:
    routed = apply_rules(parsed(channel="im", category="pos-101"), rules)
    assert routed.topic_code == "waste"  # the im rule comes first and matches its own channel


def test_any_keyword_in_the_text_matches_whatever_its_case(rules: Rules) -> None:
    routed = apply_rules(parsed(text="Большая ЯМА у дома"), rules)
    assert (routed.topic_code, routed.sector_code) == ("roads", None)


def test_every_condition_of_a_rule_must_hold(rules: Rules) -> None:
    wrong_text = apply_rules(parsed(category="pos-104", text="Не вывезли"), rules)
    assert wrong_text.topic_code == "other"
    both = apply_rules(parsed(category="pos-104", text="Мусор не вывезли"), rules)
    assert both.topic_code == "waste"


def test_the_first_matching_rule_decides(rules: Rules) -> None:
    routed = apply_rules(parsed(category="pos-101", text="выбоина"), rules)
    assert (routed.topic_code, routed.sector_code) == ("roads", "zhkh")


def test_the_address_names_the_settlement_beside_the_rule_that_decides(rules: Rules) -> None:
    routed = apply_rules(
        parsed(category="pos-101", address="с. Сергино, ул. Лесная, 3"),
        rules,
    )
    assert (routed.topic_code, routed.settlement_code) == ("roads", "sergino")  # the first


def test_a_message_no_rule_matches_keeps_what_its_channel_said(rules: Rules) -> None:
    message = parsed(category="pos-999", text="Тишина", address="г. Нягань")
    routed = apply_rules(message, rules)
    assert routed == message.message
    assert (routed.topic_code, routed.sector_code, routed.settlement_code) == ("other", None, None)
