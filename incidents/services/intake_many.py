"""Many messages become incidents at once: the rules of ``intake._create``, at COPY speed.

The single path spends ~14 statements per incident (topic, sector link, SLA policy twice,
repeat lookup, role holders, four inserts). Here each of those lookups is made once per batch
— topics, settlements, sectors, topic → block links, SLA policies and role holders are read
into a ``Catalog``; each message's earliest stored repeat candidate in one query (on
PostgreSQL) — and incidents, events and notifications are written with one COPY each
(``bulk.insert_many``).

It must produce exactly what ``incident_create`` does, message by message and in order: the
same routing, ``auto_routed``, terms, repeat links (a repeat of an earlier message of the same
batch included), events and notifications. ``incidents/tests/test_intake_many.py`` creates
the same messages both ways and compares every column.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import orjson
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from incidents.exceptions import IncidentError
from incidents.models import (
    Incident,
    IncidentEvent,
    Notification,
    SectorTopic,
    SlaPolicy,
    Status,
    Topic,
)
from incidents.services import policies
from incidents.services.bulk import insert_many, insert_rows
from incidents.services.clock import clocks_create
from incidents.services.intake import (
    OPERATOR_ROLE,
    IncomingMessage,
    Routing,
    _validate,
    incident_create,
    incident_from_message,
)
from incidents.services.policies import Terms
from incidents.services.repeats import repeat_window
from mcu.models import Municipality
from mcu.sql import column, table
from mcu.tenancy import require_in_scope
from roles.models import OrgUnit, Role, Sector
from roles.selectors import RoleSeats

EMAIL_CHUNK = 500  # notification ids per e-mail task

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeResult:
    """What became of one message: its incident (new or existing), or why it was refused."""

    incident: Incident | None
    created: bool = False
    error: IncidentError | None = None


@dataclass
class Catalog:
    """Everything routing and terms read, loaded once per batch for one municipality."""

    municipality: Municipality
    topics: dict[str, Topic]
    settlements: dict[str, OrgUnit]
    sectors: dict[str, Sector]
    links: dict[int, SectorTopic]
    policies: list[SlaPolicy]
    seats: RoleSeats
    # ``policy``'s answers: a batch asks the same few questions hundreds of times.
    chosen: dict[tuple[Any, ...], SlaPolicy | None] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, municipality: Municipality) -> Catalog:
        return cls(
            municipality=municipality,
            topics={topic.code: topic for topic in Topic.objects.all()},
            settlements={
                unit.code: unit
                for unit in OrgUnit.objects.filter(
                    municipality=municipality, kind=OrgUnit.Kind.SETTLEMENT
                ).order_by("-pk")  # the lowest pk wins, as ``.first()`` on a code would
            },
            sectors={
                sector.code: sector
                for sector in Sector.objects.filter(
                    municipality=municipality, is_active=True
                ).order_by("-pk")
            },
            links={
                link.topic_id: link
                for link in SectorTopic.objects.filter(municipality=municipality).select_related(
                    "sector", "org_unit"
                )
            },
            policies=list(SlaPolicy.objects.filter(municipality=municipality)),
            seats=RoleSeats(municipality=municipality),
        )

    def route(self, topic: Topic | None, sector_code: str | None) -> Routing:
        """``intake.route`` from memory."""
        if sector_code and sector_code in self.sectors:
            return Routing(self.sectors[sector_code], None)
        if topic is None:
            return Routing(None, None)
        link = self.links.get(topic.pk) or self.links.get(topic.parent_id or -1)
        if link is None:
            return Routing(None, None)
        return Routing(link.sector, link.org_unit)

    def policy(self, incident: Incident, stage: str) -> SlaPolicy | None:
        """``policies.policy_for`` from memory: the topic's own, its parent's, the channel's."""
        topic = incident.topic
        key = (
            incident.channel,
            stage,
            incident.fast_track,
            topic.pk if topic else None,
            topic.parent_id if topic else None,
        )
        if key not in self.chosen:
            self.chosen[key] = self._policy(topic, incident.channel, incident.fast_track, stage)
        return self.chosen[key]

    def _policy(
        self, topic: Topic | None, channel: str, fast_track: bool, stage: str
    ) -> SlaPolicy | None:
        topic_ids = {
            t for t in (topic.pk if topic else None, topic.parent_id if topic else None) if t
        }
        candidates = [
            policy
            for policy in self.policies
            if policy.channel == channel
            and policy.stage == stage
            and policy.fast_track in (fast_track, False)
            and (policy.topic_id is None or policy.topic_id in topic_ids)
        ]

        def rank(policy: SlaPolicy) -> tuple[int, int]:
            topic_rank = (
                0
                if policy.topic_id is None
                else (2 if topic and policy.topic_id == topic.pk else 1)
            )
            return (int(policy.fast_track == fast_track), topic_rank)

        return max(candidates, key=rank, default=None)

    def terms(self, incident: Incident, stage: str, start: datetime) -> Terms:
        return policies.terms_from(
            policy=self.policy(incident, stage), start=start, tz=self.municipality.tz
        )

    def holder_ids(
        self, roles: Sequence[str], sector_id: int | None, channel: str | None
    ) -> list[int]:
        """``role_holders``' users (ids), from the roster read once for the batch (``RoleSeats``
        keeps each answer)."""
        return self.seats.holder_ids(roles, sector_id=sector_id, channel=channel)


