"""Seeding the incident domain: the рубрикатор, topic → sector mapping, default SLA policies."""

from __future__ import annotations

from django.db import transaction

from incidents.models import SectorTopic, SlaPolicy, Topic
from incidents.seed_data import DEFAULT_POLICIES, TOPICS
from mcu.models import Municipality
from mcu.seeding import SeedLog, seed_upsert
from mcu.tenancy import municipality_scope
from roles.models import Sector


def topics_seed(*, log: SeedLog) -> dict[str, Topic]:
    roots: dict[str, Topic] = {}
    for order, (code, name, children) in enumerate(TOPICS, start=1):
        root = seed_upsert(
            Topic,
            lookup={"code": code},
            values={"name": name, "parent": None, "order": order},
            log=log,
        )
        roots[code] = root
        for child_order, (child_code, child_name) in enumerate(children, start=1):
            seed_upsert(
                Topic,
                lookup={"code": f"{code}.{child_code}"},
                values={"name": child_name, "parent": root, "order": child_order},
                log=log,
            )
    return roots


def sector_topics_seed(
    *, municipality: Municipality, roots: dict[str, Topic], log: SeedLog
) -> None:
    """Each root topic to the block whose act wording covers it (Sector.topic_codes).

    Topics no block covers stay unmapped: such messages wait for an operator to route them by
    hand, which the auto-delivery KPI then counts honestly as manual.
    """
    with municipality_scope(municipality.pk):
        for sector in Sector.objects.filter(municipality=municipality).order_by("order"):
            for code in sector.topic_codes:
                if code in roots:
                    seed_upsert(
                        SectorTopic,
                        lookup={"municipality": municipality, "topic": roots[code]},
                        values={"sector": sector},
                        log=log,
                    )


def sla_policies_seed(*, municipality: Municipality, log: SeedLog) -> None:
    with municipality_scope(municipality.pk):
        for policy in DEFAULT_POLICIES:
            existing = SlaPolicy.objects.filter(
                municipality=municipality,
                channel=policy.channel,
                stage=policy.stage,
                fast_track=policy.fast_track,
                topic__isnull=True,
            ).first()
            if existing is not None:
                continue  # the municipality may have changed its terms: never overwrite them
            SlaPolicy.objects.create(
                municipality=municipality,
                channel=policy.channel,
                stage=policy.stage,
                fast_track=policy.fast_track,
                amount=policy.amount,
                unit=policy.unit.value,
                warn_before=policy.warn_before,
                source=policy.source,
            )
            log.record("incidents.SlaPolicy", created=True)


@transaction.atomic
def incidents_reference_seed(*, log: SeedLog) -> None:
    roots = topics_seed(log=log)
    for municipality in Municipality.objects.order_by("slug"):
        sector_topics_seed(municipality=municipality, roots=roots, log=log)
        sla_policies_seed(municipality=municipality, log=log)
