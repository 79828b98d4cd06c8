"""Writes of the tenancy core."""

from __future__ import annotations

from django.db import transaction

from mcu.models import Municipality, Region
from mcu.seed_data import MUNICIPALITIES, REGIONS
from mcu.seeding import SeedLog, seed_upsert


@transaction.atomic
def regions_and_municipalities_seed(*, log: SeedLog) -> None:
    regions: dict[str, Region] = {}
    for region in REGIONS:
        regions[region.slug] = seed_upsert(
            Region,
            lookup={"slug": region.slug},
            values={
                "code": region.code,
                "name": region.name,
                "cur_name": region.cur_name,
                "coordination_center_name": region.coordination_center_name,
            },
            log=log,
        )
    for municipality in MUNICIPALITIES:
        seed_upsert(
            Municipality,
            lookup={"slug": municipality.slug},
            values={
                "name": municipality.name,
                "short_name": municipality.short_name,
                "region": regions[municipality.region],
                "timezone": municipality.timezone,
                "act_title": municipality.act_title,
                "act_date": municipality.act_date,
            },
            log=log,
        )
