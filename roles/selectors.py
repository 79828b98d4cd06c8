"""Reads about people and roles."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from mcu.models import Municipality
from mcu.tenancy import dangerously_unscoped
from roles.models import RegionMembership, Role, RoleAssignment, User
from roles.permissions import MATRIX, NO_CAPABILITIES, ActorCapabilities, Capability


def _active_on(day: date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )


def municipality_ids_for_user(user: User | AnonymousUser) -> frozenset[int] | None:
    """Municipalities the user may enter; ``None`` means all (a superuser).

    Called by the scope middleware before any scope exists, so it reads the user's *own*
    memberships across tenants through the escape hatch. Assignments are judged by today's UTC
    date: a day's difference at the edge of a term does not open another tenant's data.
    """
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return None
    today = timezone.now().date()
    with dangerously_unscoped(reason="resolve the signed-in user's own memberships"):
        own = set(
            RoleAssignment.objects.filter(_active_on(today), user_id=user.pk).values_list(
                "municipality_id", flat=True
            )
        )
    regional = Municipality.objects.filter(
        region__memberships__in=RegionMembership.objects.filter(_active_on(today), user_id=user.pk)
    ).values_list("id", flat=True)
    return frozenset(own | set(regional))


def actor_capabilities(
    *, user: User | AnonymousUser, municipality: Municipality
) -> ActorCapabilities:
    """The user's capabilities in this municipality today (its local date)."""
    if not user.is_authenticated or not user.is_active:
        return NO_CAPABILITIES
    if user.is_superuser:
        return ActorCapabilities(frozenset(), frozenset(), is_superuser=True)
    today = municipality.local_time().date()
    rows: list[tuple[str, int | None, str]] = list(
        RoleAssignment.objects.filter(
            _active_on(today), municipality=municipality, user_id=user.pk
        ).values_list("role", "sector_id", "channel")
    )
    if RegionMembership.objects.filter(
        _active_on(today), user_id=user.pk, region_id=municipality.region_id
    ).exists():
        rows.append((Role.REGIONAL_ANALYST.value, None, ""))
    return ActorCapabilities.from_assignments(rows)


@dataclass(frozen=True)
class Roster:
    current: list[RoleAssignment]
    history: list[RoleAssignment]


def roster_for_municipality(*, municipality: Municipality, on: date | None = None) -> Roster:
    """The «Состав МЦУ» on a date (default: today local), laid out in the act's order."""
    day = on or municipality.local_time().date()
    base: QuerySet[RoleAssignment] = RoleAssignment.objects.filter(
        municipality=municipality
    ).select_related("user", "sector", "org_unit")
    role_order = {role.value: index for index, role in enumerate(Role)}

    def sort_key(row: RoleAssignment) -> tuple[int, int, int, int]:
        return (
            row.source == RoleAssignment.Source.DEMO,
            role_order.get(row.role, 99),
            row.sector.order if row.sector else -1,
            row.pk,
        )

    current = sorted(base.filter(_active_on(day)), key=sort_key)
    history = list(base.exclude(_active_on(day)).order_by("-valid_to", "-pk"))
    return Roster(current=current, history=history)


def municipality_ids_with_capability(
    *, user: User | AnonymousUser, capability: Capability
) -> frozenset[int] | None:
    """Municipalities where the user holds a role granting ``capability``; ``None``: all."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return None
    roles = [role.value for role, caps in MATRIX.items() if capability in caps]
    today = timezone.now().date()
    with dangerously_unscoped(reason="resolve the signed-in user's own administrative roles"):
        return frozenset(
            RoleAssignment.objects.filter(_active_on(today), user_id=user.pk, role__in=roles)
            .values_list("municipality_id", flat=True)
            .distinct()
        )


def role_holders(
    *,
    municipality: Municipality,
    roles: Iterable[Role | str],
    sector_id: int | None = None,
    channel: str | None = None,
) -> list[User]:
    """Active users holding one of ``roles`` today, for this sector / channel where given.

    An assignment with no sector (or channel) covers them all: Октябрьский's sector curators
    are a group with no block named, so they hear about every block.
    """
    today = municipality.local_time().date()
    rows = RoleAssignment.objects.filter(
        _active_on(today),
        municipality=municipality,
        role__in=[str(role) for role in roles],
        user__isnull=False,
        user__is_active=True,
    )
    if sector_id is not None:
        rows = rows.filter(Q(sector_id__isnull=True) | Q(sector_id=sector_id))
    if channel is not None:
        rows = rows.filter(Q(channel="") | Q(channel=channel))
    user_ids = rows.values_list("user_id", flat=True).distinct()
    return list(User.objects.filter(pk__in=user_ids).order_by("pk"))


class RoleSeats:
    """Who holds which seat today in one municipality, read once: ``holders`` answers what
    ``role_holders`` answers for any roles, sector and channel without a query (a seat with no
    sector or no channel covers them all; only active users).

    For code that asks many such questions at once: the batch intake (one per block and channel
    of a batch, ~4 ms each against the roster's one read) and the deadline sweep (one per block
    and rung of a tick). Tests keep it equal to ``role_holders``.
    """

    def __init__(self, *, municipality: Municipality) -> None:
        today = municipality.local_time().date()
        self._seats: list[tuple[str, int | None, str, User]] = [
            (seat.role, seat.sector_id, seat.channel, seat.user)
            for seat in RoleAssignment.objects.filter(
                _active_on(today),
                municipality=municipality,
                user__isnull=False,
                user__is_active=True,
            ).select_related("user")
            if seat.user is not None
        ]
        # Everyone seated here today: a responsible person counts only while they are.
        self.members: dict[int, User] = {user.pk: user for *_, user in self._seats}
        self._holders: dict[tuple[frozenset[str], int | None, str | None], list[User]] = {}

    def holders(
        self,
        roles: Iterable[Role | str],
        *,
        sector_id: int | None = None,
        channel: str | None = None,
    ) -> list[User]:
        wanted = frozenset(str(role) for role in roles)
        key = (wanted, sector_id, channel)
        if key not in self._holders:
            users = {
                user.pk: user
                for role, seat_sector, seat_channel, user in self._seats
                if role in wanted
                and (sector_id is None or seat_sector in (None, sector_id))
                and (channel is None or seat_channel in ("", channel))
            }
            self._holders[key] = [users[pk] for pk in sorted(users)]
        return self._holders[key]

    def holder_ids(
        self,
        roles: Iterable[Role | str],
        *,
        sector_id: int | None = None,
        channel: str | None = None,
    ) -> list[int]:
        return [user.pk for user in self.holders(roles, sector_id=sector_id, channel=channel)]
