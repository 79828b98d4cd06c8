"""Writes of the settings pages: terms, routing rules, the topic mapping, answer templates,
channel secrets and roster changes. Each one checks the rules, writes, and leaves an audit record
(``audit.py``) in the same transaction.

The pages are the municipality's own administration, so every object handed in was loaded in
its scope by the view; the services still compare municipalities before combining objects.

``RoutingRule`` and ``ChannelSecret`` live in ``integrations``: this module is the one place in
``incidents`` that reaches up to them, because the administrator edits them on the same pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.configuration.audit import (
    ADDED,
    CHANGED,
    DELETED,
    audit_record,
    changed_fields,
    verbose,
)
from incidents.configuration.exceptions import SettingsInvalid
from incidents.deadlines import Unit
from incidents.models import AnswerTemplate, SectorTopic, SlaPolicy, Topic
from integrations.models import ChannelSecret, RoutingRule
from integrations.services.secrets import channel_secret_rotate
from mcu.models import Municipality
from mcu.tenancy import WrongMunicipality
from roles.models import Channel, OrgUnit, RoleAssignment, Sector, User
from roles.services import (
    RosterError,
    role_assignment_appoint,
    role_assignment_end,
    role_assignment_replace,
)

SOCIAL_CHANNELS = frozenset({Channel.IM.value, Channel.GOSPUBLIC.value})
# 59-ФЗ ст. 8: registration and forwarding terms exist only for written appeals (paper or e-mail).
APPEAL_CHANNELS = frozenset({Channel.APPEAL.value, Channel.EMAIL.value})


def _same_municipality(municipality: Municipality, *objects: Model | None) -> None:
    for obj in objects:
        if obj is not None and getattr(obj, "municipality_id", municipality.pk) != municipality.pk:
            raise WrongMunicipality(f"{obj!r} belongs to another municipality")


# ------------------------------------------------------------------ SLA policies


def _term_length(amount: int, unit: str) -> timedelta:
    """The shortest the term can be: a working day is at least a calendar day long."""
    return timedelta(hours=amount) if unit == Unit.HOURS.value else timedelta(days=amount)


def _sla_policy_check(
    *, municipality: Municipality, values: Mapping[str, Any], instance: SlaPolicy | None
) -> None:
    errors: dict[str | None, str] = {}
    channel, stage = values["channel"], values["stage"]
    if values["fast_track"] and channel != Channel.POS.value:
        errors["fast_track"] = _("Фаст-трек бывает только у сообщений ПОС.")
    if stage in (SlaPolicy.Stage.REGISTRATION, SlaPolicy.Stage.FORWARDING) and (
        channel not in APPEAL_CHANNELS
    ):
        errors["stage"] = _(
            "Сроки регистрации и переадресации (59-ФЗ ст. 8) задаются только для обращений."
        )
    if stage == SlaPolicy.Stage.AGREED_TO_OPERATOR and channel not in SOCIAL_CHANNELS:
        errors["stage"] = _(
            "Срок передачи согласованного ответа оператору задаётся только для соцсетей "
            "(ИМ, госпаблики)."
        )
    if values["move_off_day"] and values["unit"] != Unit.CALENDAR_DAYS.value:
        # deadlines.DeadlineRule refuses this combination: the flag would silently do nothing.
        errors["move_off_day"] = _(
            "Перенос с выходного дня (ГК РФ ст. 193) применяется только к срокам "
            "в календарных днях."
        )
    if values["warn_before"] >= _term_length(values["amount"], values["unit"]):
        errors["warn_before"] = _("Предупреждение должно приходить раньше, чем истекает срок.")
    topic: Topic | None = values["topic"]
    twins = SlaPolicy.objects.filter(
        municipality=municipality,
        channel=channel,
        stage=stage,
        fast_track=values["fast_track"],
    )
    twins = twins.filter(topic=topic) if topic else twins.filter(topic__isnull=True)
    if instance is not None:
        twins = twins.exclude(pk=instance.pk)
        if _is_base(instance) and not _is_base_values(values):
            errors[None] = _(
                "Это основной срок канала: его канал, этап, фаст-трек и тему менять нельзя, "
                "иначе сообщения канала останутся без срока. Добавьте отдельный срок."
            )
    if twins.exists():
        errors[None] = _("Срок для этого канала, этапа, фаст-трека и темы уже задан.")
    if errors:
        raise SettingsInvalid(errors)


def _is_base_values(values: Mapping[str, Any]) -> bool:
    return (
        values["stage"] == SlaPolicy.Stage.ANSWER
        and not values["fast_track"]
        and values["topic"] is None
    )


def _is_base(policy: SlaPolicy) -> bool:
    """The channel's own answer term: what every message of the channel falls back to."""
    return _is_base_values(
        {"stage": policy.stage, "fast_track": policy.fast_track, "topic": policy.topic}
    )


