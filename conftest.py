"""Fixtures shared by every test: municipalities from the real seed, and a user per role.

Tests build on the same seed as production (``manage.py seed``), so what they assert about
rosters is what a municipality really gets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import Client

from mcu.models import Municipality
from mcu.seeding import SeedLog
from mcu.tenancy import dangerously_unscoped, municipality_scope
from roles.models import Role, RoleAssignment, User


@pytest.fixture
def seeded(db: None) -> SeedLog:
    """The five municipalities with their act rosters."""
    from django.core.management import call_command

    call_command("seed", verbosity=0, stdout=_Null())
    return SeedLog()


class _Null:
    def write(self, *_: object) -> None:
        pass


@pytest.fixture
def demo_accounts(seeded: SeedLog) -> None:
    """The demo logins (``<slug>-<role>`` / mcu-demo, ``admin``) without the demo incidents:
    most tests need people, not the few thousand demo messages ``seed_demo`` also makes."""
    from roles.services import demo_accounts_seed

    demo_accounts_seed(log=SeedLog())


@pytest.fixture
def municipality(seeded: SeedLog) -> Municipality:
    return Municipality.objects.get(slug="oktyabrsky")


@pytest.fixture
def other_municipality(seeded: SeedLog) -> Municipality:
    return Municipality.objects.get(slug="lensky")


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    """A user holding ``role`` in ``municipality`` (optionally for a sector / channel)."""
    counter = iter(range(1, 10_000))

    def make(
        role: Role | str,
        municipality: Municipality,
        *,
        username: str | None = None,
        password: str = "pass-Секрет-123",
        **assignment: object,
    ) -> User:
        user = User.objects.create_user(
            username=username or f"{municipality.slug}-{role}-{next(counter)}",
            password=password,
            full_name=f"Тестовый {role}",
        )
        with municipality_scope(municipality.pk):
            RoleAssignment.objects.create(
                municipality=municipality, user=user, role=str(role), **assignment
            )
        return user

    return make


@pytest.fixture
def login(client: Client) -> Callable[[User], Client]:
    def do(user: User) -> Client:
        client.force_login(user)
        return client

    return do


@pytest.fixture
def unscoped() -> Iterator[None]:
    """For assertions that look at all tenants at once (never for code under test)."""
    with dangerously_unscoped(reason="test assertions across tenants"):
        yield
