"""The deadline sweep: warn before the term, mark breaches, climb the escalation ladder.

Issue 3 item 7, DESIGN §5; Celery beat runs ``sweep_task`` every minute. The ladder is
sector owner → sector curator → МЦУ head → curator (rungs 1–4). The stage terms (Регламент
§2.5: the agreed answer to the ИМ operator within 3 hours; 59-ФЗ ст. 8 ч. 3: forwarding within
7 days) are warned about and flagged once, and never climb a ladder of their own: the answer's
term does the escalating, so nobody is escalated to twice for one late incident.

What it reads and writes: ``IncidentClock`` only — a narrow 1:1 row holding the terms and the
sweep's state — never the wide ``Incident`` row. Flagging 1 000 breaches on ``Incident`` meant
rewriting 1 000 rows of ~1.1 KB and all 11 of their indexes (the flags were in partial-index
predicates, so no HOT update), whose WAL also made the COMMIT slow: ~100 ms in the database
against issue 3's 30 ms (bench/sweep.py). ``Incident.updated_at`` is not touched either: a
breach is no edit of the incident, and every reader computes "overdue" from ``due_at`` at read
time (``status in OPEN_STATUSES and due_at < now``), so nothing needs to see the row change.
``Incident.version`` is not bumped, for the same reason and because bumping it would fail every
open edit form with a stale-version conflict once a minute.

Cost. Each step reads one partial index of ``IncidentClock`` (``clock_sweep_warn``,
``clock_sweep_breach``, ``clock_sweep_escalate``, ``clock_sweep_stage_warn``,
``clock_sweep_stage_breach``) holding exactly the open clocks that step has not dealt with yet,
so a tick costs in proportion to what is due, not to the table (FACTS.md: a status-only partial
index is slower than none). A tick first probes all five in one statement, outside any
transaction, and drains only the steps that have something due: a quiet minute is that one
statement (~0.2 ms). The candidate query spans all municipalities — one index scan — and each
municipality's rows are then written under that municipality's own scope.

Exactly once, with two sweeps at once or a worker killed mid-sweep:
- candidates are picked ``FOR NO KEY UPDATE … SKIP LOCKED`` in batches, the clock row and its
  incident's row both: a second sweep skips the rows the first one holds instead of waiting,
  and a row a user is changing right now (``lock_incident`` holds the incident ``FOR UPDATE``)
  is skipped — the next tick gets it. Locking the incident at pick time, not only the clock,
  also keeps the lock order one-way: the batch's event and notification rows take a key-share
  lock on their incident (the foreign-key check), which would otherwise wait for a user who in
  turn waits for this clock row (``clocks_sync``) — a deadlock;
- the UPDATE repeats the condition (``breached_at IS NULL``, ``escalation_level = L`` …) and a
  batch whose UPDATE does not change every picked row is rolled back whole — the guard for a
  backend without row locks, or a future caller that forgets them;
- the flags, the timeline events and the notifications of a batch are one transaction: a crash
  rolls all of them back and the next tick does the batch again. E-mails are queued after commit,
  so a rolled-back batch sends none.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from incidents.models import IncidentClock, IncidentEvent, Notification, SlaPolicy
from incidents.services.bulk import insert_many
from incidents.services.clock import stage_of
from incidents.services.intake import OPERATOR_ROLE
from incidents.services.policies import escalation_step
from mcu.models import Municipality
from mcu.tenancy import dangerously_unscoped, municipality_scope
from roles.models import Role, User
from roles.selectors import RoleSeats

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
    stage_warned: int = 0
    stage_breached: int = 0


class SweepConflict(RuntimeError):
    """A picked row no longer matched its condition at UPDATE time; the batch is rolled back."""


@dataclass(frozen=True)
class _Due:
    """The columns of a candidate the sweep needs: its clock's, and its incident's routing
    (read with the row locks)."""

    id: int
    municipality_id: int
    channel: str
    kind: str
    sector_id: int | None
    org_unit_id: int | None
    responsible_id: int | None
    sla_policy_id: int | None
    due_at: datetime | None
    escalation_level: int
    next_escalation_at: datetime | None
    stage_due_at: datetime | None


# _Due's fields → the candidate query's values() lookups (clock columns, then the incident's).
_DUE_LOOKUPS: dict[str, str] = {
    "id": "incident_id",
    "municipality_id": "municipality_id",
    "channel": "incident__channel",
    "kind": "incident__kind",
    "sector_id": "incident__sector_id",
    "org_unit_id": "incident__org_unit_id",
    "responsible_id": "incident__responsible_id",
    "sla_policy_id": "incident__sla_policy_id",
    "due_at": "due_at",
    "escalation_level": "escalation_level",
    "next_escalation_at": "next_escalation_at",
    "stage_due_at": "stage_due_at",
}
assert set(_DUE_LOOKUPS) == {f.name for f in fields(_Due)}


@dataclass(frozen=True)
class _Notice:
    """One incident's notice. Alone it is ``title`` and ``body``; several of one kind and
    ``reason`` to one person in a batch become one notification (``_notify_many``) whose body
    is the ``reason`` and each incident's ``line``."""

    incident_id: int
    users: list[User]
    kind: str
    title: str
    body: str
    reason: str
    line: str


