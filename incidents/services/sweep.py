"""The deadline sweep: warn before the term, mark breaches, climb the escalation ladder.

Issue 3 item 7, DESIGN §5; Celery beat runs ``sweep_task`` every minute. The ladder is
sector owner → sector curator → МЦУ head → curator (rungs 1–4).

Cost. Each step reads one partial index of ``Incident`` (``incident_sweep_warn``,
``incident_sweep_breach``, ``incident_sweep_escalate``) holding exactly the open incidents that
step has not dealt with yet, so a tick costs in proportion to what is due, not to the table
(FACTS.md: ~20 ms for 1 000 breaches this way; a status-only partial index: ~1 s). The candidate
query spans all municipalities — one index scan — and each municipality's rows are then written
under that municipality's own scope.

Exactly once, with two sweeps at once or a worker killed mid-sweep:
- candidates are picked ``FOR UPDATE SKIP LOCKED`` in batches: a second sweep skips the rows the
  first one holds instead of waiting (and skips a row a user is changing right now — the next
  tick gets it);
- the UPDATE repeats the condition (``breached_at IS NULL``, ``escalation_level = L`` …) and a
  batch whose UPDATE does not change every picked row is rolled back whole — the guard for a
  backend without row locks, or a future caller that forgets them;
- the flags, the timeline events and the notifications of a batch are one transaction: a crash
  rolls all of them back and the next tick does the batch again. E-mails are queued after commit,
  so a rolled-back batch sends none.

``Incident.version`` is NOT bumped: the sweep changes fields no user edits (flags, level, next
escalation), and bumping it would fail every open edit form with a stale-version conflict once a
minute. ``updated_at`` IS set — the ЦУР API syncs incrementally by it and must see the new flags.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from incidents.models import OPEN_STATUSES, Incident, IncidentEvent, Notification, SlaPolicy
from incidents.services.intake import OPERATOR_ROLE
from incidents.services.policies import escalation_step
from mcu.models import Municipality
from mcu.tenancy import dangerously_unscoped, municipality_scope
from roles.models import Role, RoleAssignment, User

logger = logging.getLogger(__name__)

MAX_LEVEL = 4
RUNG_NAMES: dict[int, str] = {
    1: "ответственный за отраслевой блок",
    2: "куратор отраслевого блока",
    3: "руководитель МЦУ",
    4: "куратор МЦУ",
}
_UNSCOPED_REASON = (
    "deadline sweep: one index scan finds the due incidents of every municipality; "
    "each municipality's rows are then written under its own scope"
)


@dataclass(frozen=True)
class SweepResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0


class SweepConflict(RuntimeError):
    """A picked row no longer matched its condition at UPDATE time; the batch is rolled back."""


@dataclass(frozen=True)
class _Due:
    """The columns of a candidate row the sweep needs (read with the row lock)."""

    id: int
    municipality_id: int
    channel: str
    sector_id: int | None
    org_unit_id: int | None
    responsible_id: int | None
    sla_policy_id: int | None
    due_at: datetime | None
    escalation_level: int
    next_escalation_at: datetime | None


_DUE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(_Due))


@dataclass(frozen=True)
class _Notice:
    incident_id: int
    users: list[User]
    kind: str
    title: str
    body: str


@dataclass
class _Tick:
    """One tick's instant and what it looks up once per municipality (its roster, its terms)."""

    now: datetime
    locals: dict[int, _Local] = field(default_factory=dict)

    def local(self, municipality_ids: Iterable[int]) -> dict[int, _Local]:
        """The municipalities' contexts, each read under its own scope."""
        missing = [pk for pk in municipality_ids if pk not in self.locals]
        for municipality in Municipality.objects.filter(pk__in=missing):
            with municipality_scope(municipality.pk):
                self.locals[municipality.pk] = _Local(municipality)
        return self.locals


