"""The batch intake's shortcuts answer what the general paths answer.

``clocks_create`` (the first clocks of a batch, one COPY) must write what ``clocks_sync`` (read,
lock, upsert) writes for the same incidents; ``RoleSeats`` (the roster read once) must name
whom ``role_holders`` names. ``test_intake_many.py`` checks the batch as a whole against the
single path; these pin each shortcut on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from incidents.models import IncidentClock
from incidents.services.bulk import COPY_FROM
from incidents.services.clock import clocks_create, clocks_sync
from incidents.services.intake import OPERATOR_ROLE, incident_create_many
from incidents.tests.factories import NOW, POTHOLE, UNMAPPED_TOPIC, message
from incidents.tests.oktyabrsky import _seed_once, frozen, seeded  # noqa: F401 - pytest fixtures
from mcu.models import Municipality
from mcu.seeding import SeedLog
from mcu.tenancy import WrongMunicipality, municipality_scope
from roles.models import Channel, Role, Sector, User
from roles.selectors import RoleSeats, role_holders


def _clocks(municipality: Municipality) -> dict[int, dict[str, Any]]:
    return {
        clock.incident_id: {
            field.attname: getattr(clock, field.attname) for field in IncidentClock._meta.fields
        }
        for clock in IncidentClock.objects.filter(municipality=municipality)
    }


@pytest.mark.parametrize("count", [3, COPY_FROM + 10])  # bulk_create below COPY_FROM, COPY above
def test_clocks_create_writes_what_clocks_sync_writes(
    seeded: SeedLog, municipality: Municipality, count: int
) -> None:
    channels = [Channel.IM, Channel.POS, Channel.GOSPUBLIC, Channel.APPEAL]
    topics = [POTHOLE, "roads", UNMAPPED_TOPIC, None]
    messages = [
        message(
            channel=channels[n % len(channels)],
            external_id=f"c-{n}",
            topic_code=topics[n % len(topics)],
            received_at=NOW - timedelta(minutes=13 * n),
            fast_track=n % 5 == 0,
        )
        for n in range(count)
    ]
    with municipality_scope(municipality.pk):
        incidents = [
            result.incident
            for result in incident_create_many(municipality=municipality, messages=messages)
            if result.incident is not None
        ]
        created = _clocks(municipality)
        IncidentClock.objects.filter(municipality=municipality).delete()
        clocks_sync(incidents)
        synced = _clocks(municipality)

    assert created == synced
    assert len(created) == count
    # The stage terms were really derived (a policy with a warning), not left empty.
    assert any(clock["stage_warn_at"] is not None for clock in created.values())


def test_clocks_create_refuses_incidents_outside_the_scope(
    seeded: SeedLog, municipality: Municipality, other_municipality: Municipality
) -> None:
    with municipality_scope(municipality.pk):
        [result] = incident_create_many(
            municipality=municipality, messages=[message(external_id="scope-1")]
        )
        assert result.incident is not None
        IncidentClock.objects.filter(incident=result.incident).delete()
    with municipality_scope(other_municipality.pk), pytest.raises(WrongMunicipality):
        clocks_create([result.incident])


def test_role_seats_answer_what_role_holders_answers(
    seeded: SeedLog, municipality: Municipality, make_user: Callable[..., User]
) -> None:
    """The batch intake and the sweep (every rung of its ladder) read the roster once; they
    must name exactly whom ``role_holders`` names, users and ids alike."""
    with municipality_scope(municipality.pk):
        roads = Sector.objects.get(municipality=municipality, code="roads")
    make_user(Role.SECTOR_OWNER, municipality, sector=roads)
    make_user(Role.SECTOR_CURATOR, municipality)  # no block: curates them all
    make_user(Role.SECTOR_OWNER, municipality, sector=roads, valid_to=date(2020, 1, 1))
    make_user(Role.IM_OPERATOR, municipality, channel="im")
    make_user(Role.EXECUTOR, municipality)
    inactive = make_user(Role.HEAD, municipality)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])

    role_sets = [
        (Role.SECTOR_OWNER, Role.EXECUTOR),
        (Role.SECTOR_CURATOR,),
        (Role.HEAD,),
        (Role.CURATOR,),
        (Role.EXECUTOR,),
    ]
    compared: list[list[int]] = []
    for here in Municipality.objects.order_by("pk"):
        with municipality_scope(here.pk):
            seats = RoleSeats(municipality=here)
            sectors = list(Sector.objects.filter(municipality=here).values_list("pk", flat=True))
            questions = [
                ({"roles": roles, "sector_id": sector_id})
                for roles in role_sets
                for sector_id in [None, *sectors]
            ] + [{"roles": (role,), "channel": channel} for channel, role in OPERATOR_ROLE.items()]
            for question in questions:
                expected = role_holders(municipality=here, **question)
                assert seats.holders(**question) == expected
                answer = seats.holder_ids(**question)
                assert answer == [user.pk for user in expected]
                compared.append(answer)
    assert len(compared) == 5 * 5 + 5 * (8 + 2 + 7) + 5 * 6  # every municipality, block, rung
    assert any(compared)  # somebody holds a seat: the comparison was not of empty lists only
