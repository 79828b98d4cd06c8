"""Keep each incident's ``IncidentClock`` in step with its terms and status.

The sweep reads and writes only ``IncidentClock`` (see its docstring: a narrow row instead of the
wide ``Incident``), so every code path that creates an incident, changes one of its terms
(``due_at``, ``warn_at``, ``stage_due_at``) or its status must call ``clocks_sync`` in the same
transaction — intake, the lifecycle transitions (through ``common.bump``), answers, demo data,
bulk imports. A clock out of step would warn about a term that no longer applies, or never warn.

Incidents inserted in the same transaction may take ``clocks_create`` instead (one COPY: they
have no clock to read or keep yet).

``clocks_sync`` derives the clock from the incidents' *current* fields, whatever changed:
- the terms and ``is_open`` are copied;
- the sweep's state (warned, breached, the rung) is kept while the term is the same and reset
  when the term changed: a new term (reopened, postponed, extended) has not been warned about
  or missed yet. A closed clock keeps its state as history; the partial indexes skip it.

Concurrency. The existing clocks are read ``FOR UPDATE`` before they are written, so a sweep
that holds one of them (it picks ``FOR NO KEY UPDATE … SKIP LOCKED``) is waited for and its
flags are seen, never overwritten with a stale copy; a clock held here is skipped by the sweep
until this transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from incidents.models import (
    OPEN_STATUSES,
    Answer,
    Incident,
    IncidentClock,
    Kind,
    SlaPolicy,
    Status,
    Topic,
)
from incidents.services.bulk import insert_rows
from mcu.tenancy import WrongMunicipality, require_scope
from roles.models import Channel

# Same as intake.SOCIAL_CHANNELS (intake imports this module, not the other way round; a test
# keeps the two equal).
SOCIAL_CHANNELS: frozenset[str] = frozenset({Channel.IM, Channel.GOSPUBLIC})

# Регламент §2.5: the owner's answer, agreed with the sector curator, reaches the ИМ operator
# within 3 hours — the stage runs until the sector curator has approved the answer.
AGREED_STAGE_STATUSES: frozenset[str] = frozenset(
    {Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_APPROVAL, Status.REOPENED}
)
# 59-ФЗ ст. 8 ч. 3: an appeal outside the competence is forwarded within 7 days of registration.
# Once somebody has taken it into work it is being answered here: the forwarding term no longer
# applies.
FORWARDING_STAGE_STATUSES: frozenset[str] = frozenset({Status.NEW, Status.ASSIGNED})

_CHUNK = 2000  # ids per statement: well under SQLite's and psycopg's parameter limits

_SYNCED_FIELDS: tuple[str, ...] = (
    "municipality",
    "is_open",
    "due_at",
    "warn_at",
    "warned_at",
    "breached_at",
    "escalation_level",
    "next_escalation_at",
    "stage_open",
    "stage_due_at",
    "stage_warn_at",
    "stage_warned_at",
    "stage_breached_at",
)


def clocks_sync(incidents: Sequence[Incident]) -> None:
    """Create or update the clocks of these (saved) incidents from their current fields.

    A constant number of statements per 2 000 incidents, whatever their number: one read of the
    existing clocks (locked) and one upsert — plus, only where needed, one read of the stage
    policies (a new or changed stage term) and one of pending approvals (an ИМ answer on
    approval). Call it inside the transaction that changed the incidents.
    """
    rows = [incident for incident in incidents if incident.pk is not None]
    if not rows:
        return
    _require_in_scope(rows)
    for start in range(0, len(rows), _CHUNK):
        _sync_chunk(rows[start : start + _CHUNK])


def clocks_create(incidents: Sequence[Incident]) -> None:
    """The first clocks of incidents inserted in this very transaction: one COPY.

    Such an incident has no clock yet (its id was just drawn from the sequence, and a clock is
    keyed by it), so there is nothing to read, lock or keep: ``clocks_sync``'s read and upsert
    — Django building the upsert row by row was ~17 % of a batch intake — would only find that
    out. The values are ``clocks_sync``'s for a missing clock (``_fresh_values``); the sweep's
    state starts empty.
    """
    rows = [incident for incident in incidents if incident.pk is not None]
    if not rows:
        return
    _require_in_scope(rows)
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        warn_before = _StageWarnings(chunk)
        agreed = _agreed_answers(chunk)
        insert_rows(
            IncidentClock,
            [
                {
                    "incident_id": incident.pk,
                    **_fresh_values(
                        incident,
                        stage_warn_before=warn_before.of(incident),
                        stage_met=incident.pk in agreed,
                    ),
                }
                for incident in chunk
            ],
        )


def clock_sync(incident: Incident) -> None:
    """``clocks_sync`` of one incident."""
    clocks_sync([incident])


def _require_in_scope(incidents: Iterable[Incident]) -> None:
    # bulk_create skips TenantModel.save(): repeat its safety net here (STYLE.md §Tenancy).
    scope = require_scope("IncidentClock")
    for incident in incidents:
        if not scope.allows(incident.municipality_id):
            raise WrongMunicipality(
                f"IncidentClock of municipality {incident.municipality_id} is outside the "
                "current scope"
            )


def _sync_chunk(incidents: list[Incident]) -> None:
    ids = [incident.pk for incident in incidents]
    municipality_ids = {incident.municipality_id for incident in incidents}
    existing = {
        clock.incident_id: clock
        for clock in IncidentClock.objects.select_for_update().filter(
            municipality_id__in=municipality_ids, incident_id__in=ids
        )
    }
    # The stage's warning time is looked up only for a stage term that is new or changed: a
    # transition that keeps the term (most of them) costs the two statements above and below.
    changed_stage = [
        incident
        for incident in incidents
        if incident.pk not in existing
        or existing[incident.pk].stage_due_at != incident.stage_due_at
    ]
    warn_before = _StageWarnings(changed_stage)
    agreed = _agreed_answers(incidents)
    clocks = [
        _clock(
            incident,
            old=existing.get(incident.pk),
            stage_warn_before=warn_before.of(incident),
            stage_met=incident.pk in agreed,
        )
        for incident in incidents
    ]
    IncidentClock.objects.bulk_create(
        clocks,
        update_conflicts=True,
        unique_fields=["incident"],
        update_fields=list(_SYNCED_FIELDS),
    )


def _clock(
    incident: Incident,
    *,
    old: IncidentClock | None,
    stage_warn_before: timedelta | None,
    stage_met: bool,
) -> IncidentClock:
    clock = IncidentClock(
        incident_id=incident.pk,
        **_fresh_values(incident, stage_warn_before=stage_warn_before, stage_met=stage_met),
    )
    if old is not None and old.stage_due_at == incident.stage_due_at:
        clock.stage_warn_at = old.stage_warn_at  # the same term: its warning time stands
    if old is not None and old.due_at == clock.due_at:
        clock.breached_at = old.breached_at
        clock.escalation_level = old.escalation_level
        clock.next_escalation_at = old.next_escalation_at
        if old.warn_at == clock.warn_at:
            clock.warned_at = old.warned_at
    if old is not None and old.stage_due_at == clock.stage_due_at:
        clock.stage_breached_at = old.stage_breached_at
        clock.stage_warned_at = old.stage_warned_at
    return clock


def _fresh_values(
    incident: Incident, *, stage_warn_before: timedelta | None, stage_met: bool
) -> dict[str, Any]:
    """A clock's fields copied or derived from its incident (attribute names): all of a new
    clock but the sweep's state, which starts empty."""
    stage_warn_at = (
        incident.stage_due_at - stage_warn_before
        if incident.stage_due_at is not None and stage_warn_before is not None
        else None
    )
    return {
        "municipality_id": incident.municipality_id,
        "is_open": incident.status in OPEN_STATUSES,
        "due_at": incident.due_at,
        "warn_at": incident.warn_at,
        "stage_open": _stage_open(incident, stage_met=stage_met),
        "stage_due_at": incident.stage_due_at,
        "stage_warn_at": stage_warn_at,
    }