SLA_FIELDS = (
    "channel",
    "stage",
    "fast_track",
    "topic",
    "amount",
    "unit",
    "warn_before",
    "move_off_day",
    "source",
)


@transaction.atomic
def sla_policy_create(
    *, municipality: Municipality, actor: User, values: Mapping[str, Any]
) -> SlaPolicy:
    """A new term. Incidents already received keep theirs; the term applies to new ones."""
    _same_municipality(municipality, values["topic"])
    _sla_policy_check(municipality=municipality, values=values, instance=None)
    try:
        with transaction.atomic():
            policy = SlaPolicy.objects.create(
                municipality=municipality, **{f: values[f] for f in SLA_FIELDS}
            )
    except IntegrityError as exc:  # a concurrent twin won the race the check above lost
        raise SettingsInvalid({None: _("Такой срок уже задан.")}) from exc
    audit_record(actor=actor, obj=policy, action=ADDED)
    return policy


@transaction.atomic
def sla_policy_update(*, policy: SlaPolicy, actor: User, values: Mapping[str, Any]) -> SlaPolicy:
    locked = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    municipality = locked.municipality
    _same_municipality(municipality, values["topic"])
    _sla_policy_check(municipality=municipality, values=values, instance=locked)
    changed = changed_fields(locked, {f: values[f] for f in SLA_FIELDS})
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, values[name])
    try:
        with transaction.atomic():
            locked.save(update_fields=changed)
    except IntegrityError as exc:
        raise SettingsInvalid({None: _("Такой срок уже задан.")}) from exc
    audit_record(actor=actor, obj=locked, action=CHANGED, fields=verbose(SlaPolicy, changed))
    return locked


@transaction.atomic
def sla_policy_delete(*, policy: SlaPolicy, actor: User) -> None:
    """Remove a term. Incidents judged by it keep their due dates (the link is cleared)."""
    if _is_base(policy):
        raise SettingsInvalid(
            {
                None: _(
                    "Основной срок канала удалить нельзя: сообщения канала останутся без срока. "
                    "Измените его."
                )
            }
        )
    audit_record(actor=actor, obj=policy, action=DELETED)
    policy.delete()


# ------------------------------------------------------------------ routing rules

ROUTING_FIELDS = (
    "priority",
    "channel",
    "category_code",
    "keywords",
    "settlement_keyword",
    "topic",
    "sector",
    "settlement",
    "is_active",
)


def _routing_rule_check(values: Mapping[str, Any]) -> dict[str, Any]:
    """The rule must be able to match and must decide something (routing.apply_rules skips a
    topic/sector rule with no condition: it would swallow every message)."""
    cleaned = dict(values)
    cleaned["category_code"] = cleaned["category_code"].strip()
    cleaned["settlement_keyword"] = cleaned["settlement_keyword"].strip()
    words = [w.strip() for w in cleaned["keywords"].split(",") if w.strip()]
    cleaned["keywords"] = ", ".join(words)
    errors: dict[str | None, str] = {}
    limit = RoutingRule._meta.get_field("keywords").max_length or 0
    if len(cleaned["keywords"]) > limit:  # ", " between words may outgrow what was typed
        errors["keywords"] = _("Слишком много ключевых слов: не больше %(n)s символов.") % {
            "n": limit
        }
    routes = cleaned["topic"] is not None or cleaned["sector"] is not None
    locates = cleaned["settlement"] is not None or bool(cleaned["settlement_keyword"])
    if not routes and not locates:
        errors[None] = _("Правило ничего не решает: укажите тему, отраслевой блок или поселение.")
    if routes and not cleaned["category_code"] and not words:
        errors["keywords"] = _(
            "Укажите код категории или ключевые слова: без условия правило забрало бы "
            "все сообщения."
        )
    if cleaned["settlement"] is not None and not cleaned["settlement_keyword"]:
        errors["settlement_keyword"] = _("Укажите, по какому названию в адресе узнать поселение.")
    if cleaned["settlement_keyword"] and cleaned["settlement"] is None:
        errors["settlement"] = _("Выберите поселение для этого названия.")
    settlement: OrgUnit | None = cleaned["settlement"]
    if settlement is not None and settlement.kind != OrgUnit.Kind.SETTLEMENT:
        errors["settlement"] = _("Выберите поселение.")
    if errors:
        raise SettingsInvalid(errors)
    return cleaned


@transaction.atomic
def routing_rule_create(
    *, municipality: Municipality, actor: User, values: Mapping[str, Any]
) -> RoutingRule:
    _same_municipality(municipality, values["sector"], values["settlement"])
    cleaned = _routing_rule_check(values)
    rule = RoutingRule.objects.create(
        municipality=municipality, **{f: cleaned[f] for f in ROUTING_FIELDS}
    )
    audit_record(actor=actor, obj=rule, action=ADDED)
    return rule


