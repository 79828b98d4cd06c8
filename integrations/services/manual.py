"""Manual registration (issue 5 item 5): a message that came by phone, visit or paper goes
through the same door as the channels — the administrator's routing rules, then intake with
its validation, routing by the рубрикатор, deadlines and repeat detection."""

from __future__ import annotations

from incidents.models import Incident
from incidents.services.intake import IncomingMessage, incident_create
from integrations.channels.base import ParsedMessage
from integrations.services.routing import apply_rules, rules_for
from mcu.models import Municipality
from roles.models import User


def register_manually(
    *, municipality: Municipality, actor: User, message: IncomingMessage
) -> tuple[Incident, bool]:
    """``(incident, created)``; a second submission of the same form returns the first one.

    Intake checks that ``actor`` may register messages of this channel (permission matrix).
    """
    routed = apply_rules(ParsedMessage(message), rules_for(municipality_id=municipality.pk))
    return incident_create(municipality=municipality, message=routed, actor=actor)