def stage_of(*, channel: str, kind: str) -> str | None:
    """Which stage term an incident's ``stage_due_at`` is (intake and lifecycle set it for
    these two only)."""
    if channel in SOCIAL_CHANNELS:
        return SlaPolicy.Stage.AGREED_TO_OPERATOR
    if kind == Kind.APPEAL:
        return SlaPolicy.Stage.FORWARDING
    return None


def _stage_kind(incident: Incident) -> str | None:
    return stage_of(channel=incident.channel, kind=incident.kind)


def _stage_open(incident: Incident, *, stage_met: bool) -> bool:
    """Whether the sweep watches the stage term now.

    Only while it ends before the answer's own term: where it ends with it or after (ИМ by
    default: 3 hours both), the answer's warning, breach and ladder already say everything,
    and a second notice about the same lateness would only be noise — "without escalating
    twice" (issue 3).
    """
    stage = _stage_kind(incident)
    if incident.stage_due_at is None or stage is None:
        return False
    if incident.due_at is not None and incident.stage_due_at >= incident.due_at:
        return False
    if stage == SlaPolicy.Stage.AGREED_TO_OPERATOR:
        return incident.status in AGREED_STAGE_STATUSES and not stage_met
    return incident.status in FORWARDING_STAGE_STATUSES