@dataclass
class _Draft:
    """One new incident of the batch, with what it still needs once its id is known."""

    incident: Incident
    routing: Routing
    repeat_of_id: int | None = None  # a stored original
    repeat_root: _Draft | None = None  # an original earlier in this batch (no id yet)

    @property
    def repeat_target(self) -> int | None:
        return self.repeat_root.incident.pk if self.repeat_root else self.repeat_of_id


def incident_create_many(
    *, municipality: Municipality, messages: Sequence[IncomingMessage]
) -> list[IntakeResult]:
    """One result per message, in order. Runs in the caller's transaction.

    Idempotent as ``incident_create`` is: a message whose incident exists (from an earlier
    delivery, or earlier in this batch) returns it with ``created=False``. If another process
    creates one of the batch's incidents between the check and the insert, the unique key
    refuses the COPY; the batch is then rolled back to its savepoint and made one by one.
    """
    results: list[IntakeResult | None] = [None] * len(messages)
    cleaned: list[tuple[int, IncomingMessage]] = []
    for index, message in enumerate(messages):
        try:
            _validate(message)
        except IncidentError as error:
            results[index] = IntakeResult(None, error=error)
            continue
        external_id = message.external_id.strip()[:200]
        if external_id != message.external_id:  # ``replace`` rebuilds the dataclass: only then
            message = replace(message, external_id=external_id)
        cleaned.append((index, message))
    existing = _existing(municipality, [message for _, message in cleaned])
    fresh: list[tuple[int, IncomingMessage]] = []
    first_in_batch: dict[tuple[str, str], int] = {}
    for index, message in cleaned:
        key = (message.channel, message.external_id)
        if key in existing:
            results[index] = IntakeResult(existing[key], created=False)
        elif key in first_in_batch:
            results[index] = IntakeResult(None)  # filled below: the same incident, not created
        else:
            first_in_batch[key] = index
            fresh.append((index, message))
    made: list[tuple[Incident, bool]]
    try:
        with transaction.atomic():
            made = [(i, True) for i in _create_all(municipality, [m for _, m in fresh])]
    except IntegrityError:
        made = [incident_create(municipality=municipality, message=m) for _, m in fresh]
    for (index, _message), (incident, was_created) in zip(fresh, made, strict=True):
        results[index] = IntakeResult(incident, created=was_created)
    for index, message in cleaned:
        result = results[index]
        if result is not None and result.incident is None and result.error is None:
            first = results[first_in_batch[(message.channel, message.external_id)]]
            assert first is not None
            results[index] = IntakeResult(first.incident, created=False)
    return [result for result in results if result is not None]


