"""The batch intake makes exactly what the single path makes, message by message.

Each test creates the same messages twice from the same starting point — once through
``incident_create`` one by one, once through ``incident_create_many`` in one call — rolling the
first run back to a savepoint in between, and compares every column of every incident, its
clock, its events and its notifications. Ids differ between the runs, so references to
incidents (repeat links, ids in titles and notes) are compared by external id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from time_machine import TimeMachineFixture

from incidents.exceptions import IncidentError, InvalidInput
from incidents.models import (
    Incident,
    IncidentClock,
    IncidentEvent,
    Notification,
    Status,
    Topic,
)
from incidents.services import intake_many, lifecycle
from incidents.services.intake import IncomingMessage, incident_create, incident_create_many
from incidents.tests.factories import (
    NOW,
    POTHOLE,
    UNMAPPED_TOPIC,
    Staff,
    make_incident,
    message,
    oktyabrsky_staff,
    seeded_once,
)
from mcu.models import Municipality
from mcu.seeding import SeedLog
from mcu.tenancy import municipality_scope
from mcu.tests.copies import copy_row
from roles.models import Channel, OrgUnit, User

SKIPPED_FIELDS = {"id", "created_at", "updated_at"}
INCIDENT_REFERENCES = {"repeat_of", "merged_into"}


@pytest.fixture(scope="module")
def _seed_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with seeded_once(django_db_blocker):
        yield


@pytest.fixture
def seeded(_seed_once: None, db: None) -> SeedLog:
    return SeedLog()


@pytest.fixture(autouse=True)
def frozen(time_machine: TimeMachineFixture) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture(autouse=True)
def scope(municipality: Municipality) -> Iterator[None]:
    with municipality_scope(municipality.pk):
        yield


@pytest.fixture
def staff(municipality: Municipality, make_user: Callable[..., User]) -> Staff:
    return oktyabrsky_staff(municipality, make_user)


# --- what the database holds, with incident ids replaced by external ids --------------------


def _external_ids(municipality: Municipality) -> dict[int, str]:
    return dict(Incident.objects.filter(municipality=municipality).values_list("pk", "external_id"))


def _unid(text: str, ids: dict[int, str]) -> str:
    return re.sub(r"№ (\d+)", lambda m: f"№ {ids.get(int(m.group(1)), m.group(1))}", text)


def state(municipality: Municipality) -> dict[str, Any]:
    ids = _external_ids(municipality)
    incidents: dict[str, dict[str, Any]] = {}
    for incident in Incident.objects.filter(municipality=municipality):
        row: dict[str, Any] = {}
        for field in Incident._meta.concrete_fields:
            if field.name in SKIPPED_FIELDS:
                continue
            value = getattr(incident, field.attname)
            if field.name in INCIDENT_REFERENCES and value is not None:
                value = ids[value]
            row[field.name] = value
        incidents[incident.external_id] = row
    clocks = {
        ids[clock.incident_id]: {
            field.name: getattr(clock, field.attname)
            for field in IncidentClock._meta.concrete_fields
            if field.name != "incident"
        }
        for clock in IncidentClock.objects.filter(municipality=municipality)
    }
    events = sorted(
        (
            ids[event.incident_id],
            event.kind,
            event.actor_id,
            event.at,
            event.from_status,
            event.to_status,
            _unid(event.note, ids),
            json.dumps(
                {
                    key: ids.get(value, value) if key == "repeat_of" else value
                    for key, value in event.data.items()
                },
                sort_keys=True,
            ),
        )
        for event in IncidentEvent.objects.filter(municipality=municipality).order_by(
            "incident", "at", "id"
        )
    )
    timelines: dict[str, list[str]] = {}
    for event in IncidentEvent.objects.filter(municipality=municipality).order_by(
        "incident", "at", "id"
    ):
        timelines.setdefault(ids[event.incident_id], []).append(event.kind)
    notifications = sorted(
        (
            ids[n.incident_id] if n.incident_id else "",
            n.user_id,
            n.kind,
            _unid(n.title, ids),
            n.body,
            n.read_at,
            n.emailed_at,
        )
        for n in Notification.objects.filter(municipality=municipality)
    )
    return {
        "incidents": incidents,
        "clocks": clocks,
        "events": events,
        "timelines": timelines,
        "notifications": notifications,
    }


Outcome = tuple[str, bool] | tuple[str, str]  # (external id, created) or ("error", field)


def one_by_one(municipality: Municipality, messages: Sequence[IncomingMessage]) -> list[Outcome]:
    out: list[Outcome] = []
    for item in messages:
        try:
            incident, created = incident_create(municipality=municipality, message=item)
        except IncidentError as error:
            out.append(("error", getattr(error, "field", "")))
        else:
            out.append((incident.external_id, created))
    return out


def in_one_batch(municipality: Municipality, messages: Sequence[IncomingMessage]) -> list[Outcome]:
    out: list[Outcome] = []
    for result in incident_create_many(municipality=municipality, messages=messages):
        if result.error is not None:
            out.append(("error", getattr(result.error, "field", "")))
        else:
            assert result.incident is not None
            out.append((result.incident.external_id, result.created))
    return out


def both_ways(
    municipality: Municipality, messages: Sequence[IncomingMessage], capture: Any
) -> tuple[tuple[list[Outcome], dict[str, Any], int], tuple[list[Outcome], dict[str, Any], int]]:
    """Run the single path, record, roll back to before it; run the batch, record."""
    savepoint = transaction.savepoint()
    with capture() as single_callbacks:
        single = one_by_one(municipality, messages)
    single_state = state(municipality)
    transaction.savepoint_rollback(savepoint)
    assert state(municipality)["incidents"].keys() == single_state["incidents"].keys() - {
        o[0] for o in single if o[1] is True
    }
    with capture() as batch_callbacks:
        batch = in_one_batch(municipality, messages)
    return (
        (single, single_state, len(single_callbacks)),
        (batch, state(municipality), len(batch_callbacks)),
    )


def assert_same(single: dict[str, Any], batch: dict[str, Any]) -> None:
    assert batch["incidents"].keys() == single["incidents"].keys()
    for external_id, row in single["incidents"].items():
        assert batch["incidents"][external_id] == row, external_id
    assert batch["clocks"] == single["clocks"]
    assert batch["events"] == single["events"]
    assert batch["timelines"] == single["timelines"]
    assert batch["notifications"] == single["notifications"]


# --- the comparisons ----------------------------------------------------------------------------


def test_every_kind_of_message_comes_out_the_same(
    seeded: SeedLog,
    municipality: Municipality,
    staff: Staff,
    django_capture_on_commit_callbacks: Any,
) -> None:
    OrgUnit.objects.create(
        municipality=municipality, code="priobye", name="пгт Приобье", kind=OrgUnit.Kind.SETTLEMENT
    )
    original = make_incident(
        municipality,
        external_id="stored-1",
        topic_code=POTHOLE,
        address="ул. Ленина, 5",
        received_at=NOW - timedelta(days=10),
    )
    stored_repeat = make_incident(
        municipality,
        external_id="stored-2",
        topic_code=POTHOLE,
        address="ул. Ленина, 5",
        received_at=NOW - timedelta(days=5),
    )
    assert stored_repeat.repeat_of_id == original.pk
    messages = [
        # A repeat of a stored repeat points at the stored original.
        message(
            channel=Channel.POS, external_id="b-01", topic_code=POTHOLE, address="ул. Ленина, 5"
        ),
        # Repeats inside the batch: the first is the root of the later ones.
        message(
            external_id="b-02",
            topic_code=POTHOLE,
            address="ул. Мира, 1",
            received_at=NOW - timedelta(hours=2),
        ),
        message(
            external_id="b-03",
            topic_code=POTHOLE,
            address="УЛ МИРА 1",
            received_at=NOW - timedelta(hours=1),
        ),
        message(external_id="b-04", topic_code=POTHOLE, address="ул мира, 1"),
        # Received before b-02 but created after it: not a repeat of it (nor b-02 of it).
        message(
            external_id="b-05",
            topic_code=POTHOLE,
            address="ул. Мира, 1",
            received_at=NOW - timedelta(hours=3),
        ),
        message(external_id="b-06", topic_code=UNMAPPED_TOPIC, address="ул. Мира, 1"),
        message(external_id="b-07"),  # no topic: waits for the ИМ operator
        message(external_id="b-08", topic_code="no.such-topic"),
        message(external_id="b-09", topic_code=POTHOLE, sector_code="transport"),
        message(external_id="b-10", topic_code=POTHOLE, sector_code="not-ours"),
        message(
            channel=Channel.APPEAL,
            external_id="b-11",
            topic_code=POTHOLE,
            registered_at=NOW - timedelta(days=1),
            citizen_postal_address="628100, пгт. Октябрьское, ул. Ленина, 1",
        ),
        message(channel=Channel.APPEAL, external_id="b-12"),
        message(channel=Channel.POS, external_id="b-13", topic_code=POTHOLE, fast_track=True),
        message(channel=Channel.EDDS, external_id="b-14", topic_code="zhkh"),
        message(channel=Channel.GOSPUBLIC, external_id="b-15", topic_code=POTHOLE),
        message(
            external_id="b-16",
            topic_code=POTHOLE,
            settlement_code="priobye",
            received_at=NOW - timedelta(hours=1),
        ),
        message(external_id="b-17", topic_code=POTHOLE, settlement_code="priobye"),
        message(external_id="b-18", text="   "),  # refused: no text
        message(external_id="  b-02 "),  # the same message again, padded: the same incident
        message(external_id="stored-1"),  # delivered before: the stored incident
        message(channel=Channel.POS, external_id="b-02", topic_code=POTHOLE),  # other channel
        message(external_id="b-19", topic_code="roads", address="ул. Мира, 1"),  # parent topic
    ]

    (single, single_state, single_mail), (batch, batch_state, batch_mail) = both_ways(
        municipality, messages, django_capture_on_commit_callbacks
    )

    assert batch == single
    assert single[17] == ("error", "text")
    assert single[18:20] == [("b-02", False), ("stored-1", False)]
    assert_same(single_state, batch_state)
    repeats = {k: v["repeat_of"] for k, v in batch_state["incidents"].items() if v["is_repeat"]}
    assert repeats == {
        "stored-2": "stored-1",
        "b-01": "stored-1",
        "b-03": "b-02",
        "b-04": "b-02",
        "b-17": "b-16",
    }
    # The e-mail copies go after commit: one task per incident one by one, per batch here.
    assert single_mail > 0
    assert batch_mail == 1


def test_a_large_batch_with_many_repeats_comes_out_the_same(
    seeded: SeedLog,
    municipality: Municipality,
    staff: Staff,
    django_capture_on_commit_callbacks: Any,
) -> None:
    topics = [POTHOLE, "roads", "zhkh", UNMAPPED_TOPIC, None]
    messages = [
        message(
            channel=[Channel.IM, Channel.POS, Channel.GOSPUBLIC][n % 3],
            external_id=f"m-{n:04d}",
            topic_code=topics[n % len(topics)],
            address=f"ул. Ленина, {n % 7}" if n % 4 else "",
            received_at=NOW - timedelta(minutes=(n * 37) % 600),
            fast_track=n % 5 == 0,
        )
        for n in range(300)
    ]

    (single, single_state, _), (batch, batch_state, _) = both_ways(
        municipality, messages, django_capture_on_commit_callbacks
    )

    assert batch == single
    assert_same(single_state, batch_state)
    assert sum(v["is_repeat"] for v in batch_state["incidents"].values()) > 50


def test_each_message_repeats_what_its_own_window_holds(
    seeded: SeedLog,
    municipality: Municipality,
    staff: Staff,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The repeat window is each message's own: two messages of one batch at one place repeat
    different stored incidents; a merged incident is never an original."""
    lenina: dict[str, Any] = {"topic_code": POTHOLE, "address": "ул. Ленина, 9"}
    days = lambda n: NOW - timedelta(days=n)  # noqa: E731
    make_incident(municipality, external_id="s-early", received_at=days(70), **lenina)
    make_incident(municipality, external_id="s-late", received_at=days(32), **lenina)
    # Merged into an incident elsewhere: no original at its own place any more.
    duplicate = make_incident(
        municipality,
        external_id="s-merged",
        topic_code=POTHOLE,
        address="ул. Мира, 9",
        received_at=days(5),
    )
    parent = make_incident(
        municipality, external_id="s-parent", topic_code=POTHOLE, address="ул. Садовая, 1"
    )
    school: dict[str, Any] = {"topic_code": POTHOLE, "address": "ул. Школьная, 3"}
    make_incident(municipality, external_id="s-tie", received_at=days(3), **school)
    merged = lifecycle.incident_merge(
        incident=duplicate, into=parent, actor=staff.im_operator, expected_version=None
    )
    assert merged.status == Status.MERGED
    messages = [
        message(external_id="m-old", received_at=days(100), **lenina),  # before them all
        message(external_id="m-mid", received_at=days(50), **lenina),  # s-early's window
        message(external_id="m-new", received_at=days(1), **lenina),  # s-late a day too old
        message(external_id="m-now", **lenina),  # m-new's, of this batch
        message(external_id="m-mira", topic_code=POTHOLE, address="ул. Мира, 9"),  # original
        message(external_id="m-tie", received_at=days(3), **school),  # s-tie's moment: original
        # s-tie and m-tie are equally early; the stored one was first.
        message(external_id="m-after", received_at=days(2), **school),
    ]

    (single, single_state, _), (batch, batch_state, _) = both_ways(
        municipality, messages, django_capture_on_commit_callbacks
    )

    assert batch == single
    assert_same(single_state, batch_state)
    repeats = {k: v["repeat_of"] for k, v in batch_state["incidents"].items() if v["is_repeat"]}
    assert {k: v for k, v in repeats.items() if k.startswith("m-")} == {
        "m-mid": "s-early",
        "m-now": "m-new",
        "m-after": "s-tie",
    }


