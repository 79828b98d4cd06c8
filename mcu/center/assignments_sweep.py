"""The deadline sweep of protocol assignments: warn, mark breaches, climb the ladder — once each.

Issue 8 item 1: assignments «are swept for deadlines like incidents and escalate the same way».
Celery beat runs ``assignments_sweep_task`` every minute (``mcu/settings.py``). An assignment's
term is a day term: ``due_at`` is 24:00 local of its last day. The executor is warned when the
last day begins (``warn_at`` = ``due_at`` − 1 day), told of the breach when it ends, and the
ladder then climbs a rung a day:

1. the executor (the breach itself);
2. the МЦУ head — organises the meetings and keeps the protocol (Сосновоборский §3.4.3; Ленский
   Прил. 3 п. 2.7);
3. the МЦУ curator — holds the meetings and signs the protocol (Сосновоборский §3.2, §3.4.2;
   Ленский Прил. 3 п. 1.2: «координирует мониторинг и контроль реализации мероприятий»).

Exactly once, with two sweeps at once or a worker killed mid-batch — the same three guards as the
incident sweep (``incidents/services/sweep.py``):
- candidates are picked ``FOR UPDATE SKIP LOCKED`` in batches: a second sweep skips the rows the
  first one holds instead of waiting for them and doing them again;
- the UPDATE repeats the step's condition (``warned_at IS NULL``, ``escalation_level = L`` …) and
  a batch whose UPDATE does not change every picked row is rolled back whole (the guard where
  there are no row locks, e.g. SQLite, or a future caller that forgets them);
- the flags and the notifications of a batch are one transaction; e-mails are queued after it
  commits, so a rolled-back batch sends none.

Each step reads one partial index of ``Assignment`` (``assignment_sweep_*``) holding only the open
rows that step has not dealt with, so a tick costs what is due, not the table.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from incidents.services.common import notify
from mcu.models import Assignment, AssignmentStatus, Municipality
from mcu.tenancy import dangerously_unscoped, municipality_scope
from roles.models import Role, User
from roles.selectors import role_holders

logger = logging.getLogger(__name__)

MAX_LEVEL = 3
# Day terms climb a rung a day, as the incident sweep does for day terms.
ESCALATION_STEP = timedelta(days=1)
RUNG_NAMES: dict[int, str] = {
    1: "исполнитель поручения",
    2: "руководитель МЦУ",
    3: "куратор МЦУ",
}
RUNG_ROLES: dict[int, tuple[Role, ...]] = {2: (Role.HEAD,), 3: (Role.CURATOR,)}
_UNSCOPED_REASON = (
    "assignment sweep: one index scan finds the due assignments of every municipality; "
    "each municipality's rows are then written under its own scope"
)
_FIELDS = ("id", "municipality_id", "executor_id", "text", "due_date", "due_at", "escalation_level")


@dataclass(frozen=True)
class AssignmentSweepResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0


class AssignmentSweepConflict(RuntimeError):
    """A picked row no longer matched its condition at UPDATE time; the batch is rolled back."""


@dataclass(frozen=True)
class _Due:
    id: int
    municipality_id: int
    executor_id: int
    text: str
    due_date: Any
    due_at: datetime
    escalation_level: int


@dataclass
class _Tick:
    now: datetime
    municipalities: dict[int, Municipality] = field(default_factory=dict)
    holders: dict[tuple[int, int], list[User]] = field(default_factory=dict)

    def municipality(self, pk: int) -> Municipality:
        if pk not in self.municipalities:
            self.municipalities[pk] = Municipality.objects.get(pk=pk)
        return self.municipalities[pk]

    def rung(self, municipality: Municipality, level: int, row: _Due) -> list[User]:
        if level == 1:
            return list(User.objects.filter(pk=row.executor_id, is_active=True))
        key = (municipality.pk, level)
        if key not in self.holders:
            self.holders[key] = role_holders(municipality=municipality, roles=RUNG_ROLES[level])
        return self.holders[key]


@dataclass(frozen=True)
class _Step:
    name: str
    candidates: Callable[[datetime], QuerySet[Assignment]]
    order_by: str
    apply: Callable[[_Tick, Municipality, list[_Due]], int]
    until_empty: bool = False


def assignments_sweep_tick(
    *, now: datetime | None = None, batch_size: int = 500
) -> AssignmentSweepResult:
    """Warn, mark breaches, escalate — each due step once. Safe to run concurrently."""
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("assignments_sweep_tick(now=...) needs an aware datetime")
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    tick = _Tick(now=now)
    result = AssignmentSweepResult(
        warned=_drain(_WARN, tick=tick, batch_size=batch_size),
        breached=_drain(_BREACH, tick=tick, batch_size=batch_size),
        # After a breach in this tick (or an outage) the next rung may already be due too.
        escalated=_drain(_ESCALATE, tick=tick, batch_size=batch_size),
    )
    if result != AssignmentSweepResult():
        logger.info(
            "assignment sweep at %s: warned %d, breached %d, escalated %d",
            now.isoformat(),
            result.warned,
            result.breached,
            result.escalated,
        )
    return result


def _drain(step: _Step, *, tick: _Tick, batch_size: int) -> int:
    total = 0
    while True:
        with transaction.atomic():
            rows = _pick(step, now=tick.now, batch_size=batch_size)
            by_municipality: dict[int, list[_Due]] = defaultdict(list)
            for row in rows:
                by_municipality[row.municipality_id].append(row)
            for municipality_id in sorted(by_municipality):
                with municipality_scope(municipality_id):
                    total += step.apply(
                        tick, tick.municipality(municipality_id), by_municipality[municipality_id]
                    )
        if not rows or (len(rows) < batch_size and not step.until_empty):
            return total


def _pick(step: _Step, *, now: datetime, batch_size: int) -> list[_Due]:
    with dangerously_unscoped(reason=_UNSCOPED_REASON):
        picked = (
            step.candidates(now)
            .select_for_update(skip_locked=True)
            .order_by(step.order_by, "pk")
            .values(*_FIELDS)[:batch_size]
        )
        return [_Due(**row) for row in picked]


def _update(queryset: QuerySet[Assignment], ids: list[int], **values: Any) -> None:
    updated = queryset.filter(pk__in=ids).update(**values)
    if updated != len(ids):
        raise AssignmentSweepConflict(
            f"assignment sweep: {updated} of {len(ids)} picked rows still matched"
        )


def _local_term(row: _Due) -> str:
    return f"{row.due_date:%d.%m.%Y} (до 24:00 по местному времени)"


def _tell(
    municipality: Municipality, users: list[User], *, kind: str, title: str, body: str
) -> None:
    notify(municipality=municipality, users=users, kind=kind, title=title, body=body)


# --- steps ------------------------------------------------------------------------------------


def _warn_candidates(now: datetime) -> QuerySet[Assignment]:
    # The predicate of the partial index assignment_sweep_warn.
    return Assignment.objects.filter(
        status=AssignmentStatus.OPEN, warned_at__isnull=True, warn_at__lte=now
    )


def _warn_apply(tick: _Tick, municipality: Municipality, rows: list[_Due]) -> int:
    _update(_warn_candidates(tick.now), [r.id for r in rows], warned_at=tick.now)
    # A term already over (entered late, or a sweep outage) is marked without a warning: the
    # breach notice follows in the same tick and «истекает» would be false.
    live = [r for r in rows if r.due_at > tick.now]
    for row in live:
        _tell(
            municipality,
            tick.rung(municipality, 1, row),
            kind="assignment_warning",
            title=f"Срок поручения истекает {_local_term(row)}",
            body=f"Поручение: {row.text}",
        )
    return len(live)


def _breach_candidates(now: datetime) -> QuerySet[Assignment]:
    # The predicate of the partial index assignment_sweep_breach.
    return Assignment.objects.filter(
        status=AssignmentStatus.OPEN, breached_at__isnull=True, due_at__lte=now
    )


def _breach_apply(tick: _Tick, municipality: Municipality, rows: list[_Due]) -> int:
    # breached_at is the term, not the sweep's minute: the ladder's timing and «просрочено с»
    # must not depend on the sweep's punctuality.
    _update(
        _breach_candidates(tick.now),
        [r.id for r in rows],
        breached_at=F("due_at"),
        escalation_level=1,
        next_escalation_at=F("due_at") + ESCALATION_STEP,
    )
    for row in rows:
        _rung_notice(tick, municipality, row, level=1)
    return len(rows)


def _escalate_candidates(now: datetime) -> QuerySet[Assignment]:
    # The predicate of the partial index assignment_sweep_escalate.
    return Assignment.objects.filter(
        status=AssignmentStatus.OPEN, next_escalation_at__isnull=False, next_escalation_at__lte=now
    )


def _escalate_apply(tick: _Tick, municipality: Municipality, rows: list[_Due]) -> int:
    by_level: dict[int, list[_Due]] = defaultdict(list)
    for row in rows:
        by_level[row.escalation_level].append(row)
    for level, group in by_level.items():
        new_level = min(level + 1, MAX_LEVEL)
        _update(
            # The level in the condition: a row another sweep already moved up is not moved twice.
            _escalate_candidates(tick.now).filter(escalation_level=level),
            [r.id for r in group],
            escalation_level=new_level,
            next_escalation_at=None
            if new_level >= MAX_LEVEL
            else F("next_escalation_at") + ESCALATION_STEP,
        )
        for row in group:
            _rung_notice(tick, municipality, row, level=new_level)
    return len(rows)


def _rung_notice(tick: _Tick, municipality: Municipality, row: _Due, *, level: int) -> None:
    users = tick.rung(municipality, level, row)
    if not users:
        # A rung nobody holds still counts as a step, so the ladder's levels compare.
        logger.warning(
            "assignment %s: nobody holds rung %d (%s) in %s",
            row.id,
            level,
            RUNG_NAMES[level],
            municipality.slug,
        )
        return
    title = (
        f"Просрочено поручение МЦУ (срок {row.due_date:%d.%m.%Y})"
        if level == 1
        else f"Эскалация (уровень {level}): просрочено поручение МЦУ"
    )
    _tell(
        municipality,
        users,
        kind="assignment_breach" if level == 1 else "assignment_escalation",
        title=title,
        body=f"Поручение: {row.text}\nСрок истёк {_local_term(row)}. Вы получили это "
        f"уведомление как {RUNG_NAMES[level]} (уровень эскалации {level} из {MAX_LEVEL}).",
    )


_WARN = _Step("warn", _warn_candidates, "warn_at", _warn_apply)
_BREACH = _Step("breach", _breach_candidates, "due_at", _breach_apply)
_ESCALATE = _Step(
    "escalate", _escalate_candidates, "next_escalation_at", _escalate_apply, until_empty=True
)