@transaction.atomic
def routing_rule_update(
    *, rule: RoutingRule, actor: User, values: Mapping[str, Any]
) -> RoutingRule:
    locked = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    _same_municipality(locked.municipality, values["sector"], values["settlement"])
    cleaned = _routing_rule_check(values)
    changed = changed_fields(locked, {f: cleaned[f] for f in ROUTING_FIELDS})
    if changed:
        for name in changed:
            setattr(locked, name, cleaned[name])
        locked.save(update_fields=changed)
        audit_record(actor=actor, obj=locked, action=CHANGED, fields=verbose(RoutingRule, changed))
    return locked


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule, actor: User) -> None:
    audit_record(actor=actor, obj=rule, action=DELETED)
    rule.delete()


# ------------------------------------------------------------------ topic → sector mapping


@dataclass(frozen=True)
class Target:
    """Where a topic lands: a sector block or an executor unit; both empty — nowhere."""

    sector: Sector | None = None
    org_unit: OrgUnit | None = None


@transaction.atomic
def sector_topics_set(
    *, municipality: Municipality, actor: User, targets: Mapping[Topic, Target]
) -> int:
    """Bring the mapping of the given topics to ``targets``; returns how many links changed.

    An empty target removes the topic's own link: a subtopic then follows its parent, a topic
    waits for an operator to route it by hand.
    """
    links = {
        link.topic_id: link
        for link in SectorTopic.objects.select_for_update().filter(
            municipality=municipality, topic__in=list(targets)
        )
    }
    changed = 0
    for topic, target in targets.items():
        _same_municipality(municipality, target.sector, target.org_unit)
        if target.sector is not None and target.org_unit is not None:
            raise SettingsInvalid({None: _("Выберите либо отраслевой блок, либо исполнителя.")})
        link = links.get(topic.pk)
        empty = target.sector is None and target.org_unit is None
        if link is None and empty:
            continue
        if link is None:
            try:
                with transaction.atomic():
                    link = SectorTopic.objects.create(
                        municipality=municipality,
                        topic=topic,
                        sector=target.sector,
                        org_unit=target.org_unit,
                    )
            except IntegrityError as exc:  # another administrator mapped it a moment ago
                raise SettingsInvalid(
                    {None: _("Сопоставление только что изменил другой сотрудник; повторите.")}
                ) from exc
            audit_record(actor=actor, obj=link, action=ADDED)
        elif empty:
            audit_record(actor=actor, obj=link, action=DELETED)
            link.delete()
        elif (link.sector_id, link.org_unit_id) != (
            target.sector.pk if target.sector else None,
            target.org_unit.pk if target.org_unit else None,
        ):
            link.sector, link.org_unit = target.sector, target.org_unit
            link.save(update_fields=["sector", "org_unit"])
            audit_record(
                actor=actor,
                obj=link,
                action=CHANGED,
                fields=verbose(SectorTopic, ["sector", "org_unit"]),
            )
        else:
            continue
        changed += 1
    return changed


# ------------------------------------------------------------------ answer templates

TEMPLATE_FIELDS = ("topic", "title", "text")


def _answer_template_check(
    *, municipality: Municipality, values: Mapping[str, Any], instance: AnswerTemplate | None
) -> dict[str, Any]:
    cleaned = {
        "topic": values["topic"],
        "title": values["title"].strip(),
        "text": values["text"].strip(),
    }
    errors: dict[str | None, str] = {}
    if not cleaned["title"]:
        errors["title"] = _("Обязательное поле.")
    if not cleaned["text"]:
        errors["text"] = _("Обязательное поле.")
    twins = AnswerTemplate.objects.filter(municipality=municipality, title=cleaned["title"])
    twins = (
        twins.filter(topic=cleaned["topic"])
        if cleaned["topic"]
        else twins.filter(topic__isnull=True)
    )
    if instance is not None:
        twins = twins.exclude(pk=instance.pk)
    if cleaned["title"] and twins.exists():
        errors["title"] = _("Шаблон с таким названием для этой темы уже есть.")
    if errors:
        raise SettingsInvalid(errors)
    return cleaned


@transaction.atomic
def answer_template_create(
    *, municipality: Municipality, actor: User, values: Mapping[str, Any]
) -> AnswerTemplate:
    cleaned = _answer_template_check(municipality=municipality, values=values, instance=None)
    try:
        with transaction.atomic():
            template = AnswerTemplate.objects.create(municipality=municipality, **cleaned)
    except IntegrityError as exc:
        raise SettingsInvalid({"title": _("Шаблон с таким названием уже есть.")}) from exc
    audit_record(actor=actor, obj=template, action=ADDED)
    return template