def test_a_batch_is_a_constant_number_of_statements(
    seeded: SeedLog,
    municipality: Municipality,
    staff: Staff,
    django_assert_max_num_queries: Any,
) -> None:
    """Lookups once per batch, not once per message (on PostgreSQL the inserts are COPY).

    SQLite, the laptop default, looks up each message's repeat on its own: one query a message
    with a place, nothing else per message."""
    messages = [
        message(external_id=f"q-{n}", topic_code=POTHOLE, address=f"ул. Мира, {n}")
        for n in range(200)
    ]
    per_message = 0 if connection.vendor == "postgresql" else 1
    with django_assert_max_num_queries(40 + per_message * len(messages)):
        results = incident_create_many(municipality=municipality, messages=messages)
    assert [r.created for r in results] == [True] * 200


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's planner; CI runs on PostgreSQL"
)
def test_incidents_without_planner_statistics_are_analyzed_before_the_repeat_probe(
    seeded: SeedLog,
    municipality: Municipality,
    staff: Staff,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A new installation's incidents have no planner statistics until autovacuum's first
    ANALYZE. Planned without them, the repeat probe took the received-time index and read the
    municipality's whole window for every message (9 s a batch of 500 at 20 000 incidents).
    The batch intake analyzes such a table itself, so the probe takes the repeat index."""
    table = Incident._meta.db_table
    stats_sql = (
        "SELECT count(*) FROM pg_stats WHERE schemaname = current_schema()"
        " AND tablename = %s AND attname = 'address_key'"
    )
    with connection.cursor() as cursor:
        # A column's new type drops its statistics (the test's transaction rolls this back).
        cursor.execute(f"ALTER TABLE {table} ALTER COLUMN address_key TYPE varchar(501)")
        cursor.execute(stats_sql, [table])
        assert cursor.fetchone() == (0,)
    monkeypatch.setattr(intake_many, "_planner_has_statistics", False)

    template = make_incident(municipality, external_id="st-template", topic_code=POTHOLE)
    # 20 000 copies of it over the last 20 days, each at an address of its own, written by one
    # statement (the intake would take a while); the batch below finds them with no statistics.
    copy_row(
        Incident,
        template.pk,
        20_000,
        external_id="'st-' || n",
        address_key="'ул мира д ' || n",
        received_at="received_at - n * interval '86 seconds'",  # 20 000 × 86 s ≈ 20 days
    )
    incident_create_many(
        municipality=municipality,
        messages=[
            message(external_id=f"st-batch-{n}", topic_code=POTHOLE, address=f"ул. Мира, {n}")
            for n in range(500)
        ],
    )

    with connection.cursor() as cursor:
        cursor.execute(stats_sql, [table])
        assert cursor.fetchone() == (1,)
        places = Incident.objects.filter(external_id__startswith="st-batch-").values_list(
            "topic_id", "address_key"
        )
        probes = [((topic, key, None), NOW - timedelta(days=30), NOW) for topic, key in places]
        cursor.execute(
            "EXPLAIN (FORMAT JSON) " + intake_many._PROBE_SQL,
            [intake_many._probe_document(probes), municipality.pk, Status.MERGED.value],
        )
        (plan,) = cursor.fetchone()
    plan_text = json.dumps(plan)
    assert set(re.findall(r'"Index Name": "(\w+)"', plan_text)) == {"incident_repeat_lookup"}


def test_an_incident_made_meanwhile_by_another_process_is_returned_not_doubled(
    seeded: SeedLog,
    municipality: Municipality,
    staff: Staff,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Between the batch's check and its insert another process creates one of its incidents:
    the unique key refuses the insert, the batch is redone one by one, nothing is doubled."""
    made_meanwhile = make_incident(municipality, external_id="race-2", topic_code=POTHOLE)
    monkeypatch.setattr(intake_many, "_existing", lambda municipality, messages: {})

    results = incident_create_many(
        municipality=municipality,
        messages=[message(external_id=f"race-{n}", topic_code=POTHOLE) for n in range(1, 4)],
    )

    assert [(r.incident.external_id, r.created) for r in results if r.incident] == [
        ("race-1", True),
        ("race-2", False),
        ("race-3", True),
    ]
    assert results[1].incident is not None
    assert results[1].incident.pk == made_meanwhile.pk
    assert Incident.objects.filter(external_id__startswith="race-").count() == 3


def test_refused_messages_carry_their_error_and_write_nothing(
    seeded: SeedLog, municipality: Municipality
) -> None:
    results = incident_create_many(
        municipality=municipality,
        messages=[message(external_id=""), message(external_id="x", channel="fax")],
    )

    assert [type(r.error) for r in results] == [InvalidInput, InvalidInput]
    assert [getattr(r.error, "field", None) for r in results] == ["external_id", "channel"]
    assert Incident.objects.count() == 0
    assert Topic.objects.exists()  # the seed is there: nothing was refused for lack of it


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's planner; CI runs on PostgreSQL"
)
def test_a_municipality_new_to_the_statistics_finds_its_stored_incidents_by_the_unique_key(
    seeded: SeedLog, municipality: Municipality, other_municipality: Municipality
) -> None:
    """A municipality's first import is planned with statistics taken before it had a row,
    which say it has none. With its id a constant, every index beginning with the municipality
    looked as cheap as the unique key, and each batch's look for stored incidents read all the
    municipality's incidents."""
    template = make_incident(municipality, external_id="st-template", topic_code=POTHOLE)
    copy_row(Incident, template.pk, 20_000, external_id="'st-old-' || n")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Incident._meta.db_table}")
    # Its first import, after the statistics.
    copy_row(
        Incident,
        template.pk,
        20_000,
        external_id="'st-new-' || n",
        municipality_id=str(other_municipality.pk),
    )
    wanted = [
        message(channel=template.channel, external_id=f"st-new-{n}") for n in range(1000, 1500)
    ]

    with municipality_scope(other_municipality.pk), CaptureQueriesContext(connection) as queries:
        found = intake_many._existing(other_municipality, wanted)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + queries.captured_queries[-1]["sql"])
            (plan,) = cursor.fetchone()

    assert sorted(found) == sorted((template.channel, m.external_id) for m in wanted)
    assert {i.municipality_id for i in found.values()} == {other_municipality.pk}
    assert set(re.findall(r'"Index Name": "(\w+)"', json.dumps(plan))) == {
        "incident_external_unique"
    }