def _existing(
    municipality: Municipality, messages: Sequence[IncomingMessage]
) -> dict[tuple[str, str], Incident]:
    """The stored incidents of these messages, by (channel, external id).

    On PostgreSQL the messages are joined to the incidents on the whole unique key, the
    municipality included, with the municipality a column of the joined document rather than
    a constant: the planner then weighs it as an average municipality. As a constant it took
    the statistics' word for it, and a municipality the statistics do not know yet (its first
    import) has no rows there: any index beginning with the municipality looked as cheap as the
    unique key, and each batch read all the municipality's incidents (24 ms a batch at 29 700,
    growing with every batch, against ~3 ms).
    """
    if not messages:
        return {}
    if connection.vendor != "postgresql":
        query = Q()
        by_channel: dict[str, list[str]] = {}
        for message in messages:
            by_channel.setdefault(message.channel, []).append(message.external_id)
        for channel, ids in by_channel.items():
            query |= Q(channel=channel, external_id__in=ids)
        return {
            (incident.channel, incident.external_id): incident
            for incident in Incident.objects.filter(query, municipality=municipality)
        }
    # The plain SQL below bypasses the tenant manager: the scope is checked as it would check,
    # and the document names this municipality only.
    require_in_scope("Incident", municipality.pk)
    attnames = [f.attname for f in Incident._meta.concrete_fields]
    names = ", ".join(f"i.{column(Incident, name)}" for name in attnames)
    sql = f"""
        SELECT {names}
          FROM jsonb_to_recordset(%s::jsonb) AS wanted(municipality bigint, channel text, id text)
          JOIN {table(Incident)} AS i
            ON i.{column(Incident, "municipality")} = wanted.municipality
           AND i.{column(Incident, "channel")} = wanted.channel
           AND i.{column(Incident, "external_id")} = wanted.id
    """  # noqa: S608  # names from the model; values are parameters
    document = orjson.dumps(
        [
            {"municipality": municipality.pk, "channel": m.channel, "id": m.external_id}
            for m in messages
        ]
    ).decode()
    with connection.cursor() as cursor:
        cursor.execute(sql, [document])
        found = cursor.fetchall()
    incidents = [Incident.from_db(connection.alias, attnames, values) for values in found]
    return {(incident.channel, incident.external_id): incident for incident in incidents}


def _create_all(municipality: Municipality, messages: Sequence[IncomingMessage]) -> list[Incident]:
    if not messages:
        return []
    now = timezone.now()
    catalog = Catalog.load(municipality)
    drafts = [_draft(catalog, message) for message in messages]
    _link_repeats(municipality, drafts)
    incidents = [draft.incident for draft in drafts]
    insert_many(Incident, incidents)
    _link_batch_roots(drafts)
    clocks_create(incidents)  # the sweep's clock rows, in this transaction (clock.py)
    events: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for draft in drafts:
        events.extend(_events(draft, now))
        notifications.extend(_notifications(catalog, draft))
    insert_rows(IncidentEvent, events)
    _email_after_commit(municipality.pk, insert_rows(Notification, notifications))
    return incidents


def _draft(catalog: Catalog, message: IncomingMessage) -> _Draft:
    """The incident ``intake._create`` would build, field for field, without saving it."""
    municipality = catalog.municipality
    topic = catalog.topics.get(message.topic_code) if message.topic_code else None
    settlement = catalog.settlements.get(message.settlement_code or "")
    routing = catalog.route(topic, message.sector_code)
    incident = incident_from_message(
        municipality=municipality,
        message=message,
        topic=topic,
        settlement=settlement,
        routing=routing,
        terms=catalog.terms,
    )
    return _Draft(incident, routing)


# --- repeats ---------------------------------------------------------------------------------

_Place = tuple[int, str, int | None]  # topic, address key, settlement (only without an address)


