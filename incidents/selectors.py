"""Reads of the incident domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from incidents.models import Answer, AnswerTemplate, Incident, IncidentEvent, Topic
from incidents.services.common import record_event
from mcu.models import Municipality
from roles.models import User
from roles.permissions import ActorCapabilities, Capability


def incident_get_for_actor(
    *, municipality: Municipality, incident_id: int | str, capabilities: ActorCapabilities
) -> Incident:
    """The incident, or Http404 — the same answer for a missing and a foreign one (STYLE)."""
    try:
        pk = int(incident_id)
    except (TypeError, ValueError):
        raise Http404("incident") from None
    if not capabilities.can(Capability.INCIDENT_VIEW) or not 0 < pk < 2**63:
        raise Http404("incident")
    incident = (
        Incident.objects.filter(municipality=municipality, pk=pk)
        .select_related("topic__parent", "sector", "org_unit", "responsible", "settlement")
        .first()
    )
    if incident is None:
        raise Http404("incident")
    return incident


@dataclass(frozen=True)
class Citizen:
    name: str
    email: str
    phone: str
    profile_url: str
    postal_address: str


def incident_citizen_for_actor(
    *, incident: Incident, actor: User, capabilities: ActorCapabilities
) -> Citizen | None:
    """The citizen's personal data, if this role may see it; every such view is on record."""
    if not capabilities.can_on(
        Capability.INCIDENT_VIEW_PERSONAL_DATA,
        sector_id=incident.sector_id,
        channel=incident.channel,
    ):
        return None
    record_event(incident, IncidentEvent.Kind.PERSONAL_DATA_VIEW, actor=actor)
    return Citizen(
        name=incident.citizen_name,
        email=incident.citizen_email,
        phone=incident.citizen_phone,
        profile_url=incident.citizen_profile_url,
        postal_address=incident.citizen_postal_address,
    )


@dataclass(frozen=True)
class IncidentCard:
    """Everything the incident card shows besides the incident row: a fixed number of queries
    whatever the length of the timeline (each list is one query, related rows joined)."""

    timeline: list[IncidentEvent]
    answers: list[Answer]
    repeats: list[Incident]
    duplicates: list[Incident]
    deliveries: list[Any]  # integrations.OutboxMessage: the answer's way back to the channel
    templates: list[AnswerTemplate]


CARD_LINKED_LIMIT = 50


def incident_card(*, incident: Incident) -> IncidentCard:
    linked = Incident.objects.filter(municipality_id=incident.municipality_id).only(
        "pk", "status", "received_at", "text", "channel", "municipality_id"
    )
    return IncidentCard(
        timeline=list(incident_timeline(incident=incident)),
        answers=list(incident_answers(incident=incident)),
        repeats=list(
            linked.filter(repeat_of=incident).order_by("received_at", "pk")[:CARD_LINKED_LIMIT]
        ),
        duplicates=list(
            linked.filter(merged_into=incident).order_by("received_at", "pk")[:CARD_LINKED_LIMIT]
        ),
        deliveries=list(
            incident.outbox.filter(municipality_id=incident.municipality_id).order_by("created_at")
        ),
        templates=answer_templates_for(
            municipality_id=incident.municipality_id, topic=incident.topic
        ),
    )


def answer_templates_for(*, municipality_id: int, topic: Topic | None) -> list[AnswerTemplate]:
    """What the answer editor offers for an incident: active templates of its topic, of the
    topic's parent (a subtopic inherits, as with terms and routing), and those for any topic."""
    topic_ids = [t for t in (topic.pk if topic else None, topic.parent_id if topic else None) if t]
    return list(
        AnswerTemplate.objects.filter(municipality_id=municipality_id, is_active=True)
        .filter(Q(topic__isnull=True) | Q(topic_id__in=topic_ids))
        .select_related("topic")
        .order_by("topic_id", "title")
    )


def incident_timeline(*, incident: Incident) -> QuerySet[IncidentEvent]:
    return (
        IncidentEvent.objects.filter(incident=incident).select_related("actor").order_by("at", "pk")
    )


def incident_answers(*, incident: Incident) -> QuerySet[Answer]:
    return (
        Answer.objects.filter(incident=incident)
        .select_related("author", "published_by")
        .prefetch_related("versions", "approvals__actor")
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class AutoRoutingShare:
    """Октябрьский, Приложение № 2 п. 2: the share of messages that reached their final executor
    through automated delivery (72 % in 2025 rising to 80 %)."""

    automatic: int
    manual: int

    @property
    def total(self) -> int:
        return self.automatic + self.manual

    @property
    def percent(self) -> float | None:
        """None when nothing was delivered yet: no number is better than a made-up one."""
        return None if self.total == 0 else round(100 * self.automatic / self.total, 1)


def auto_routing_share(
    *, municipality: Municipality, since: datetime | None = None, until: datetime | None = None
) -> AutoRoutingShare:
    """Counted over incidents that reached an executor (``auto_routed`` is set when they do)."""
    rows = Incident.objects.filter(municipality=municipality, auto_routed__isnull=False)
    if since is not None:
        rows = rows.filter(received_at__gte=since)
    if until is not None:
        rows = rows.filter(received_at__lt=until)
    counts = rows.aggregate(
        automatic=Count("pk", filter=Q(auto_routed=True)),
        manual=Count("pk", filter=Q(auto_routed=False)),
    )
    return AutoRoutingShare(automatic=counts["automatic"], manual=counts["manual"])