# Titles of a notification about several incidents, by kind; {n} and {noun} are the count and
# «инциденту»/«инцидентам» in the dative case it takes.
_GROUP_TITLES = {
    "deadline_warning": "Истекают сроки ответа по {n} {noun}",
    "deadline_breach": "Просрочены ответы по {n} {noun}",
    "deadline_escalation": "Эскалация: просрочены ответы по {n} {noun}",
    "deadline_stage_warning": "Истекают сроки этапа по {n} {noun}",
    "deadline_stage_breach": "Истекли сроки этапа по {n} {noun}",
}
GROUP_LINES = 50  # incidents listed in one notification's body; the rest are counted


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
    """One municipality as the sweep needs it: who holds which seat today (``RoleSeats``, one
    read of the roster instead of a query per block and rung) and the escalation step of each
    of its policies — two queries per tick, however many incidents are due."""

    def __init__(self, municipality: Municipality) -> None:
        self.municipality = municipality
        self.seats = RoleSeats(municipality=municipality)
        # Responsible persons count only while they hold a role here: one who left, or was never
        # of this municipality, hears nothing — the block's owners do instead.
        self.members: dict[int, User] = self.seats.members
        self.steps: dict[int, timedelta] = {
            policy.pk: escalation_step(policy)
            for policy in SlaPolicy.objects.filter(municipality=municipality)
        }

    def step(self, row: _Due) -> timedelta:
        policy_step = self.steps.get(row.sla_policy_id) if row.sla_policy_id else None
        return policy_step or escalation_step(None)

    def holders(
        self, roles: tuple[str, ...], *, sector_id: int | None = None, channel: str | None = None
    ) -> list[User]:
        return self.seats.holders(roles, sector_id=sector_id, channel=channel)

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
    due = _due_steps(now)

    def drain(step: _Step) -> int:
        return _drain(step, tick=tick, batch_size=batch_size) if step.name in due else 0

    warned = drain(_WARN)
    breached = drain(_BREACH)
    if breached:
        # A breach sets the first rung's time from the term: after an outage it is already
        # due, and this tick climbs it too.
        due.add(_ESCALATE.name)
    result = SweepResult(
        warned=warned,
        breached=breached,
        escalated=drain(_ESCALATE),
        stage_warned=drain(_STAGE_WARN),
        stage_breached=drain(_STAGE_BREACH),
    )
    if result != SweepResult():
        logger.info(
            "deadline sweep at %s: warned %d, breached %d, escalated %d; stage terms: "
            "warned %d, breached %d",
            now.isoformat(),
            result.warned,
            result.breached,
            result.escalated,
            result.stage_warned,
            result.stage_breached,
        )
    return result


