"""Regions and the five tenant municipalities, from the acts in ``shared/seeds/``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RegionSeed:
    code: str  # код субъекта Российской Федерации
    slug: str
    name: str
    cur_name: str
    coordination_center_name: str = ""


@dataclass(frozen=True)
class MunicipalitySeed:
    slug: str
    name: str
    short_name: str
    region: str  # RegionSeed.slug
    timezone: str
    act_title: str
    act_date: date | None


REGIONS: tuple[RegionSeed, ...] = (
    RegionSeed(
        code="14",
        slug="yakutia",
        name="Республика Саха (Якутия)",
        cur_name="Центр управления регионом Республики Саха (Якутия)",
        # 000 (Ленский), Положение п. 1.2: operations are steered by the Coordination Center.
        coordination_center_name=(
            "Координационный центр по управлению инцидентами в Республике Саха (Якутия)"
        ),
    ),
    RegionSeed(
        code="19",
        slug="khakassia",
        name="Республика Хакасия",
        cur_name="Центр управления регионом Республики Хакасия",
    ),
    RegionSeed(
        code="24",
        slug="krasnoyarsk",
        name="Красноярский край",
        # 002 (Сосновоборский), Положение п. 1.3.
        cur_name=(
            "Центр управления регионом по Красноярскому краю "
            "(отдел по взаимодействию с Красноярским краем АНО «Диалог Регионы»)"
        ),
    ),
    RegionSeed(
        code="51",
        slug="murmansk",
        name="Мурманская область",
        cur_name="Центр управления регионом Мурманской области",
    ),
    RegionSeed(
        code="86",
        slug="yugra",
        name="Ханты-Мансийский автономный округ – Югра",
        cur_name="Центр управления регионом Ханты-Мансийского автономного округа – Югры",
    ),
)

MUNICIPALITIES: tuple[MunicipalitySeed, ...] = (
    MunicipalitySeed(
        slug="lensky",
        name="Муниципальный район «Ленский район» Республики Саха (Якутия)",
        short_name="Ленский район",
        region="yakutia",
        timezone="Asia/Yakutsk",
        act_title="Распоряжение главы МР «Ленский район» от 11.03.2025 № 01-04-322/5",
        act_date=date(2025, 3, 11),
    ),
    MunicipalitySeed(
        slug="askiz",
        name="Муниципальное образование Аскизский район Республики Хакасия",
        short_name="Аскизский район",
        region="khakassia",
        timezone="Asia/Krasnoyarsk",
        act_title="Постановление Администрации Аскизского района от 18.07.2022 № 523-п",
        act_date=date(2022, 7, 18),
    ),
    MunicipalitySeed(
        slug="sosnovoborsk",
        name="Сосновоборский муниципальный округ Красноярского края",
        short_name="Сосновоборский муниципальный округ",
        region="krasnoyarsk",
        timezone="Asia/Krasnoyarsk",
        act_title=(
            "Постановление Администрации Сосновоборского муниципального округа "
            "от 30.01.2026 № 100-АП"
        ),
        act_date=date(2026, 1, 30),
    ),
    MunicipalitySeed(
        slug="lovozero",
        name="Муниципальное образование Ловозерский район Мурманской области",
        short_name="Ловозерский район",
        region="murmansk",
        timezone="Europe/Moscow",
        act_title="Распоряжение администрации Ловозерского района от 14.02.2024 № 20-РГ",
        act_date=date(2024, 2, 14),
    ),
    MunicipalitySeed(
        slug="oktyabrsky",
        name=(
            "Муниципальное образование Октябрьский район "
            "Ханты-Мансийского автономного округа – Югры"
        ),
        short_name="Октябрьский район",
        region="yugra",
        timezone="Asia/Yekaterinburg",
        # The act leaves its day, month and number blank.
        act_title="Постановление администрации Октябрьского района от «__» ______ 2025 г. № __",
        act_date=None,
    ),
)
