"""Helpers every incident service uses: locking with the version check, the capability check,
the timeline event, and notifications (in-app now, e-mail after commit)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.exceptions import ActorLacksCapability, StaleVersion, WrongMunicipality
from incidents.models import Incident, IncidentEvent, Notification
from incidents.services.clock import clock_sync
from mcu.models import Municipality
from roles.models import User
from roles.permissions import ActorCapabilities, Capability
from roles.selectors import actor_capabilities


def lock_incident(incident: Incident, *, expected_version: int | None) -> Incident:
    """Re-read the row FOR UPDATE and refuse if someone changed it since the caller read it.

    Two people acting at once: the second waits for the first's transaction, then sees a newer
    version and gets a clear conflict instead of silently overwriting (STYLE: no lost updates).
    """
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(
            _("Инцидент уже изменил другой сотрудник. Обновите карточку и повторите действие.")
        )
    return locked


# What the deadline clock is derived from (incidents.services.clock).
CLOCK_FIELDS: frozenset[str] = frozenset({"status", "due_at", "warn_at", "stage_due_at"})


def bump(incident: Incident, fields: Iterable[str]) -> None:
    """Save the changed fields and the next version in one UPDATE.

    Every transition saves through here, so this is where the sweep's ``IncidentClock`` follows
    a changed term or status, in the same transaction (a clock out of step would warn about a
    term that no longer applies). A sector approval changes no field but may meet the ИМ stage
    term, so an empty ``fields`` re-syncs too.
    """
    changed = list(fields)
    incident.version += 1
    incident.save(update_fields=[*changed, "version", "updated_at"])
    if not changed or CLOCK_FIELDS.intersection(changed):
        clock_sync(incident)


def require_capability(
    *,
    actor: User | None,
    incident: Incident,
    capability: Capability,
    capabilities: ActorCapabilities | None = None,
) -> None:
    """``actor=None`` is the system (sweeps, channel callbacks) and is always allowed."""
    if actor is None:
        return
    caps = capabilities or actor_capabilities(user=actor, municipality=incident.municipality)
    if not caps.can_on(capability, sector_id=incident.sector_id, channel=incident.channel):
        raise ActorLacksCapability(
            _("Ваша роль в МЦУ не позволяет выполнить это действие с этим инцидентом.")
        )


def require_same_municipality(incident: Incident, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and getattr(obj, "municipality_id", incident.municipality_id) != (
            incident.municipality_id
        ):
            raise WrongMunicipality(_("Объект относится к другому муниципальному образованию."))


def record_event(
    incident: Incident,
    kind: str,
    *,
    actor: User | None,
    at: datetime | None = None,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> IncidentEvent:
    return IncidentEvent.objects.create(
        municipality_id=incident.municipality_id,
        incident=incident,
        kind=kind,
        actor=actor,
        at=at or timezone.now(),
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data or {},
    )


def notify(
    *,
    municipality: Municipality,
    users: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    incident: Incident | None = None,
    exclude: User | None = None,
) -> list[Notification]:
    """In-app notifications now; the e-mail task runs after the transaction commits."""
    rows = [
        Notification(
            municipality=municipality,
            user=user,
            incident=incident,
            kind=kind,
            title=title,
            body=body,
        )
        for user in {u.pk: u for u in users}.values()
        if exclude is None or user.pk != exclude.pk
    ]
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created]
    municipality_id = municipality.pk

    def send() -> None:
        from incidents.tasks import notifications_email_task

        notifications_email_task.delay(municipality_id=municipality_id, notification_ids=ids)

    transaction.on_commit(send)
    return created