@dataclass(frozen=True)
class _Step:
    name: str
    candidates: Callable[[datetime], QuerySet[IncidentClock]]
    order_by: str
    apply: Callable[[_Tick, _Local, list[_Due]], int]
    # A picked row can be due again in the same tick (the ladder: the next rung may be past
    # too, after an outage), so a short batch does not mean the step is done.
    until_empty: bool = False


def _due_steps(now: datetime) -> set[str]:
    """The steps with anything due, in one round trip: a probe of each partial index.

    Read without locks and outside a transaction: a quiet minute — most of them — costs one
    statement instead of a transaction per step. A row another sweep holds still counts here;
    the step's own locked pick then skips it.
    """
    sql, params = _probe_sql(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        flags = cursor.fetchone()
    return {step.name for step, flag in zip(STEPS, flags, strict=True) if flag}


def _probe_sql(now: datetime) -> tuple[str, list[Any]]:
    parts: list[str] = []
    params: list[Any] = []
    with dangerously_unscoped(reason=_UNSCOPED_REASON):
        for step in STEPS:
            # A scalar subquery ordered by the index key, as the pick is — not EXISTS: PostgreSQL
            # drops the ORDER BY of an EXISTS and bets on a sequential scan finding a row early,
            # which reads the whole table when nothing is due (bench/sweep.py: 150 ms, not 0.1).
            probe = step.candidates(now).order_by(step.order_by).values("pk")[:1]
            sql, probe_params = probe.query.sql_with_params()
            parts.append(f"({sql}) IS NOT NULL")
            params.extend(probe_params)
    # Django's own compiled SQL with bound parameters; nothing interpolated from input.
    return "SELECT " + ", ".join(parts), params


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
        total += done
        if not rows or (len(rows) < batch_size and not step.until_empty):
            return total
        # Every picked row has left the step's candidates, or climbed a rung (four at most), so
        # the loop ends. The ladder runs until empty, not until a short batch: after an outage
        # an incident climbs every rung it is due in one tick, whatever the batch size.


def _pick(step: _Step, *, now: datetime, batch_size: int) -> list[_Due]:
    with dangerously_unscoped(reason=_UNSCOPED_REASON):
        return [
            _Due(**{name: row[lookup] for name, lookup in _DUE_LOOKUPS.items()})
            for row in _candidates(step, now=now, batch_size=batch_size)
        ]


def _candidates(step: _Step, *, now: datetime, batch_size: int) -> QuerySet[IncidentClock, Any]:
    """The oldest due rows no other transaction holds; locked until the batch commits.

    ``FOR NO KEY UPDATE`` with no ``OF``: PostgreSQL locks the row of every table in the
    query, the clock and its joined incident (see the module docstring for why both). Strong
    enough to exclude another sweep and a user's ``FOR UPDATE``, yet other transactions may
    still insert rows that reference the incident (their key-share foreign-key checks do not
    conflict with it, as they would with ``FOR UPDATE``).
    """
    return (
        step.candidates(now)
        .select_for_update(skip_locked=True, no_key=True)
        # The incident breaks ties (52 incidents made in one minute run out together): the
        # notices list them, and the batches take them, in one order, not the heap's.
        .order_by(step.order_by, "incident_id")
        .values(*_DUE_LOOKUPS.values())[:batch_size]
    )


def _update(queryset: QuerySet[IncidentClock], ids: list[int], **values: Any) -> None:
    """One UPDATE that repeats the step's condition; every picked row must still match."""
    updated = queryset.filter(incident_id__in=ids).update(**values)
    if updated != len(ids):
        raise SweepConflict(f"sweep: {updated} of {len(ids)} picked clocks still matched")


# --- WARN -------------------------------------------------------------------------------------


def _warn_candidates(now: datetime) -> QuerySet[IncidentClock]:
    # Same predicate as the partial index clock_sweep_warn, so the planner can use it.
    return IncidentClock.objects.filter(
        is_open=True, warned_at__isnull=True, warn_at__isnull=False, warn_at__lte=now
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
                reason="Подготовьте и согласуйте ответы заявителям до истечения сроков.",
                line=f"№ {row.id}: срок ответа истекает {due}",
            ),
        )
    record.save()
    return len(live)