class _Local:
    """One municipality as the sweep needs it: who holds which seat today, and the escalation
    step of each of its policies — two queries per tick, however many incidents are due.

    ``holders`` answers exactly what ``roles.selectors.role_holders`` answers (a seat with no
    sector or no channel covers them all; only active users; a test keeps the two equal), from
    one read of the roster instead of a query per block and rung.
    """

    def __init__(self, municipality: Municipality) -> None:
        self.municipality = municipality
        today = municipality.local_time().date()
        self._seats: list[tuple[str, int | None, str, User]] = [
            (seat.role, seat.sector_id, seat.channel, seat.user)
            for seat in RoleAssignment.objects.active_on(today)
            .filter(municipality=municipality, user__isnull=False, user__is_active=True)
            .select_related("user")
            if seat.user is not None
        ]
        # Responsible persons count only while they hold a role here: one who left, or was never
        # of this municipality, hears nothing — the block's owners do instead.
        self.members: dict[int, User] = {user.pk: user for *_, user in self._seats}
        self.steps: dict[int, timedelta] = {
            policy.pk: escalation_step(policy)
            for policy in SlaPolicy.objects.filter(municipality=municipality)
        }
        self._holders: dict[tuple[tuple[str, ...], int | None, str | None], list[User]] = {}

    def step(self, row: _Due) -> timedelta:
        policy_step = self.steps.get(row.sla_policy_id) if row.sla_policy_id else None
        return policy_step or escalation_step(None)

    def holders(
        self, roles: tuple[str, ...], *, sector_id: int | None = None, channel: str | None = None
    ) -> list[User]:
        key = (roles, sector_id, channel)
        if key not in self._holders:
            users = {
                user.pk: user
                for role, seat_sector, seat_channel, user in self._seats
                if role in roles
                and (sector_id is None or seat_sector in (None, sector_id))
                and (channel is None or seat_channel in ("", channel))
            }
            self._holders[key] = [users[pk] for pk in sorted(users)]
        return self._holders[key]

    def owners(self, row: _Due) -> list[User]:
        """Rung 1 — whoever the incident is on: its responsible person, else those intake told
        about it (the block's owners and executors; for an unrouted one, the channel operator,
        whose job it is to route it)."""
        responsible = self.members.get(row.responsible_id) if row.responsible_id else None
        if responsible is not None:
            return [responsible]
        if row.sector_id is not None:
            return self.holders((Role.SECTOR_OWNER, Role.EXECUTOR), sector_id=row.sector_id)
        if row.org_unit_id is not None:
            return self.holders((Role.EXECUTOR,))
        operator = OPERATOR_ROLE.get(row.channel, Role.HEAD)
        return self.holders((operator,), channel=row.channel)

    def rung(self, level: int, row: _Due) -> list[User]:
        if level == 1:
            return self.owners(row)
        if level == 2:
            # No block, no block curator: an unrouted incident skips to the head on rung 3.
            if row.sector_id is None:
                return []
            return self.holders((Role.SECTOR_CURATOR,), sector_id=row.sector_id)
        if level == 3:
            return self.holders((Role.HEAD,))
        return self.holders((Role.CURATOR,))


# --- the tick ---------------------------------------------------------------------------------


def sweep_tick(*, now: datetime | None = None, batch_size: int = 1000) -> SweepResult:
    """Warn, mark breaches, escalate — each due step once. Safe to run concurrently."""
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("sweep_tick(now=...) needs an aware datetime")
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    tick = _Tick(now=now)
    result = SweepResult(
        warned=_drain(_WARN, tick=tick, batch_size=batch_size),
        breached=_drain(_BREACH, tick=tick, batch_size=batch_size),
        escalated=_drain(_ESCALATE, tick=tick, batch_size=batch_size),
    )
    if result != SweepResult():
        logger.info(
            "deadline sweep at %s: warned %d, breached %d, escalated %d",
            now.isoformat(),
            result.warned,
            result.breached,
            result.escalated,
        )
    return result


@dataclass(frozen=True)
class _Step:
    name: str
    candidates: Callable[[datetime], QuerySet[Incident]]
    order_by: str
    apply: Callable[[_Tick, _Local, list[_Due]], int]


def _drain(step: _Step, *, tick: _Tick, batch_size: int) -> int:
    """Batches until none is left; each batch is one transaction (picked, flagged, recorded)."""
    total = 0
    while True:
        with transaction.atomic():
            rows = _pick(step, now=tick.now, batch_size=batch_size)
            done = 0
            by_municipality: dict[int, list[_Due]] = defaultdict(list)
            for row in rows:
                by_municipality[row.municipality_id].append(row)
            contexts = tick.local(by_municipality)
            for municipality_id in sorted(by_municipality):
                with municipality_scope(municipality_id):
                    done += step.apply(
                        tick, contexts[municipality_id], by_municipality[municipality_id]
                    )
        if not rows:
            return total
        total += done
        # Every picked row has left the step's candidates, or climbed a rung (four at most), so
        # the loop ends. Until empty, not until a short batch: after an outage an incident climbs
        # every rung it is due in one tick, whatever the batch size.


