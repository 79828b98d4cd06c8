"""Who may act on what in the center's pages, beyond a plain capability check.

``roles.permissions`` qualifies only incident and answer capabilities by the seat's block. The
roadmap capabilities need the same qualification — Октябрьский Положение §3.4: a block's curator
approves the roadmap *of the block*; Ленский Прил. 3 п. 3.8: owners draw up roadmaps of *their*
block — so it is worked out here from the seats and ``MATRIX``, never from role names: a seat
whose role grants the capability covers the roadmap's block if the seat names that block or none.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from mcu.models import Municipality
from roles.models import RoleAssignment, User
from roles.permissions import MATRIX, Capability


def _active(day: date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )


def covers_sector(
    *, user: User, municipality: Municipality, capability: Capability, sector_id: int | None
) -> bool:
    """Does one of the user's seats today grant ``capability`` for this block?"""
    if user.is_superuser:
        return True
    roles = [role.value for role, caps in MATRIX.items() if capability in caps]
    seats = RoleAssignment.objects.filter(
        _active(municipality.local_time().date()),
        municipality=municipality,
        user=user,
        role__in=roles,
    )
    if sector_id is None:
        return seats.exists()
    return seats.filter(Q(sector__isnull=True) | Q(sector_id=sector_id)).exists()


def roster_users(*, municipality: Municipality, on: date | None = None) -> QuerySet[User]:
    """People holding a seat in the municipality's roster on the date (default: today local):
    participants, executors and responsible officials are chosen from them."""
    day = on or municipality.local_time().date()
    ids = RoleAssignment.objects.filter(
        _active(day), municipality=municipality, user__isnull=False
    ).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("full_name", "username")