# --- BREACH -----------------------------------------------------------------------------------


def _breach_candidates(now: datetime) -> QuerySet[IncidentClock]:
    # Same predicate as the partial index clock_sweep_breach.
    return IncidentClock.objects.filter(
        is_open=True, breached_at__isnull=True, due_at__isnull=False, due_at__lte=now
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


def _escalate_candidates(now: datetime) -> QuerySet[IncidentClock]:
    # Same predicate as the partial index clock_sweep_escalate.
    return IncidentClock.objects.filter(
        is_open=True, next_escalation_at__isnull=False, next_escalation_at__lte=now
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


# --- STAGE TERMS ------------------------------------------------------------------------------

_STAGE_NAMES: dict[str, str] = {
    SlaPolicy.Stage.AGREED_TO_OPERATOR: "Срок передачи согласованного ответа оператору",
    SlaPolicy.Stage.FORWARDING: "Срок переадресации обращения по компетенции (59-ФЗ ст. 8 ч. 3)",
}


def _stage_warn_candidates(now: datetime) -> QuerySet[IncidentClock]:
    # Same predicate as the partial index clock_sweep_stage_warn.
    return IncidentClock.objects.filter(
        stage_open=True,
        stage_warned_at__isnull=True,
        stage_warn_at__isnull=False,
        stage_warn_at__lte=now,
    )


def _stage_warn_apply(tick: _Tick, here: _Local, rows: list[_Due]) -> int:
    _update(_stage_warn_candidates(tick.now), [r.id for r in rows], stage_warned_at=tick.now)
    # As for the answer's term: a stage term already over gets its breach notice, no warning.
    live = [r for r in rows if r.stage_due_at is not None and r.stage_due_at > tick.now]
    record = _Record(here)
    for row in live:
        record.stage(row, IncidentEvent.Kind.WARNING, at=tick.now)
    record.save()
    return len(live)


def _stage_breach_candidates(now: datetime) -> QuerySet[IncidentClock]:
    # Same predicate as the partial index clock_sweep_stage_breach.
    return IncidentClock.objects.filter(
        stage_open=True,
        stage_breached_at__isnull=True,
        stage_due_at__isnull=False,
        stage_due_at__lte=now,
    )


def _stage_breach_apply(tick: _Tick, here: _Local, rows: list[_Due]) -> int:
    # Flagged at the term, as the answer's breach is; no rung, no next escalation: the stage
    # only tells whoever the incident is on.
    _update(
        _stage_breach_candidates(tick.now),
        [r.id for r in rows],
        stage_breached_at=F("stage_due_at"),
    )
    record = _Record(here)
    for row in rows:
        record.stage(row, IncidentEvent.Kind.BREACH, at=tick.now)
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
        reason = (
            f"Вы получили это уведомление как {RUNG_NAMES[level]} "
            f"(уровень эскалации {level} из {MAX_LEVEL})."
        )
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
                f"Срок ответа истёк {due}. {reason}",
                reason=reason,
                line=f"№ {row.id}: срок ответа истёк {due}",
            ),
        )

    def stage(self, row: _Due, kind: str, *, at: datetime) -> None:
        """A stage term's warning or breach: rung 1 only, and no level (it climbs nothing)."""
        assert row.stage_due_at is not None  # both stage candidate queries require a term
        stage = stage_of(channel=row.channel, kind=row.kind) or ""
        name = _STAGE_NAMES.get(stage, "Срок этапа")
        users = self.here.owners(row)
        due = _local_term(row.stage_due_at, self.here.municipality)
        breach = kind == IncidentEvent.Kind.BREACH
        verb = "истёк" if breach else "истекает"
        hint = (
            "Ответ должен быть согласован и передан оператору канала."
            if stage == SlaPolicy.Stage.AGREED_TO_OPERATOR
            else "Если вопрос не в компетенции МЦУ, обращение нужно переадресовать."
        )
        self.add(
            row,
            kind,
            at=at,
            note=f"{name} {verb} {due}. {_who(users, 1)}",
            data={
                "stage": stage,
                "stage_due_at": row.stage_due_at.isoformat(),
                "notified": [u.pk for u in users],
            },
            notice=_Notice(
                row.id,
                users,
                "deadline_stage_breach" if breach else "deadline_stage_warning",
                f"{name} по инциденту № {row.id} {verb} {due}",
                hint,
                reason=hint,
                line=f"№ {row.id}: {name[0].lower()}{name[1:]} {verb} {due}",
            ),
        )

    def save(self) -> None:
        # COPY (``insert_many``): a 1 000-row INSERT … VALUES costs the server a parse and plan
        # of 9 000 parameters and the client their binding, COPY only the rows.
        insert_many(IncidentEvent, self.events)
        _notify_many(municipality=self.here.municipality, notices=self.notices)