def _place(incident: Incident) -> _Place | None:
    """``repeats.find_repeat_of``'s notion of "the same place", or None (no repeat possible)."""
    if incident.topic_id is None or not (incident.address_key or incident.settlement_id):
        return None
    settlement = None if incident.address_key else incident.settlement_id
    return (incident.topic_id, incident.address_key, settlement)


@dataclass(frozen=True)
class _Seen:
    """A possible original: an incident already stored, or an earlier one of this batch."""

    received_at: datetime
    order: int  # the batch's sequence (a stored row precedes the batch at the same moment)
    incident_id: int | None
    repeat_of_id: int | None
    draft: _Draft | None = None


def _link_repeats(municipality: Municipality, drafts: Sequence[_Draft]) -> None:
    """Repeat links as ``find_repeat_of`` gives them when the batch's messages are created one
    after another: each sees the stored incidents and the batch's earlier messages only."""
    window = repeat_window()
    located = [(d, place) for d in drafts if (place := _place(d.incident)) is not None]
    if not located:
        return
    # For each message only the earliest stored incident inside its own window matters. Asking
    # for just that (one row a message) keeps the work flat: reading every stored incident of
    # the batch's places over the window instead cost ~0.6 s a batch of 500 once an address had
    # ~150 incidents a month (bench/ingest.py, 1.2 M incidents).
    stored = _first_stored(
        municipality.pk,
        [(place, d.incident.received_at - window, d.incident.received_at) for d, place in located],
    )
    roots = _roots({s.repeat_of_id for s in stored if s is not None and s.repeat_of_id})
    # Per place, the batch's earlier messages sorted by (received_at, position): the earliest
    # one inside a message's window is then one bisection away.
    batch: dict[_Place, list[_Seen]] = {}
    for position, ((draft, place), first) in enumerate(zip(located, stored, strict=True)):
        incident = draft.incident
        group = batch.setdefault(place, [])
        at = bisect.bisect_left(group, (incident.received_at - window, -1), key=_seen_key)
        earlier = group[at] if at < len(group) else None
        # A stored incident precedes the batch's at the same moment: its id is lower.
        if (
            earlier is not None
            and earlier.received_at < incident.received_at
            and (first is None or earlier.received_at < first.received_at)
        ):
            first = earlier
        if first is not None:
            _point_at_root(draft, first, roots)
            incident.is_repeat = True
        bisect.insort(
            group, _Seen(incident.received_at, position, None, None, draft=draft), key=_seen_key
        )


_Probe = tuple[_Place, datetime, datetime]  # a place and a window [from, to)


def _first_stored(municipality_id: int, probes: Sequence[_Probe]) -> list[_Seen | None]:
    """The earliest stored, unmerged incident (by received time, then id) at each probe's place
    inside its window, or None: ``find_repeat_of``'s query, for many messages at once."""
    if connection.vendor == "postgresql":
        return _first_stored_lateral(municipality_id, probes)
    # Elsewhere (SQLite, the laptop default: fast in-process queries) one query a message.
    out: list[_Seen | None] = []
    for (topic_id, key, settlement_id), since, until in probes:
        candidates = Incident.objects.filter(
            municipality_id=municipality_id,
            topic_id=topic_id,
            address_key=key,
            received_at__gte=since,
            received_at__lt=until,
        ).exclude(status=Status.MERGED)
        if not key:
            candidates = candidates.filter(settlement_id=settlement_id)
        row = (
            candidates.order_by("received_at", "pk")
            .values_list("pk", "received_at", "repeat_of_id")
            .first()
        )
        out.append(None if row is None else _Seen(row[1], 0, row[0], row[2]))
    return out


# Set once this process has seen PostgreSQL's statistics on the incidents (they are lost only
# with the column itself, or by pg_upgrade, which restarts the workers anyway).
_planner_has_statistics = False


