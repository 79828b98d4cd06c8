"""The masking rules of ``incidents.masking`` and ``api.privacy`` (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from api.privacy import round_coordinate
from incidents.masking import coarse_address, scrub_text


@pytest.mark.parametrize(
    ("address", "street"),
    [
        ("пгт. Октябрьское, ул. Ленина, 5", "пгт. Октябрьское, ул. Ленина"),
        ("пгт. Октябрьское, ул. Ленина, д. 5, кв. 12", "пгт. Октябрьское, ул. Ленина"),
        ("г. Ленск, ул. Победы 12а", "г. Ленск, ул. Победы"),
        ("с. Аскиз, ул. Суворова, дом 7, корп. 2", "с. Аскиз, ул. Суворова"),
        ("ул. Мира, 10/2, подъезд 3", "ул. Мира"),
        ("Сосновоборск, проспект Мира", "Сосновоборск, проспект Мира"),
        ("", ""),
    ],
)
def test_coarse_address_keeps_the_street(address, street) -> None:
    assert coarse_address(address) == street


@pytest.mark.parametrize(
    ("text", "name", "scrubbed"),
    [
        ("пишите на a.b-c@mail.example.ru", "", "пишите на [скрыто]"),
        ("тел. +7 (912) 345-67-89", "", "тел. [скрыто]"),
        ("тел. 89123456789, спасибо", "", "тел. [скрыто], спасибо"),
        ("8 912 345 67 89", "", "[скрыто]"),
        ("дом 8, квартира 15, 2026 год", "", "дом 8, квартира 15, 2026 год"),
        ("Меня зовут ПЕТРОВ ПЁТР, помогите", "Петров Пётр", "Меня зовут [скрыто], помогите"),
        ("Яма у дома", "Ян", "Яма у дома"),  # names shorter than 3 letters are not searched
    ],
)
def test_scrub_text(text, name, scrubbed) -> None:
    assert scrub_text(text, citizen_name=name) == scrubbed


def test_coordinates_are_rounded_to_about_100_metres() -> None:
    assert round_coordinate(Decimal("62.455123"), exact=False) == 62.455
    assert round_coordinate(Decimal("62.455123"), exact=True) == 62.455123
    assert round_coordinate(None, exact=False) is None