@transaction.atomic
def answer_template_update(
    *, template: AnswerTemplate, actor: User, values: Mapping[str, Any]
) -> AnswerTemplate:
    locked = AnswerTemplate.objects.select_for_update().get(pk=template.pk)
    cleaned = _answer_template_check(
        municipality=locked.municipality, values=values, instance=locked
    )
    changed = changed_fields(locked, cleaned)
    if changed:
        for name in changed:
            setattr(locked, name, cleaned[name])
        try:
            with transaction.atomic():
                locked.save(update_fields=[*changed, "updated_at"])
        except IntegrityError as exc:
            raise SettingsInvalid({"title": _("Шаблон с таким названием уже есть.")}) from exc
        audit_record(
            actor=actor, obj=locked, action=CHANGED, fields=verbose(AnswerTemplate, changed)
        )
    return locked


@transaction.atomic
def answer_template_set_active(
    *, template: AnswerTemplate, actor: User, active: bool
) -> AnswerTemplate:
    """Deactivate rather than delete: answers already written from it stay explainable."""
    locked = AnswerTemplate.objects.select_for_update().get(pk=template.pk)
    if locked.is_active != active:
        locked.is_active = active
        locked.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor, obj=locked, action=CHANGED, fields=verbose(AnswerTemplate, ["is_active"])
        )
    return locked


# ------------------------------------------------------------------ channel secrets


@transaction.atomic
def channel_secret_issue(*, municipality: Municipality, channel: str, actor: User) -> str:
    """Create the channel's first secret or rotate it: the new one and the one before it stay
    valid while the sender switches over; an older one is revoked. Returns the secret — the only
    time it is ever available."""
    if channel not in Channel.values:
        raise SettingsInvalid({None: _("Неизвестный канал.")})
    active_before = set(
        ChannelSecret.objects.filter(
            municipality=municipality, channel=channel, revoked_at__isnull=True
        ).values_list("pk", flat=True)
    )
    value = channel_secret_rotate(municipality=municipality, channel=channel, actor=actor)
    created = ChannelSecret.objects.filter(
        municipality=municipality, channel=channel, secret=value
    ).get()
    audit_record(
        actor=actor,
        obj=created,
        action=ADDED,
        note=_("Создан секрет канала (смена секрета)") if active_before else "",
    )
    for old in ChannelSecret.objects.filter(pk__in=active_before, revoked_at__isnull=False):
        audit_record(
            actor=actor, obj=old, action=CHANGED, note=_("Отозван при смене секрета канала")
        )
    return value


@transaction.atomic
def channel_secret_revoke(*, secret: ChannelSecret, actor: User) -> ChannelSecret:
    """Revoke one secret now (the old one after the sender switched, or a leaked one)."""
    locked = ChannelSecret.objects.select_for_update().get(pk=secret.pk)
    if locked.revoked_at is not None:
        raise SettingsInvalid({None: _("Этот секрет уже отозван.")})
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    audit_record(actor=actor, obj=locked, action=CHANGED, note=_("Секрет канала отозван"))
    return locked


# ------------------------------------------------------------------ roster


def _roster_call(call: Any, **kwargs: Any) -> RoleAssignment:
    try:
        result: RoleAssignment = call(**kwargs)
    except RosterError as exc:
        raise SettingsInvalid({None: str(exc)}) from exc
    return result


@transaction.atomic
def roster_appoint(
    *, municipality: Municipality, actor: User, values: Mapping[str, Any]
) -> RoleAssignment:
    _same_municipality(municipality, values.get("sector"), values.get("org_unit"))
    row = _roster_call(role_assignment_appoint, municipality=municipality, **values)
    audit_record(actor=actor, obj=row, action=ADDED)
    return row


@transaction.atomic
def roster_end(*, assignment: RoleAssignment, actor: User, on: date, note: str) -> RoleAssignment:
    row = _roster_call(role_assignment_end, assignment=assignment, on=on, note=note)
    audit_record(actor=actor, obj=row, action=CHANGED, fields=verbose(RoleAssignment, ["valid_to"]))
    return row


@transaction.atomic
def roster_replace(
    *, assignment: RoleAssignment, actor: User, new_user: User, on: date, note: str
) -> RoleAssignment:
    """The old row ends the day before ``on`` and a new one starts: history, not overwriting."""
    row = _roster_call(
        role_assignment_replace, assignment=assignment, new_user=new_user, on=on, note=note
    )
    assignment.refresh_from_db(fields=["valid_to"])
    audit_record(
        actor=actor, obj=assignment, action=CHANGED, fields=verbose(RoleAssignment, ["valid_to"])
    )
    audit_record(actor=actor, obj=row, action=ADDED)
    return row
