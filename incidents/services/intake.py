"""A message becomes an incident: classified, routed, given its term, checked for repeats.

Used by every channel adapter and by the manual registration form, so the same rules apply to
a post from «Инцидент Менеджмент», a ПОС message and a phone call taken by the ЕДДС.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.exceptions import ActorLacksCapability, InvalidInput
from incidents.masking import masked_columns
from incidents.models import Incident, IncidentEvent, Kind, SectorTopic, SlaPolicy, Status, Topic
from incidents.services import policies
from incidents.services.bulk import unsaved
from incidents.services.clock import clock_sync
from incidents.services.common import notify, record_event
from incidents.services.repeats import address_key, find_repeat_of
from mcu.models import Municipality
from roles.models import Channel, OrgUnit, Role, Sector, User
from roles.permissions import Capability
from roles.selectors import actor_capabilities, role_holders

if TYPE_CHECKING:  # the batch module imports this one
    from incidents.services.intake_many import IntakeResult

# Channels whose answer a ПОС-style operator publishes vs. a social-network one (Регламент §2.5).
SOCIAL_CHANNELS: frozenset[str] = frozenset({Channel.IM, Channel.GOSPUBLIC})
OPERATOR_ROLE: dict[str, Role] = {
    Channel.IM: Role.IM_OPERATOR,
    Channel.GOSPUBLIC: Role.GOSPUBLIC_OFFICER,
    Channel.POS: Role.POS_OPERATOR,
    Channel.EDDS: Role.EDDS_HEAD,
    Channel.APPEAL: Role.APPEALS_OFFICER,
    Channel.EMAIL: Role.APPEALS_OFFICER,
}


@dataclass(frozen=True)
class IncomingMessage:
    """The normalized message every channel adapter produces (DESIGN §6)."""

    channel: str
    external_id: str
    text: str
    received_at: datetime
    kind: str = Kind.MESSAGE
    fast_track: bool = False
    topic_code: str | None = None
    sector_code: str | None = None  # a routing rule's verdict, where one matched
    citizen_name: str = ""
    citizen_email: str = ""
    citizen_phone: str = ""
    citizen_profile_url: str = ""
    citizen_postal_address: str = ""
    address: str = ""
    settlement_code: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    source_url: str = ""
    registered_at: datetime | None = None
    has_geo_confirmation: bool = False
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Routing:
    sector: Sector | None
    org_unit: OrgUnit | None

    @property
    def found(self) -> bool:
        return self.sector is not None or self.org_unit is not None


def route(*, municipality: Municipality, topic: Topic | None, sector_code: str | None) -> Routing:
    """Where the incident goes: an explicit rule's sector, else the topic's mapping (a subtopic's
    own, else its parent's), else nowhere — an operator routes it by hand."""
    if sector_code:
        sector = Sector.objects.filter(
            municipality=municipality, code=sector_code, is_active=True
        ).first()
        if sector is not None:
            return Routing(sector, None)
    if topic is None:
        return Routing(None, None)
    links = {
        link.topic_id: link
        for link in SectorTopic.objects.filter(
            municipality=municipality, topic_id__in=[t for t in (topic.pk, topic.parent_id) if t]
        ).select_related("sector", "org_unit")
    }
    link = links.get(topic.pk) or links.get(topic.parent_id or -1)
    if link is None:
        return Routing(None, None)
    return Routing(link.sector, link.org_unit)


# ``Choices.values`` builds a new list on every access (~0.2 ms): read once.
_CHANNELS: frozenset[str] = frozenset(Channel.values)
_KINDS: frozenset[str] = frozenset(Kind.values)


def _validate(message: IncomingMessage) -> None:
    if message.channel not in _CHANNELS:
        raise InvalidInput(
            _("Неизвестный канал: %(channel)s") % {"channel": message.channel}, field="channel"
        )
    if not message.external_id.strip():
        raise InvalidInput(_("Не указан номер сообщения в канале."), field="external_id")
    if not message.text.strip():
        raise InvalidInput(_("Пустой текст сообщения."), field="text")
    if timezone.is_naive(message.received_at):
        raise InvalidInput(
            _("Время поступления должно содержать часовой пояс."), field="received_at"
        )
    if message.kind not in _KINDS:
        raise InvalidInput(
            _("Неизвестный вид обращения: %(kind)s") % {"kind": message.kind}, field="kind"
        )


def _require_register(*, actor: User, municipality: Municipality, channel: str) -> None:
    """A message registered by hand: the matrix says who may register in which channel."""
    caps = actor_capabilities(user=actor, municipality=municipality)
    if not caps.can_on(Capability.INCIDENT_REGISTER, sector_id=None, channel=channel):
        raise ActorLacksCapability(
            _("Ваша роль в МЦУ не позволяет регистрировать сообщения этого канала.")
        )


def incident_create(
    *, municipality: Municipality, message: IncomingMessage, actor: User | None = None
) -> tuple[Incident, bool]:
    """Create the incident, or return the existing one for a redelivered message.

    ``(municipality, channel, external_id)`` is unique, so two deliveries of one message — even
    at the same moment on two workers — are one incident. Returns ``(incident, created)``.
    """
    _validate(message)
    # The stored id is stripped and cut to the column; look it up the same way, or a
    # redelivery with stray spaces misses the row and then hits the unique key (a 500).
    message = replace(message, external_id=message.external_id.strip()[:200])
    if actor is not None:
        _require_register(actor=actor, municipality=municipality, channel=message.channel)
    existing = Incident.objects.filter(
        municipality=municipality, channel=message.channel, external_id=message.external_id
    ).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return _create(municipality=municipality, message=message, actor=actor), True
    except IntegrityError:
        existing = Incident.objects.filter(
            municipality=municipality, channel=message.channel, external_id=message.external_id
        ).first()
        if existing is None:
            raise
        return existing, False


# The terms of one stage for an incident: ``policies.stage_terms`` on the single path, the batch
# catalog's cached policies on the batch path (``intake_many``).
TermsFor = Callable[[Incident, str, datetime], policies.Terms]


def incident_from_message(
    *,
    municipality: Municipality,
    message: IncomingMessage,
    topic: Topic | None,
    settlement: OrgUnit | None,
    routing: Routing,
    terms: TermsFor,
) -> Incident:
    """The unsaved incident a message makes, with its terms: one builder for the single path
    (``_create``) and the batch path (``intake_many``), so the two cannot drift apart."""
    kind = Kind.APPEAL if message.channel == Channel.APPEAL else message.kind
    registered_at = message.registered_at or (message.received_at if kind == Kind.APPEAL else None)
    citizen_name, address = message.citizen_name[:300], message.address[:500]
    incident = unsaved(
        Incident,
        municipality=municipality,
        channel=message.channel,
        external_id=message.external_id.strip()[:200],
        kind=kind,
        topic=topic,
        sector=routing.sector,
        org_unit=routing.org_unit,
        status=Status.ASSIGNED if routing.found else Status.NEW,
        fast_track=message.fast_track,
        text=message.text,
        citizen_name=citizen_name,
        citizen_email=message.citizen_email[:254],
        citizen_phone=message.citizen_phone[:40],
        citizen_profile_url=message.citizen_profile_url[:1000],
        citizen_postal_address=message.citizen_postal_address[:500],
        address=address,
        address_key=address_key(message.address),
        **masked_columns(text=message.text, citizen_name=citizen_name, address=address),
        settlement=settlement,
        latitude=message.latitude,
        longitude=message.longitude,
        source_url=message.source_url[:1000],
        received_at=message.received_at,
        registered_at=registered_at,
        has_geo_confirmation=message.has_geo_confirmation,
        # Октябрьский, Приложение № 2 п. 2: delivered to the final executor with no human routing.
        auto_routed=True if routing.found else None,
    )
    # 59-ФЗ ст. 12: the term of an appeal runs from its registration; a message's from receipt.
    start = registered_at if kind == Kind.APPEAL and registered_at else message.received_at
    terms_ = terms(incident, SlaPolicy.Stage.ANSWER, start)
    incident.sla_policy = terms_.policy
    incident.due_at = incident.final_due_at = terms_.due_at
    incident.warn_at = terms_.warn_at
    if message.channel in SOCIAL_CHANNELS and routing.found:
        # Регламент §2.5: the agreed answer reaches the ИМ curator within 3 hours of hand-over.
        incident.stage_due_at = terms(
            incident, SlaPolicy.Stage.AGREED_TO_OPERATOR, message.received_at
        ).due_at
    elif kind == Kind.APPEAL and registered_at:
        incident.stage_due_at = terms(incident, SlaPolicy.Stage.FORWARDING, registered_at).due_at
    return incident


def _create(
    *, municipality: Municipality, message: IncomingMessage, actor: User | None
) -> Incident:
    now = timezone.now()
    topic = Topic.objects.filter(code=message.topic_code).first() if message.topic_code else None
    settlement = (
        OrgUnit.objects.filter(
            municipality=municipality, code=message.settlement_code, kind=OrgUnit.Kind.SETTLEMENT
        ).first()
        if message.settlement_code
        else None
    )
    routing = route(municipality=municipality, topic=topic, sector_code=message.sector_code)
    incident = incident_from_message(
        municipality=municipality,
        message=message,
        topic=topic,
        settlement=settlement,
        routing=routing,
        terms=lambda i, stage, start: policies.stage_terms(i, stage=stage, start=start),
    )
    repeat_of = find_repeat_of(
        municipality_id=municipality.pk,
        topic=topic,
        address_key_value=incident.address_key,
        settlement_id=settlement.pk if settlement else None,
        received_at=message.received_at,
    )
    if repeat_of is not None:
        incident.repeat_of = repeat_of
        incident.is_repeat = True
    incident.save()
    clock_sync(incident)  # the sweep watches the term through the clock row
    record_event(
        incident,
        IncidentEvent.Kind.CREATED,
        actor=actor,
        at=now,
        to_status=Status.NEW,
        data={"channel": incident.channel, "external_id": incident.external_id},
    )
    if repeat_of is not None:
        record_event(
            incident,
            IncidentEvent.Kind.REPEAT_LINK,
            actor=None,
            at=now,
            note=f"Повтор инцидента № {repeat_of.pk}",
            data={"repeat_of": repeat_of.pk, "automatic": True},
        )
    if routing.found:
        record_event(
            incident,
            IncidentEvent.Kind.ASSIGNED,
            actor=None,
            at=now,
            from_status=Status.NEW,
            to_status=Status.ASSIGNED,
            note="Доставлено автоматически по рубрикатору",
            data={
                "sector": routing.sector.pk if routing.sector else None,
                "org_unit": routing.org_unit.pk if routing.org_unit else None,
                "automatic": True,
            },
        )
        recipients = role_holders(
            municipality=municipality,
            roles=[Role.SECTOR_OWNER, Role.EXECUTOR] if routing.sector else [Role.EXECUTOR],
            sector_id=routing.sector.pk if routing.sector else None,
        )
        title = f"Новый инцидент № {incident.pk} в вашем блоке"
    else:
        recipients = role_holders(
            municipality=municipality,
            roles=[OPERATOR_ROLE.get(incident.channel, Role.HEAD)],
            channel=incident.channel,
        )
        title = f"Новое сообщение № {incident.pk} ждёт распределения"
    notify(
        municipality=municipality,
        users=recipients,
        kind="incident_new",
        title=title,
        body=incident.text[:500],
        incident=incident,
    )
    return incident


def incident_create_many(
    *, municipality: Municipality, messages: Sequence[IncomingMessage]
) -> list[IntakeResult]:
    """``incident_create`` for a batch: the same incidents, events and notifications, with each
    lookup made once per batch and the rows written by COPY (``intake_many``). One result per
    message, in order; a refused message carries its error instead of failing the batch."""
    from incidents.services.intake_many import incident_create_many as create_many

    return create_many(municipality=municipality, messages=messages)
