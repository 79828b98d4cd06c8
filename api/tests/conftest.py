"""Fixtures of the API tests: tokens made by the real service, a client that sends them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from api.tokens import IssuedToken, api_token_create
from incidents.tests.factories import seeded_once
from mcu.models import Municipality
from mcu.seeding import SeedLog


class ApiClient:
    """A Django test client that sends ``Authorization: Bearer <token>`` with every request."""

    def __init__(self, secret: str | None) -> None:
        self.client = Client()
        self.secret = secret

    def get(self, path: str, data: Any = None, **extra: Any) -> Any:
        if self.secret is not None:
            extra.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.secret}")
        return self.client.get(path, data, **extra)

    def head(self, path: str, data: Any = None, **extra: Any) -> Any:
        if self.secret is not None:
            extra.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.secret}")
        return self.client.head(path, data, **extra)


@pytest.fixture(scope="module")
def _seed_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with seeded_once(django_db_blocker):
        yield


@pytest.fixture
def seeded(_seed_once: None, db: None) -> SeedLog:
    """The root conftest's seed, made once per module (``seeded_once``): each test's writes
    roll back to it."""
    return SeedLog()


@pytest.fixture
def make_token(db: None) -> Callable[..., IssuedToken]:
    counter = iter(range(1, 10_000))

    def make(**options: Any) -> IssuedToken:
        options.setdefault("name", f"test-token-{next(counter)}")
        return api_token_create(**options)

    return make


@pytest.fixture
def api(make_token: Callable[..., IssuedToken]) -> Callable[..., ApiClient]:
    """``api(municipality_slugs=[...])`` / ``api(region_codes=[...])``: a client, a new token."""

    def make(**options: Any) -> ApiClient:
        return ApiClient(make_token(**options).secret)

    return make


@pytest.fixture
def yugra(seeded: SeedLog) -> Municipality:
    """Октябрьский район, Ханты-Мансийский АО — Югра (region code 86)."""
    return Municipality.objects.get(slug="oktyabrsky")


@pytest.fixture(autouse=True)
def _no_sync_lag(settings: Any) -> None:
    """Rows written a moment ago are served at once: the lag has its own tests (test_api_sync)."""
    settings.API_SYNC_LAG_SECONDS = 0


@pytest.fixture
def lensky(seeded: SeedLog) -> Municipality:
    """Ленский район, Якутия (region code 14)."""
    return Municipality.objects.get(slug="lensky")


@pytest.fixture
def askiz(seeded: SeedLog) -> Municipality:
    """Аскизский район, Хакасия (region code 19)."""
    return Municipality.objects.get(slug="askiz")