def _notify_many(*, municipality: Municipality, notices: list[_Notice]) -> list[Notification]:
    """``common.notify`` for a whole batch: one COPY and one e-mail task per municipality.

    A person gets one notification per kind and reason in a batch, listing the incidents: a
    sector owner whose 37 incidents run out in the same minute gets one bell entry and one
    e-mail, not 37 (and a morning with 1 000 breaches writes dozens of rows, not 1 400). A
    notice about a single incident is as before, linked to it."""
    groups: dict[tuple[int, str, str], tuple[User, list[_Notice]]] = {}
    for notice in notices:
        for user in {u.pk: u for u in notice.users}.values():
            key = (user.pk, notice.kind, notice.reason)
            groups.setdefault(key, (user, []))[1].append(notice)
    rows = [_notification(municipality, user, group) for user, group in groups.values()]
    if not rows:
        return []
    insert_many(Notification, rows)  # COPY, as the events above
    ids = [n.pk for n in rows]
    municipality_id = municipality.pk

    def send() -> None:
        from incidents.tasks import notifications_email_task

        notifications_email_task.delay(municipality_id=municipality_id, notification_ids=ids)

    transaction.on_commit(send)
    return rows


def _notification(municipality: Municipality, user: User, group: list[_Notice]) -> Notification:
    first = group[0]
    if len(group) == 1:
        return Notification(
            municipality=municipality,
            user=user,
            incident_id=first.incident_id,
            kind=first.kind,
            title=first.title,
            body=first.body,
        )
    count = len(group)
    lines = [notice.line for notice in group[:GROUP_LINES]]
    if count > GROUP_LINES:
        lines.append(f"… и ещё {count - GROUP_LINES}")
    return Notification(
        municipality=municipality,
        user=user,
        incident=None,  # several: the body lists them
        incident_ids=[notice.incident_id for notice in group],
        kind=first.kind,
        title=_GROUP_TITLES[first.kind].format(n=count, noun=_incidents_dative(count)),
        body="\n".join([first.reason, *lines]),
    )


def _incidents_dative(count: int) -> str:
    """«по 1 инциденту», «по 21 инциденту», but «по 2 / 11 / 25 инцидентам»."""
    return "инциденту" if count % 10 == 1 and count % 100 != 11 else "инцидентам"


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
_ESCALATE = _Step(
    "escalate", _escalate_candidates, "next_escalation_at", _escalate_apply, until_empty=True
)
_STAGE_WARN = _Step("stage warn", _stage_warn_candidates, "stage_warn_at", _stage_warn_apply)
_STAGE_BREACH = _Step("stage breach", _stage_breach_candidates, "stage_due_at", _stage_breach_apply)
STEPS: tuple[_Step, ...] = (_WARN, _BREACH, _ESCALATE, _STAGE_WARN, _STAGE_BREACH)
