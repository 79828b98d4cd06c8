"""Bulk actions of the incident list: the lifecycle services, one incident at a time.

Each incident goes through the same service the card calls (``incident_assign`` /
``incident_reject``), in its own transaction, with the version the user saw: the permission
matrix, the allowed transitions and the stale-version check apply to every row, and one refused
row neither stops nor undoes the others. The caller gets which succeeded and why each other
one failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from incidents.exceptions import IncidentError
from incidents.models import Incident
from incidents.services.lifecycle import incident_assign, incident_reject
from mcu.models import Municipality
from roles.models import Sector, User


@dataclass
class BulkOutcome:
    succeeded: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (incident id, why)

    @property
    def total(self) -> int:
        return len(self.succeeded) + len(self.failed)


def _incidents(
    *, municipality: Municipality, tokens: list[tuple[int, int]], outcome: BulkOutcome
) -> list[tuple[Incident, int]]:
    """The ticked incidents of *this* municipality, in the order ticked; an id that is missing
    or belongs to another municipality is one and the same failure (no hint which it was)."""
    found = Incident.objects.filter(
        municipality=municipality, pk__in=[pk for pk, _version in tokens]
    ).in_bulk()
    result = []
    for pk, version in tokens:
        incident = found.get(pk)
        if incident is None:
            outcome.failed.append((pk, _("инцидент не найден")))
        else:
            result.append((incident, version))
    return result


def incidents_bulk_assign(
    *,
    municipality: Municipality,
    tokens: list[tuple[int, int]],
    actor: User,
    sector: Sector | None,
    responsible: User | None,
    note: str = "",
) -> BulkOutcome:
    outcome = BulkOutcome()
    for incident, version in _incidents(municipality=municipality, tokens=tokens, outcome=outcome):
        try:
            incident_assign(
                incident=incident,
                actor=actor,
                expected_version=version,
                sector=sector,
                responsible=responsible,
                note=note,
            )
        except IncidentError as error:
            outcome.failed.append((incident.pk, error.message))
        else:
            outcome.succeeded.append(incident.pk)
    return outcome


def incidents_bulk_reject(
    *,
    municipality: Municipality,
    tokens: list[tuple[int, int]],
    actor: User,
    reason: str,
    note: str = "",
) -> BulkOutcome:
    outcome = BulkOutcome()
    for incident, version in _incidents(municipality=municipality, tokens=tokens, outcome=outcome):
        try:
            incident_reject(
                incident=incident,
                actor=actor,
                expected_version=version,
                reason=reason,
                note=note,
            )
        except IncidentError as error:
            outcome.failed.append((incident.pk, error.message))
        else:
            outcome.succeeded.append(incident.pk)
    return outcome
