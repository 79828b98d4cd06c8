"""Shared fixtures of the lifecycle and answer-flow modules: Октябрьский seeded once per module,
time frozen at ``NOW``, the municipality's scope active, and its staff.

Imported by name into a test module (``from incidents.tests.oktyabrsky import …``) so that the
module-scoped seed stays per module, as ``seeded_once`` requires.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from time_machine import TimeMachineFixture

from incidents.tests.factories import NOW, Staff, oktyabrsky_staff, seeded_once
from mcu.models import Municipality
from mcu.seeding import SeedLog
from mcu.tenancy import municipality_scope
from roles.models import User

OKTYABRSKY = ZoneInfo("Asia/Yekaterinburg")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=OKTYABRSKY)


@pytest.fixture(scope="module")
def _seed_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with seeded_once(django_db_blocker):
        yield


@pytest.fixture
def seeded(_seed_once: None, db: None) -> SeedLog:
    """The conftest's seed, made once per module (see ``seeded_once``)."""
    return SeedLog()


@pytest.fixture(autouse=True)
def frozen(time_machine: TimeMachineFixture) -> TimeMachineFixture:
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture(autouse=True)
def scope(municipality: Municipality) -> Iterator[None]:
    with municipality_scope(municipality.pk):
        yield


@pytest.fixture
def staff(municipality: Municipality, make_user: Callable[..., User]) -> Staff:
    return oktyabrsky_staff(municipality, make_user)
