"""Fixtures of the incident list tests: Октябрьский's staff."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from incidents.tests.factories import Staff, oktyabrsky_staff
from mcu.models import Municipality
from roles.models import User


@pytest.fixture
def staff(municipality: Municipality, make_user: Callable[..., User]) -> Staff:
    return oktyabrsky_staff(municipality, make_user)
