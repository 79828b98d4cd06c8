"""Reads of the settings pages. Every object is found inside one municipality: an id of
another municipality's row answers 404, exactly as a missing one (STYLE.md §Tenancy)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from django.db.models import Model, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents.deadlines import Unit
from incidents.models import AnswerTemplate, SectorTopic, SlaPolicy, Topic
from incidents.services.intake import IncomingMessage, route
from incidents.services.policies import policy_for
from integrations.channels.base import ParsedMessage
from integrations.models import ChannelSecret, RoutingRule
from integrations.services.routing import apply_rules, rules_for
from mcu.models import Municipality
from roles.models import Channel, OrgUnit, Role, RoleAssignment, Sector, User

_M = TypeVar("_M", bound=Model)


def object_get_for_municipality(model: type[_M], *, municipality: Municipality, pk: int) -> _M:
    """The row, or 404 for both a missing id and another municipality's."""
    obj = model._default_manager.filter(municipality=municipality, pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def sla_policy_list(*, municipality: Municipality) -> list[SlaPolicy]:
    return list(
        SlaPolicy.objects.filter(municipality=municipality)
        .select_related("topic__parent")
        .order_by("channel", "stage", "fast_track", "topic__code", "pk")
    )


def routing_rule_list(*, municipality: Municipality) -> list[RoutingRule]:
    return list(
        RoutingRule.objects.filter(municipality=municipality)
        .select_related("topic__parent", "sector", "settlement")
        .order_by("priority", "pk")
    )


def answer_template_list(*, municipality: Municipality) -> list[AnswerTemplate]:
    return list(
        AnswerTemplate.objects.filter(municipality=municipality)
        .select_related("topic__parent")
        .order_by("-is_active", "topic__order", "topic__code", "title", "pk")
    )


def topics_ordered() -> list[Topic]:
    """The рубрикатор in reading order: each topic followed by its subtopics."""
    topics = list(Topic.objects.filter(is_active=True).select_related("parent"))
    roots = sorted((t for t in topics if t.parent_id is None), key=lambda t: (t.order, t.name))
    children: dict[int, list[Topic]] = {}
    for topic in topics:
        if topic.parent_id is not None:
            children.setdefault(topic.parent_id, []).append(topic)
    ordered: list[Topic] = []
    for root in roots:
        ordered.append(root)
        ordered += sorted(children.get(root.pk, []), key=lambda t: (t.order, t.name))
    return ordered


def sectors_of(municipality: Municipality) -> list[Sector]:
    return list(Sector.objects.filter(municipality=municipality, is_active=True).order_by("order"))


def executor_units_of(municipality: Municipality) -> list[OrgUnit]:
    """Units that answer citizens; settlements are places, not executors of a topic."""
    return list(
        OrgUnit.objects.filter(municipality=municipality, is_active=True)
        .exclude(kind=OrgUnit.Kind.SETTLEMENT)
        .order_by("kind", "name")
    )


def settlements_of(municipality: Municipality) -> list[OrgUnit]:
    return list(
        OrgUnit.objects.filter(
            municipality=municipality, is_active=True, kind=OrgUnit.Kind.SETTLEMENT
        ).order_by("name")
    )


@dataclass(frozen=True)
class TopicRow:
    topic: Topic
    link: SectorTopic | None
    inherited: SectorTopic | None  # the parent's link a subtopic without its own follows

    @property
    def value(self) -> str:
        return target_value(self.link)

    @property
    def inherited_name(self) -> str:
        link = self.inherited
        if link is None:
            return ""
        return link.sector.name if link.sector else link.org_unit.name if link.org_unit else ""


def target_value(link: SectorTopic | None) -> str:
    """The select's value of a link: ``s<id>`` a sector block, ``u<id>`` a unit, "" none."""
    if link is None:
        return ""
    return f"s{link.sector_id}" if link.sector_id else f"u{link.org_unit_id}"


def topic_mapping(*, municipality: Municipality) -> list[TopicRow]:
    links = {
        link.topic_id: link
        for link in SectorTopic.objects.filter(municipality=municipality).select_related(
            "sector", "org_unit"
        )
    }
    return [
        TopicRow(
            topic,
            links.get(topic.pk),
            links.get(topic.parent_id) if topic.parent_id is not None else None,
        )
        for topic in topics_ordered()
    ]


@dataclass(frozen=True)
class SecretRow:
    """What a page may show of a secret: never the secret, only a fingerprint to compare."""

    pk: int
    channel: str
    fingerprint: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


def secret_fingerprint(value: str) -> str:
    """The first 12 hex digits of SHA-256: enough to tell secrets apart, useless to sign with."""
    return hashlib.sha256(value.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class ChannelSecrets:
    channel: str
    label: str
    active: list[SecretRow]
    revoked: list[SecretRow]


REVOKED_SHOWN = 5


def channel_secret_overview(*, municipality: Municipality) -> list[ChannelSecrets]:
    rows: dict[str, list[SecretRow]] = {}
    for secret in (
        ChannelSecret.objects.filter(municipality=municipality)
        .select_related("created_by")
        .order_by("channel", "-created_at", "-pk")
    ):
        rows.setdefault(secret.channel, []).append(
            SecretRow(
                pk=secret.pk,
                channel=secret.channel,
                fingerprint=secret_fingerprint(secret.secret),
                created_at=secret.created_at,
                created_by=secret.created_by.display_name if secret.created_by else "",
                revoked_at=secret.revoked_at,
            )
        )
    return [
        ChannelSecrets(
            channel=str(value),
            label=str(label),
            active=[r for r in rows.get(value, []) if r.revoked_at is None],
            revoked=[r for r in rows.get(value, []) if r.revoked_at is not None][:REVOKED_SHOWN],
        )
        for value, label in Channel.choices
    ]


@dataclass(frozen=True)
class RoutingTrial:
    rule: RoutingRule | None
    settlement_rule: RoutingRule | None
    topic: Topic | None
    sector: Sector | None
    org_unit: OrgUnit | None
    settlement: OrgUnit | None
    policy: SlaPolicy | None

    @property
    def term(self) -> str:
        return term_text(self.policy.amount, self.policy.unit) if self.policy else ""


def routing_try(
    *, municipality: Municipality, channel: str, category_code: str, text: str, address: str
) -> RoutingTrial:
    """Where a message would go, through the same code the inbox runs: the administrator's
    rules (``integrations.services.routing``), then the рубрикатор mapping (``intake.route``),
    then the SLA term that would apply."""
    rules = rules_for(municipality_id=municipality.pk)
    parsed = ParsedMessage(
        message=IncomingMessage(
            channel=channel,
            external_id="try",
            text=text,
            received_at=timezone.now(),
            address=address,
        ),
        category_code=category_code.strip(),
    )
    routed = apply_rules(parsed, rules)
    # apply_rules answers what, not which rule; the first rule that alone changes the verdict
    # is the one that decided (rules are independent: each matches on the message alone).
    base = apply_rules(parsed, [])

    def decides(rule: RoutingRule) -> bool:
        alone = apply_rules(parsed, [rule])
        return (alone.topic_code, alone.sector_code) != (base.topic_code, base.sector_code)

    rule = next((r for r in rules if decides(r)), None)
    settlement_rule = next(
        (r for r in rules if apply_rules(parsed, [r]).settlement_code is not None), None
    )
    topic = Topic.objects.filter(code=routed.topic_code).first() if routed.topic_code else None
    routing = route(municipality=municipality, topic=topic, sector_code=routed.sector_code)
    settlement = (
        OrgUnit.objects.filter(
            municipality=municipality, code=routed.settlement_code, kind=OrgUnit.Kind.SETTLEMENT
        ).first()
        if routed.settlement_code
        else None
    )
    policy = policy_for(
        municipality_id=municipality.pk,
        channel=channel,
        fast_track=False,
        topic=topic,
        stage=SlaPolicy.Stage.ANSWER,
    )
    return RoutingTrial(
        rule=rule,
        settlement_rule=settlement_rule,
        topic=topic,
        sector=routing.sector,
        org_unit=routing.org_unit,
        settlement=settlement,
        policy=policy,
    )


def roster_people(*, municipality: Municipality) -> list[User]:
    """People who may be appointed here: those the municipality's roster has ever named.

    Users are shared by all tenants; listing every account of the platform would show one
    municipality the staff of the others, so a new person is given by their login instead.
    """
    ids = RoleAssignment.objects.filter(municipality=municipality, user__isnull=False).values(
        "user_id"
    )
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("full_name", "username"))


def roster_current(*, municipality: Municipality) -> list[RoleAssignment]:
    """Assignments in force today (local date) and those that start later, in roster order."""
    today = municipality.local_time().date()
    rows = (
        RoleAssignment.objects.filter(municipality=municipality)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .select_related("user", "sector", "org_unit")
    )
    role_order = {role.value: index for index, role in enumerate(Role)}
    # The act's order, as «Состав МЦУ» shows it: demo stand-ins after the act's own rows.
    return sorted(
        rows,
        key=lambda row: (
            row.source == RoleAssignment.Source.DEMO,
            role_order.get(row.role, 99),
            row.sector.order if row.sector else -1,
            row.valid_from or date.min,
            row.pk,
        ),
    )


def duration_text(value: timedelta) -> str:
    """«2 сут. 4 ч 30 мин» — abbreviations, so no Russian plural forms are needed."""
    minutes = int(value.total_seconds()) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        text
        for amount, text in (
            (days, _("%(n)s сут.") % {"n": days}),
            (hours, _("%(n)s ч") % {"n": hours}),
            (minutes, _("%(n)s мин") % {"n": minutes}),
        )
        if amount
    ]
    return " ".join(parts) or _("не предупреждать")


UNIT_SHORT = {
    Unit.HOURS.value: gettext_lazy("%(n)s ч"),
    Unit.CALENDAR_DAYS.value: gettext_lazy("%(n)s кал. дн."),
    Unit.WORKING_DAYS.value: gettext_lazy("%(n)s раб. дн."),
}


def term_text(amount: int, unit: str) -> str:
    """«25 кал. дн.», «3 ч» — abbreviated for the same reason as ``duration_text``."""
    return str(UNIT_SHORT.get(unit, "%(n)s")) % {"n": amount}


@dataclass(frozen=True)
class PolicyRow:
    policy: SlaPolicy
    term: str
    warn: str
    is_base: bool  # the channel's own answer term: changed, never deleted


def sla_policy_rows(*, municipality: Municipality) -> list[PolicyRow]:
    return [
        PolicyRow(
            policy=policy,
            term=term_text(policy.amount, policy.unit),
            warn=duration_text(policy.warn_before),
            is_base=policy.stage == SlaPolicy.Stage.ANSWER
            and not policy.fast_track
            and policy.topic_id is None,
        )
        for policy in sla_policy_list(municipality=municipality)
    ]