def _pick(step: _Step, *, now: datetime, batch_size: int) -> list[_Due]:
    with dangerously_unscoped(reason=_UNSCOPED_REASON):
        return [_Due(**row) for row in _candidates(step, now=now, batch_size=batch_size)]


def _candidates(step: _Step, *, now: datetime, batch_size: int) -> QuerySet[Incident, Any]:
    """The oldest due rows no other transaction holds; locked until the batch commits."""
    return (
        step.candidates(now)
        .select_for_update(skip_locked=True)
        .order_by(step.order_by)
        .values(*_DUE_FIELDS)[:batch_size]
    )


def _update(queryset: QuerySet[Incident], ids: list[int], **values: Any) -> None:
    """One UPDATE that repeats the step's condition; every picked row must still match."""
    updated = queryset.filter(pk__in=ids).update(**values, updated_at=timezone.now())
    if updated != len(ids):
        raise SweepConflict(f"sweep: {updated} of {len(ids)} picked incidents still matched")


# --- WARN -------------------------------------------------------------------------------------


def _warn_candidates(now: datetime) -> QuerySet[Incident]:
    # Same predicate as the partial index incident_sweep_warn, so the planner can use it.
    return Incident.objects.filter(
        status__in=OPEN_STATUSES, warned_at__isnull=True, warn_at__isnull=False, warn_at__lte=now
    )


def _warn_apply(tick: _Tick, here: _Local, rows: list[_Due]) -> int:
    _update(_warn_candidates(tick.now), [r.id for r in rows], warned_at=tick.now)
    # A row whose term has already run out (an import of old messages, a sweep outage) is marked
    # warned without a warning: «истекает» would be false, and the breach notice follows in the
    # same tick. Marking it keeps it out of the warn index, so that index stays O(due).
    live = [r for r in rows if r.due_at is not None and r.due_at > tick.now]
    record = _Record(here)
    for row in live:
        assert row.due_at is not None  # narrowed by `live`
        due = _local_term(row.due_at, here.municipality)
        users = here.owners(row)
        record.add(
            row,
            IncidentEvent.Kind.WARNING,
            at=tick.now,
            note=f"Срок ответа истекает {due}. {_who(users, 1)}",
            data={"due_at": row.due_at.isoformat(), "notified": [u.pk for u in users]},
            notice=_Notice(
                row.id,
                users,
                "deadline_warning",
                f"Срок ответа по инциденту № {row.id} истекает {due}",
                "Подготовьте и согласуйте ответ заявителю до истечения срока.",
            ),
        )
    record.save()
    return len(live)


# --- BREACH -----------------------------------------------------------------------------------


def _breach_candidates(now: datetime) -> QuerySet[Incident]:
    # Same predicate as the partial index incident_sweep_breach.
    return Incident.objects.filter(
        status__in=OPEN_STATUSES, breached_at__isnull=True, due_at__isnull=False, due_at__lte=now
    )


def _breach_apply(tick: _Tick, here: _Local, rows: list[_Due]) -> int:
    by_step: dict[timedelta, list[int]] = defaultdict(list)
    for row in rows:
        by_step[here.step(row)].append(row.id)
    for step, ids in by_step.items():
        # breached_at is when it became late (the term), not when the sweep noticed: reports of
        # "overdue since" and the ladder's timing must not depend on the sweep's punctuality.
        _update(
            _breach_candidates(tick.now),
            ids,
            breached_at=F("due_at"),
            escalation_level=1,
            next_escalation_at=F("due_at") + step,
        )
    record = _Record(here)
    for row in rows:
        record.rung(row, level=1, at=tick.now)
    record.save()
    return len(rows)


# --- ESCALATE ---------------------------------------------------------------------------------


def _escalate_candidates(now: datetime) -> QuerySet[Incident]:
    # Same predicate as the partial index incident_sweep_escalate.
    return Incident.objects.filter(
        status__in=OPEN_STATUSES, next_escalation_at__isnull=False, next_escalation_at__lte=now
    )


def _escalate_apply(tick: _Tick, here: _Local, rows: list[_Due]) -> int:
    groups: dict[tuple[int, timedelta], list[_Due]] = defaultdict(list)
    for row in rows:
        groups[(row.escalation_level, here.step(row))].append(row)
    record = _Record(here)
    for (level, step), group in groups.items():
        new_level = min(level + 1, MAX_LEVEL)
        _update(
            # The level in the condition: a row another sweep already moved up is not moved twice.
            _escalate_candidates(tick.now).filter(escalation_level=level),
            [r.id for r in group],
            escalation_level=new_level,
            next_escalation_at=None if new_level >= MAX_LEVEL else F("next_escalation_at") + step,
        )
        for row in group:
            record.rung(row, level=new_level, at=tick.now)
    record.save()
    return len(rows)