def _give_planner_statistics(cursor: Any) -> None:
    """Make sure PostgreSQL has statistics on the incidents before the repeat probe is planned.

    With none — a new installation's first import, until autovacuum's first ANALYZE about a
    minute later, or after pg_upgrade — the planner prices the repeat index and the
    received-time index alike and may take the latter, which reads the municipality's whole
    window for every probe: 9 s for a batch of 500 at 20 000 incidents (measured); a first
    import of 20 000 rows processed in 47 s instead of 12.6. So a batch that finds none
    analyzes the table itself: milliseconds while it is small, and ANALYZE samples at most
    30 000 rows whatever its size. A table too small for statistics yet is analyzed again by
    the next batch."""
    global _planner_has_statistics
    if _planner_has_statistics:
        return
    table = Incident._meta.db_table
    cursor.execute(
        "SELECT EXISTS (SELECT FROM pg_stats WHERE schemaname = current_schema()"
        " AND tablename = %s AND attname = 'address_key')",
        [table],
    )
    (present,) = cursor.fetchone()
    if present:
        _planner_has_statistics = True
        return
    cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    logger.info("the incidents had no planner statistics: analyzed them")


# Each probe takes the first row of the repeat index (municipality, topic, address key,
# received time, id) in its window. Parameters: the probes (``_probe_document``), the
# municipality, the merged status.
_PROBE_SQL = """
    SELECT p.n, c.id, c.received_at, c.repeat_of_id
      FROM jsonb_to_recordset(%s::jsonb)
           AS p(n integer, topic bigint, key text, settlement bigint,
                since timestamptz, until timestamptz)
     CROSS JOIN LATERAL (
           SELECT c.id, c.received_at, c.repeat_of_id
             FROM incidents_incident AS c
            WHERE c.municipality_id = %s AND c.topic_id = p.topic
              AND c.address_key = p.key
              AND (p.key <> '' OR c.settlement_id = p.settlement)
              AND c.received_at >= p.since AND c.received_at < p.until
              AND c.status <> %s
            ORDER BY c.received_at, c.id
            LIMIT 1) AS c
"""


def _probe_document(probes: Sequence[_Probe]) -> str:
    """The probes as one JSON document, not as six arrays: psycopg quotes an array element by
    element in Python (~6 ms a batch of 500, against ~0.5 ms for orjson)."""
    return orjson.dumps(
        [
            {
                "n": n,
                "topic": topic,
                "key": key,
                "settlement": settlement,
                "since": since,
                "until": until,
            }
            for n, ((topic, key, settlement), since, until) in enumerate(probes)
        ]
    ).decode()


def _first_stored_lateral(municipality_id: int, probes: Sequence[_Probe]) -> list[_Seen | None]:
    """One statement for the whole batch (``_PROBE_SQL``)."""
    with connection.cursor() as cursor:
        _give_planner_statistics(cursor)
        cursor.execute(_PROBE_SQL, [_probe_document(probes), municipality_id, Status.MERGED.value])
        rows = cursor.fetchall()
    out: list[_Seen | None] = [None] * len(probes)
    for n, pk, received_at, repeat_of_id in rows:
        out[n] = _Seen(received_at, 0, pk, repeat_of_id)
    return out


def _seen_key(seen: _Seen) -> tuple[datetime, int]:
    return (seen.received_at, seen.order)


def _roots(ids: set[int]) -> set[int]:
    """Which of the originals stored repeats point at still exist (``find_repeat_of`` falls
    back to the repeat itself when its original is gone)."""
    return set(Incident.objects.filter(pk__in=ids).values_list("pk", flat=True))


def _point_at_root(draft: _Draft, first: _Seen, roots: set[int]) -> None:
    """Point at the original, not at another repeat: one chain, one root."""
    if first.draft is not None:
        draft.repeat_root = first.draft.repeat_root or (
            None if first.draft.repeat_of_id else first.draft
        )
        draft.repeat_of_id = None if draft.repeat_root else first.draft.repeat_of_id
    elif first.repeat_of_id is not None and first.repeat_of_id in roots:
        draft.repeat_of_id = first.repeat_of_id
    else:
        draft.repeat_of_id = first.incident_id
    draft.incident.repeat_of_id = draft.repeat_of_id


