"""The masked text and address an incident stores when it is made (``incidents.masking``), and
the fill of migration 0010 for incidents made before it."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from incidents.masking import (
    SAME_AS_TEXT,
    coarse_address,
    masked_columns,
    public_address,
    public_text,
    scrub_text,
)
from incidents.models import Incident
from incidents.tests.factories import fresh, make_incident
from incidents.tests.oktyabrsky import _seed_once, seeded  # noqa: F401 - pytest fixtures
from mcu.models import Municipality
from mcu.seeding import SeedLog
from mcu.tenancy import municipality_scope

TEXT = "Иванов Иван пишет: яма у дома, звоните +7 (912) 345-67-89, ivanov@example.ru"
SCRUBBED = "[скрыто] пишет: яма у дома, звоните [скрыто], [скрыто]"
ADDRESS = "пгт. Октябрьское, ул. Ленина, д. 5, кв. 12"
STREET = "пгт. Октябрьское, ул. Ленина"
PLAIN = "Третью неделю не вывозят мусор с площадки во дворе."


def test_a_text_with_something_to_hide_is_stored_masked() -> None:
    stored = masked_columns(text=TEXT, citizen_name="Иванов Иван", address=ADDRESS)
    assert stored == {"masked_text": SCRUBBED, "masked_address": STREET}
    # A page need not carry the originals (``None``) when the masked forms are stored.
    text = public_text(text=None, masked_text=stored["masked_text"], citizen_name="Иванов Иван")
    assert text == SCRUBBED
    assert public_address(address=None, masked_address=stored["masked_address"]) == STREET


def test_a_text_with_nothing_to_hide_is_not_stored_twice() -> None:
    stored = masked_columns(text=PLAIN, citizen_name="Петров Пётр", address="")
    assert stored == {"masked_text": SAME_AS_TEXT, "masked_address": ""}
    same = stored["masked_text"]
    assert public_text(text=PLAIN, masked_text=same, citizen_name="Петров Пётр") == PLAIN


def test_a_row_without_stored_forms_is_masked_when_read() -> None:
    assert public_text(text=TEXT, masked_text=None, citizen_name="Иванов Иван") == SCRUBBED
    assert public_address(address=ADDRESS, masked_address=None) == STREET


@pytest.fixture
def oktyabrsky(seeded: SeedLog) -> Municipality:
    return Municipality.objects.get(slug="oktyabrsky")


def test_the_intake_stores_the_masked_forms(oktyabrsky) -> None:
    made = make_incident(oktyabrsky, text=TEXT, citizen_name="Иванов Иван", address=ADDRESS)
    masked = fresh(made)
    assert (masked.masked_text, masked.masked_address) == (SCRUBBED, STREET)
    plain = fresh(make_incident(oktyabrsky, text=PLAIN, address="ул. Мира, 10/2"))
    assert (plain.masked_text, plain.masked_address) == (SAME_AS_TEXT, "ул. Мира")


def test_migration_0010_fills_incidents_made_before_it(oktyabrsky) -> None:
    made = [
        make_incident(oktyabrsky, text=TEXT, citizen_name="Иванов Иван", address=ADDRESS),
        make_incident(oktyabrsky, text=PLAIN, citizen_name="", address=""),
    ]
    with municipality_scope(oktyabrsky.pk):
        rows = Incident.objects.filter(pk__in=[i.pk for i in made])
        before = dict(rows.values_list("pk", "updated_at"))
        rows.update(masked_text=None, masked_address=None)  # as before the migration
    migration = importlib.import_module("incidents.migrations.0010_masked_text_and_address")
    # The fill uses only the editor's connection; SQLite's editor cannot open inside the
    # test's transaction.
    migration.fill_masked(apps, SimpleNamespace(connection=connection))
    with municipality_scope(oktyabrsky.pk):
        after = {row["id"]: row for row in rows.values()}
    for incident in made:
        row = after[incident.pk]
        assert (
            row["masked_text"]
            == masked_columns(
                text=incident.text, citizen_name=incident.citizen_name, address=incident.address
            )["masked_text"]
        )
        assert row["masked_address"] == coarse_address(incident.address)
        # The API's output does not change: a ЦУР must not be sent every row again.
        assert row["updated_at"] == before[incident.pk]
    assert after[made[0].pk]["masked_text"] == scrub_text(TEXT, citizen_name="Иванов Иван")
