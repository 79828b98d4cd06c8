"""«Мои задачи» (issue 5 item 2): what needs *this* user's action now, given their seats.

Each seat (an active role assignment) contributes the work its role exists for, qualified by
the seat's sector block / channel / unit exactly as the permission matrix qualifies it:

- a channel operator: new messages of the channel to route; approved answers to publish;
- a sector owner / executor: the block's (or the unit's, or their own) incidents in work;
- a sector curator: the block's answers waiting for the curator's approval;
- the МЦУ head: social-network answers waiting for the head's approval, the sector-stage
  approvals of blocks that have no curator of their own, and everything overdue.

One query (an OR of the seats' conditions) sorted by time left — overdue first, then the
nearest deadline; the reason each row is here is worked out from the same row's fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import OPEN_STATUSES, Answer, Incident, Status
from incidents.services.intake import SOCIAL_CHANNELS
from mcu.models import Municipality
from roles.models import Role, RoleAssignment, User
from roles.permissions import ROLE_CHANNEL, Capability, Grant
from roles.permissions import ActorCapabilities as Caps

LIMIT = 100  # the most urgent; the list has the rest
OPERATOR_ROLES = frozenset(
    {
        Role.IM_OPERATOR,
        Role.POS_OPERATOR,
        Role.APPEALS_OFFICER,
        Role.GOSPUBLIC_OFFICER,
        Role.EDDS_HEAD,
        Role.SED_CURATOR,
    }
)
ANSWERING_ROLES = frozenset({Role.SECTOR_OWNER, Role.EXECUTOR, Role.EDDS_HEAD})
IN_WORK = (Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED, Status.POSTPONED)

REASONS = {
    "route": _("Распределить"),
    "publish": _("Опубликовать ответ"),
    "answer": _("Подготовить ответ"),
    "approve_sector": _("Согласовать ответ"),
    "approve_head": _("Утвердить ответ"),
    "overdue": _("Просрочено"),
}


@dataclass(frozen=True)
class Task:
    incident: Incident
    reason: str  # a key of REASONS
    overdue: bool
    seconds_left: int | None

    @property
    def reason_label(self) -> str:
        return str(REASONS[self.reason])


def _any(parts: list[Q]) -> Q | None:
    """OR of the parts; None when there are none (the seat gives no such work)."""
    if not parts:
        return None
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return q


def _grants_q(grants: set[Grant]) -> Q | None:
    """Incidents any of these grants covers (a grant without a qualifier covers them all)."""
    parts = []
    for grant in grants:
        part = Q()
        if grant.sector_id is not None:
            part &= Q(sector_id=grant.sector_id)
        if grant.channel is not None:
            part &= Q(channel=grant.channel)
        parts.append(part)
    return _any(parts)


def _seat_grants(seat: RoleAssignment, capability: Capability) -> set[Grant]:
    caps = Caps.from_assignments([(seat.role, seat.sector_id, seat.channel)])
    return {g for g in caps.grants if g.capability == capability}


def my_tasks(
    *, municipality: Municipality, user: User, now: datetime | None = None, limit: int = LIMIT
) -> list[Task]:
    now = now or timezone.now()
    today = municipality.local_time(now).date()
    seats = list(
        RoleAssignment.objects.active_on(today).filter(municipality=municipality, user=user)
    )
    if not seats:
        return []
    roles = {Role(seat.role) for seat in seats}
    sector_pending = Exists(
        Answer.objects.filter(
            incident=OuterRef("pk"),
            is_interim=False,
            state=Answer.State.ON_APPROVAL,
            sector_approved_at__isnull=True,
        )
    )
    head_pending = Exists(
        Answer.objects.filter(
            incident=OuterRef("pk"),
            is_interim=False,
            state=Answer.State.ON_APPROVAL,
            sector_approved_at__isnull=False,
            head_approved_at__isnull=True,
        )
    )

    route: set[Grant] = set()
    publish: set[Grant] = set()
    answer: list[Q] = []
    approve_sector: list[Q] = []
    for seat in seats:
        role = Role(seat.role)
        if role in OPERATOR_ROLES:
            route |= _seat_grants(seat, Capability.INCIDENT_TRIAGE)
            publish |= _seat_grants(seat, Capability.ANSWER_PUBLISH)
        if role == Role.SECTOR_OWNER:
            publish |= _seat_grants(seat, Capability.ANSWER_PUBLISH)
        if role in ANSWERING_ROLES:
            mine = Q(responsible=user)
            if seat.sector_id is not None:
                mine |= Q(sector_id=seat.sector_id)
            if seat.org_unit_id is not None:
                mine |= Q(org_unit_id=seat.org_unit_id)
            channel = seat.channel or ROLE_CHANNEL.get(role)
            if role == Role.EDDS_HEAD and channel:
                mine |= Q(channel=channel)
            answer.append(mine)
        if role == Role.SECTOR_CURATOR:
            approve_sector.append(Q(sector_id=seat.sector_id) if seat.sector_id else Q())

    # Priority order: the first matching kind names the row.
    conditions: dict[str, Q | None] = {
        "route": _and(Q(status=Status.NEW), _grants_q(route)),
        "publish": _and(Q(status=Status.APPROVED), _grants_q(publish)),
        "approve_head": None,
        "approve_sector": _and(
            Q(status=Status.ON_APPROVAL, sector_pending=True), _any(approve_sector)
        ),
        "answer": _and(Q(status__in=IN_WORK), _any(answer)),
        "overdue": None,
    }
    if Role.HEAD in roles:
        curated = RoleAssignment.objects.active_on(today).filter(
            municipality=municipality, role=Role.SECTOR_CURATOR, user__isnull=False
        )
        conditions["approve_head"] = Q(
            status=Status.ON_APPROVAL, head_pending=True, channel__in=SOCIAL_CHANNELS
        ) | (
            Q(status=Status.ON_APPROVAL, sector_pending=True)
            & ~Q(sector_id__in=curated.exclude(sector__isnull=True).values("sector_id"))
        )
        conditions["overdue"] = Q(status__in=OPEN_STATUSES, due_at__lte=now)

    live = {kind: q for kind, q in conditions.items() if q is not None}
    where = _any(list(live.values()))
    if where is None:
        return []
    rows = (
        # Every kind of task is on an open incident: this walks the open incidents in term order
        # (partial index incident_mun_open_due) and stops at the limit.
        Incident.objects.filter(municipality=municipality, status__in=OPEN_STATUSES)
        .annotate(sector_pending=sector_pending, head_pending=head_pending)
        .annotate(
            **{
                f"task_{kind}": ExpressionWrapper(q, output_field=BooleanField())
                for kind, q in live.items()
            }
        )
        .filter(where)
        .select_related("topic", "sector", "responsible")
        .order_by(F("due_at").asc(nulls_last=True), "pk")[:limit]
    )
    tasks = []
    for incident in rows:
        reason = next(kind for kind in live if getattr(incident, f"task_{kind}"))
        is_open = incident.status in OPEN_STATUSES
        left = int((incident.due_at - now).total_seconds()) if is_open and incident.due_at else None
        tasks.append(Task(incident, reason, left is not None and left <= 0, left))
    return tasks


def _and(a: Q, b: Q | None) -> Q | None:
    return None if b is None else a & b