def _link_batch_roots(drafts: Sequence[_Draft]) -> None:
    """Repeats of an original from the same batch get its id once it has one: one UPDATE per
    original (rare — the same topic at the same place twice in one batch)."""
    by_root: dict[int, list[int]] = {}
    for draft in drafts:
        if draft.repeat_root is not None:
            root_id = draft.repeat_root.incident.pk
            draft.incident.repeat_of_id = root_id
            by_root.setdefault(root_id, []).append(draft.incident.pk)
    for root_id, ids in by_root.items():
        Incident.objects.filter(pk__in=ids).update(repeat_of_id=root_id)


# --- events and notifications ----------------------------------------------------------------


def _events(draft: _Draft, now: datetime) -> list[dict[str, Any]]:
    """CREATED, REPEAT_LINK, ASSIGNED — as ``_create`` records them, in that order (ids
    ascend in list order, so the timeline sorts them as the single path does)."""
    incident, routing = draft.incident, draft.routing

    def event(kind: str, **values: Any) -> dict[str, Any]:
        return {
            "municipality_id": incident.municipality_id,
            "incident_id": incident.pk,
            "kind": kind,
            "actor_id": None,
            "at": now,
            "from_status": "",
            "to_status": "",
            "note": "",
            "data": {},
            **values,
        }

    events = [
        event(
            IncidentEvent.Kind.CREATED,
            to_status=Status.NEW,
            data={"channel": incident.channel, "external_id": incident.external_id},
        )
    ]
    repeat_of = draft.repeat_target
    if repeat_of is not None:
        events.append(
            event(
                IncidentEvent.Kind.REPEAT_LINK,
                note=f"Повтор инцидента № {repeat_of}",
                data={"repeat_of": repeat_of, "automatic": True},
            )
        )
    if routing.found:
        events.append(
            event(
                IncidentEvent.Kind.ASSIGNED,
                from_status=Status.NEW,
                to_status=Status.ASSIGNED,
                note="Доставлено автоматически по рубрикатору",
                data={
                    "sector": routing.sector.pk if routing.sector else None,
                    "org_unit": routing.org_unit.pk if routing.org_unit else None,
                    "automatic": True,
                },
            )
        )
    return events


def _notifications(catalog: Catalog, draft: _Draft) -> list[dict[str, Any]]:
    incident, routing = draft.incident, draft.routing
    if routing.found:
        recipients = catalog.holder_ids(
            [Role.SECTOR_OWNER, Role.EXECUTOR] if routing.sector else [Role.EXECUTOR],
            routing.sector.pk if routing.sector else None,
            None,
        )
        title = f"Новый инцидент № {incident.pk} в вашем блоке"
    else:
        recipients = catalog.holder_ids(
            [OPERATOR_ROLE.get(incident.channel, Role.HEAD)], None, incident.channel
        )
        title = f"Новое сообщение № {incident.pk} ждёт распределения"
    return [
        {
            "municipality_id": incident.municipality_id,
            "user_id": user_id,
            "incident_id": incident.pk,
            "kind": "incident_new",
            "title": title,
            "body": incident.text[:500],
            "read_at": None,
            "emailed_at": None,
        }
        for user_id in recipients  # distinct already
    ]


def _email_after_commit(municipality_id: int, ids: list[int]) -> None:
    """The e-mail copies, after commit, as ``common.notify`` sends them — in tasks of up to
    EMAIL_CHUNK notifications instead of one per incident."""
    if not ids:
        return

    def send() -> None:
        from incidents.tasks import notifications_email_task

        for start in range(0, len(ids), EMAIL_CHUNK):
            notifications_email_task.delay(
                municipality_id=municipality_id, notification_ids=ids[start : start + EMAIL_CHUNK]
            )

    transaction.on_commit(send)