# --- events and notifications -----------------------------------------------------------------


class _Record:
    """A batch's timeline events and notifications in one municipality: one INSERT each.

    The rows are those ``common.record_event`` (actor None: the system) and ``common.notify``
    write; built here in bulk, because one statement per incident is a statement per row of a
    morning with a thousand breaches.
    """

    def __init__(self, here: _Local) -> None:
        self.here = here
        self.events: list[IncidentEvent] = []
        self.notices: list[_Notice] = []

    def add(
        self,
        row: _Due,
        kind: str,
        *,
        at: datetime,
        note: str,
        data: dict[str, Any],
        notice: _Notice,
    ) -> None:
        self.events.append(
            IncidentEvent(
                municipality=self.here.municipality,
                incident_id=row.id,
                kind=kind,
                actor=None,
                at=at,
                note=note,
                data=data,
            )
        )
        self.notices.append(notice)

    def rung(self, row: _Due, *, level: int, at: datetime) -> None:
        """Reaching ``level``. A rung nobody holds (Ленский has no sector curators) still counts
        as a step, so levels compare across municipalities; the event says nobody was told."""
        assert row.due_at is not None  # both candidate queries require a term
        users = self.here.rung(level, row)
        due = _local_term(row.due_at, self.here.municipality)
        self.add(
            row,
            IncidentEvent.Kind.BREACH if level == 1 else IncidentEvent.Kind.ESCALATION,
            at=at,
            note=f"Срок ответа истёк {due}. Уровень эскалации {level} из {MAX_LEVEL}: "
            f"{RUNG_NAMES[level]}. {_who(users, level)}",
            data={
                "level": level,
                "rung": RUNG_NAMES[level],
                "due_at": row.due_at.isoformat(),
                "notified": [u.pk for u in users],
            },
            notice=_Notice(
                row.id,
                users,
                "deadline_breach" if level == 1 else "deadline_escalation",
                f"Просрочен ответ по инциденту № {row.id}"
                if level == 1
                else f"Эскалация (уровень {level}): просрочен ответ по инциденту № {row.id}",
                f"Срок ответа истёк {due}. Вы получили это уведомление как "
                f"{RUNG_NAMES[level]} (уровень эскалации {level} из {MAX_LEVEL}).",
            ),
        )

    def save(self) -> None:
        IncidentEvent.objects.bulk_create(self.events)
        _notify_many(municipality=self.here.municipality, notices=self.notices)


def _notify_many(*, municipality: Municipality, notices: list[_Notice]) -> list[Notification]:
    """``common.notify`` for a whole batch: one INSERT and one e-mail task per municipality,
    instead of one of each per incident (a morning with 1 000 breaches is 1 000 of each)."""
    rows = [
        Notification(
            municipality=municipality,
            user=user,
            incident_id=notice.incident_id,
            kind=notice.kind,
            title=notice.title,
            body=notice.body,
        )
        for notice in notices
        for user in {u.pk: u for u in notice.users}.values()
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


def _who(users: list[User], level: int) -> str:
    if not users:
        return f"Уведомить некого: в составе МЦУ нет ({RUNG_NAMES[level]})."
    return "Уведомлены: " + ", ".join(u.display_name for u in users) + "."


def _local_term(instant: datetime, municipality: Municipality) -> str:
    """The term in the municipality's local time. A day term ends at 24:00 of its last day
    (ГК РФ ст. 194; deadlines.py stores it as the next local midnight): say so, not «00:00»."""
    local = municipality.local_time(instant)
    offset = local.utcoffset() or timedelta()
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    zone = f"UTC{hours:+d}" + (f":{rest // 60:02d}" if rest else "")
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        day = (local - timedelta(days=1)).strftime("%d.%m.%Y")
        return f"{day} в 24:00 по местному времени ({zone})"
    return f"{local:%d.%m.%Y} в {local:%H:%M} по местному времени ({zone})"


_WARN = _Step("warn", _warn_candidates, "warn_at", _warn_apply)
_BREACH = _Step("breach", _breach_candidates, "due_at", _breach_apply)
_ESCALATE = _Step("escalate", _escalate_candidates, "next_escalation_at", _escalate_apply)
