"""``bulk.unsaved``: the batch's constructor must build exactly what ``Model(**values)`` builds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import models

from incidents.models import Incident, Topic
from incidents.services.bulk import unsaved
from integrations.models import InboundMessage
from mcu.models import Municipality
from roles.models import Sector


def state(obj: models.Model) -> tuple[dict[str, object], dict[str, object], bool]:
    values = {k: v for k, v in vars(obj).items() if k != "_state"}
    return values, dict(obj._state.fields_cache), obj._state.adding


@pytest.mark.django_db
def test_the_same_instance_as_the_keyword_constructor(municipality: Municipality):
    topic = Topic.objects.filter(parent__isnull=False).first()
    sector = Sector(pk=41, code="zkh", name="ЖКХ")
    values = {
        "municipality": municipality,
        "channel": "pos",
        "external_id": "p-1",
        "topic": topic,
        "sector": sector,
        "org_unit": None,
        "text": "Нет отопления",
        "latitude": Decimal("62.1"),
        "received_at": datetime(2026, 11, 22, 5, 15, tzinfo=UTC),
        "auto_routed": True,
        "repeat_of_id": 7,
    }
    built = unsaved(Incident, **values)
    assert state(built) == state(Incident(**values))
    assert built.municipality is municipality  # cached: reading it costs no query
    assert built.sector is sector


def test_an_unknown_name_is_refused_as_the_model_refuses_it():
    with pytest.raises(TypeError, match="colour"):
        unsaved(Incident, colour="red")


def test_a_default_made_per_instance_is_made_for_each_one(municipality: Municipality):
    # ``headers`` defaults to ``dict``: two messages sharing one dict would share their changes.
    first = unsaved(InboundMessage, municipality=municipality, channel="pos", external_id="a")
    second = unsaved(InboundMessage, municipality=municipality, channel="pos", external_id="b")
    first.headers["x"] = "1"
    assert second.headers == {}
    keyword = InboundMessage(municipality=municipality, channel="pos", external_id="b")
    assert state(second) == state(keyword)


def test_an_explicit_id_wins_over_the_related_object_as_in_the_keyword_constructor(
    municipality: Municipality,
):
    sector = Sector(pk=41, code="zkh", name="ЖКХ")
    built = unsaved(Incident, municipality=municipality, sector=sector, sector_id=42)
    assert (
        built.sector_id
        == Incident(municipality=municipality, sector=sector, sector_id=42).sector_id
    )