def _agreed_answers(incidents: list[Incident]) -> set[int]:
    """Incidents on approval whose answer the sector curator has approved: the agreed answer is
    with the ИМ operator's side (waiting for the head), so the stage term was met."""
    pending = [
        incident
        for incident in incidents
        if incident.status == Status.ON_APPROVAL and incident.channel in SOCIAL_CHANNELS
    ]
    if not pending:
        return set()
    return set(
        Answer.objects.filter(
            municipality_id__in={incident.municipality_id for incident in pending},
            incident_id__in=[incident.pk for incident in pending],
            is_interim=False,
            state=Answer.State.ON_APPROVAL,
            sector_approved_at__isnull=False,
        ).values_list("incident_id", flat=True)
    )


class _StageWarnings:
    """The warn-before of each incident's stage policy, resolved as ``policies.policy_for`` does
    (topic's own, then its parent's, then the channel's; fast-track falls back to normal) from
    one read of the municipalities' stage policies instead of a query per incident."""

    def __init__(self, incidents: list[Incident]) -> None:
        wanted = [i for i in incidents if i.stage_due_at is not None and _stage_kind(i)]
        self.policies: list[SlaPolicy] = (
            list(
                SlaPolicy.objects.filter(
                    municipality_id__in={i.municipality_id for i in wanted},
                    stage__in=[SlaPolicy.Stage.AGREED_TO_OPERATOR, SlaPolicy.Stage.FORWARDING],
                )
            )
            if wanted
            else []
        )
        topic_ids = {i.topic_id for i in wanted if i.topic_id is not None}
        self.parents: dict[int, int | None] = (
            dict(Topic.objects.filter(pk__in=topic_ids).values_list("pk", "parent_id"))
            if topic_ids and any(p.topic_id is not None for p in self.policies)
            else {}
        )

    def of(self, incident: Incident) -> timedelta | None:
        stage = _stage_kind(incident)
        if incident.stage_due_at is None or stage is None:
            return None
        parent_id = self.parents.get(incident.topic_id) if incident.topic_id else None
        candidates = [
            p
            for p in self.policies
            if p.municipality_id == incident.municipality_id
            and p.channel == incident.channel
            and p.stage == stage
            and p.fast_track in (incident.fast_track, False)
            and (p.topic_id is None or p.topic_id in (incident.topic_id, parent_id))
        ]

        def rank(policy: SlaPolicy) -> tuple[int, int]:
            topic_rank = (
                0 if policy.topic_id is None else (2 if policy.topic_id == incident.topic_id else 1)
            )
            return (int(policy.fast_track == incident.fast_track), topic_rank)

        best = max(candidates, key=rank, default=None)
        return best.warn_before if best is not None else None


def clock_state(incident: Incident) -> IncidentClock | None:
    """The incident's clock as stored now (tests, the admin), or None before the first sync."""
    return IncidentClock.objects.filter(
        municipality_id=incident.municipality_id, incident_id=incident.pk
    ).first()
