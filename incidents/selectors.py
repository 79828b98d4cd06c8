"""Reads of the incident domain."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from incidents.models import Answer, Incident, IncidentEvent
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
