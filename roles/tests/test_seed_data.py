"""The seed rosters are internally consistent and say what the founding acts say.

Pure Python: no database, no Django settings. Facts asserted here are quoted from the acts in
``shared/seeds/`` (see each data module's docstring for the clause).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from roles.seed_data import ROSTERS
from roles.seed_data.types import (
    CHANNEL_CODES,
    ORG_UNIT_KINDS,
    ROLE_CODES,
    TOPIC_CODES,
    RoleSeed,
    RosterSeed,
)

SLUGS = ("lensky", "askiz", "sosnovoborsk", "lovozero", "oktyabrsky")
PERSON_KEY = re.compile(r"[a-z0-9-]+")
CODE = re.compile(r"[a-z0-9_]+")
# «Фамилия И.О.» (a surname may be hyphenated)
FULL_NAME = re.compile(r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)? [А-ЯЁ]\.[А-ЯЁ]\.")

# Channel a role must carry; roles not listed here carry no channel.
ROLE_CHANNEL = {
    "pos_operator": "pos",
    "im_operator": "im",
    "appeals_officer": "appeal",
    "gospublic_officer": "gospublic",
    "sed_curator": "appeal",
}
SECTOR_ROLES = {"sector_curator", "sector_owner"}

rosters = pytest.mark.parametrize("roster", list(ROSTERS.values()), ids=list(ROSTERS))


def _roles_of(roster: RosterSeed, person_key: str) -> list[str]:
    return [role.role for role in roster.roles if role.person == person_key]


def _person_key(roster: RosterSeed, position: str) -> str:
    (key,) = [person.key for person in roster.persons if person.position == position]
    return key


def _holders(roster: RosterSeed, role_code: str) -> list[str]:
    """Full names of the persons holding ``role_code``, sorted."""
    names = {person.key: person.full_name for person in roster.persons}
    return sorted(
        names[role.person] for role in roster.roles if role.role == role_code and role.person
    )


def _strings(seed: object) -> list[str]:
    values: list[str] = []
    for value in vars(seed).values():
        if isinstance(value, str):
            values.append(value)
        elif isinstance(value, tuple):
            values.extend(v for v in value if isinstance(v, str))
    return values


def test_rosters_are_keyed_by_their_slug() -> None:
    assert list(ROSTERS) == list(SLUGS)
    assert all(roster.slug == slug for slug, roster in ROSTERS.items())


@rosters
def test_keys_are_unique_within_the_municipality(roster: RosterSeed) -> None:
    for keys in (
        [sector.code for sector in roster.sectors],
        [unit.code for unit in roster.org_units],
        [person.key for person in roster.persons],
    ):
        assert [key for key, n in Counter(keys).items() if n > 1] == []


@rosters
def test_codes_and_keys_are_ascii_slugs(roster: RosterSeed) -> None:
    for person in roster.persons:
        assert PERSON_KEY.fullmatch(person.key), person.key
        assert PERSON_KEY.fullmatch(f"{roster.slug}-{person.key}")
    for code in [s.code for s in roster.sectors] + [u.code for u in roster.org_units]:
        assert CODE.fullmatch(code), code


@rosters
def test_org_units_use_known_kinds_and_parents(roster: RosterSeed) -> None:
    codes = {unit.code for unit in roster.org_units}
    for unit in roster.org_units:
        assert unit.kind in ORG_UNIT_KINDS, unit
        assert unit.parent is None or unit.parent in codes, unit
        assert unit.parent != unit.code


@rosters
def test_sectors_use_known_topics_each_covered_once(roster: RosterSeed) -> None:
    for sector in roster.sectors:
        assert sector.topic_codes, sector.code
        assert set(sector.topic_codes) <= set(TOPIC_CODES), sector.code
        assert sector.name
        assert sector.act_clause
    topics = Counter(topic for sector in roster.sectors for topic in sector.topic_codes)
    assert [topic for topic, n in topics.items() if n > 1] == []


@rosters
def test_persons_are_named_only_with_a_source(roster: RosterSeed) -> None:
    units = {unit.code for unit in roster.org_units}
    for person in roster.persons:
        assert person.position
        assert person.org_unit is None or person.org_unit in units, person.key
        if person.full_name:
            assert FULL_NAME.fullmatch(person.full_name), person.full_name
            assert person.name_source, person.key
        else:
            assert person.name_source == "", person.key


@rosters
def test_every_person_holds_a_role(roster: RosterSeed) -> None:
    held = {role.person for role in roster.roles}
    assert [p.key for p in roster.persons if p.key not in held] == []


@rosters
def test_roles_reference_what_exists(roster: RosterSeed) -> None:
    persons = {person.key for person in roster.persons}
    sectors = {sector.code for sector in roster.sectors}
    units = {unit.code for unit in roster.org_units}
    for role in roster.roles:
        assert role.role in ROLE_CODES, role
        assert role.role != "regional_analyst", role
        assert role.person is None or role.person in persons, role
        assert role.sector is None or role.sector in sectors, role
        assert role.sector is None or role.role in SECTOR_ROLES, role
        assert role.org_unit is None or role.org_unit in units, role
        assert role.channel is None or role.channel in CHANNEL_CODES, role
        assert role.channel == ROLE_CHANNEL.get(role.role), role
        assert role.position_title, role
        assert role.act_clause, role


@rosters
def test_no_role_is_seeded_twice(roster: RosterSeed) -> None:
    def identity(role: RoleSeed) -> tuple[object, ...]:
        # group rows (person None) may repeat per sector, never for the same sector/channel
        return (role.role, role.person, role.sector, role.channel, role.position_title)

    assert [k for k, n in Counter(map(identity, roster.roles)).items() if n > 1] == []


@rosters
def test_text_has_no_extraction_artefacts(roster: RosterSeed) -> None:
    seeds: list[object] = [
        roster,
        *roster.sectors,
        *roster.org_units,
        *roster.persons,
        *roster.roles,
    ]
    for seed in seeds:
        for text in _strings(seed):
            assert "[bookmark" not in text, text
            assert "  " not in text, text
            assert text == text.strip(), text
            assert "\t" not in text, text
            assert "\n" not in text, text


def test_act_dates() -> None:
    assert {slug: roster.act_date for slug, roster in ROSTERS.items()} == {
        "lensky": date(2025, 3, 11),
        "askiz": date(2022, 7, 18),
        "sosnovoborsk": date(2026, 1, 30),
        "lovozero": date(2024, 2, 14),
        "oktyabrsky": None,
    }
    assert "20-РГ" in ROSTERS["lovozero"].act_title
    assert "2025" in ROSTERS["oktyabrsky"].act_title


# --- Ленский район: распоряжение от 11.03.2025 № 01-04-322/5, Приложения № 2 и 3 ---


def test_lensky_has_the_two_deputies_blocks() -> None:
    roster = ROSTERS["lensky"]
    assert [s.code for s in roster.sectors] == ["production", "social"]
    owners = {role.sector: role.person for role in roster.roles if role.role == "sector_owner"}
    assert owners == {"production": "deputy-production", "social": "deputy-social"}
    assert set(roster.sectors[0].topic_codes) == {
        "transport",
        "roads",
        "zhkh",
        "improvement",
        "construction",
    }
    assert set(roster.sectors[1].topic_codes) == {"education", "culture_sport", "social"}


def test_lensky_specialists_hold_two_roles_each() -> None:
    roster = ROSTERS["lensky"]
    assert sorted(_roles_of(roster, "specialist-appeals")) == ["appeals_officer", "pos_operator"]
    assert sorted(_roles_of(roster, "specialist-im")) == ["gospublic_officer", "im_operator"]
    named = {p.key: p.full_name for p in roster.persons if p.full_name}
    # Two chairs share «Главный специалист управления делами»: neither is guessed.
    assert named == {"district-head": "Черепанов А.В."}
    assert _roles_of(roster, "district-head") == ["curator"]


# --- Аскизский район: постановление от 18.07.2022 № 523-п, Приложение № 2 ---


def test_askiz_names_everyone_and_has_no_sectors() -> None:
    roster = ROSTERS["askiz"]
    assert roster.sectors == ()
    assert _holders(roster, "curator") == ["Симаткин В.И."]
    assert _holders(roster, "head") == ["Киргинекова Е.В."]
    assert _holders(roster, "im_operator") == ["Никифоров А.К."]
    assert _holders(roster, "pos_operator") == ["Пакачаков А.С.", "Топоев Д.А."]
    assert all(p.full_name for p in roster.persons)


# --- Сосновоборский МО: постановление от 30.01.2026 № 100-АП, Положение ---


def test_sosnovoborsk_has_the_seven_directions_of_2_1_2() -> None:
    roster = ROSTERS["sosnovoborsk"]
    assert [s.name for s in roster.sectors] == [
        "Образование",
        "Социальная защита",
        "Жилищно-коммунальное хозяйство",
        "Твердые коммунальные отходы",
        "Дороги",
        "Транспорт",
        "Энергетика",
    ]
    owned = [role.sector for role in roster.roles if role.role == "sector_owner"]
    assert owned == [s.code for s in roster.sectors]


def test_sosnovoborsk_names_nobody() -> None:
    roster = ROSTERS["sosnovoborsk"]
    assert roster.persons == ()
    assert all(role.person is None for role in roster.roles)
    assert Counter(role.role for role in roster.roles) == {
        "coordinator": 1,
        "curator": 1,
        "head": 1,
        "pos_operator": 1,
        "im_operator": 1,
        "gospublic_officer": 1,
        "sector_owner": 7,
    }


# --- Ловозерский район: распоряжение от 14.02.2024 № 20-РГ, Приложение № 2 ---


def test_lovozero_press_head_holds_four_roles() -> None:
    roster = ROSTERS["lovozero"]
    press_head = _person_key(roster, "Заведующий сектором пресс-службы")
    assert sorted(_roles_of(roster, press_head)) == [
        "ecpur_curator",
        "head",
        "im_operator",
        "pos_operator",
    ]


def test_lovozero_roster() -> None:
    roster = ROSTERS["lovozero"]
    assert roster.sectors == ()
    sed = _person_key(roster, "Начальник отдела по организационной, правовой и кадровой работе")
    assert _roles_of(roster, sed) == ["sed_curator"]
    admin = _person_key(roster, "Главный специалист – системный администратор")
    assert _roles_of(roster, admin) == ["tech_admin"]
    coordinator = _person_key(roster, "Глава администрации Ловозерского района")
    assert _roles_of(roster, coordinator) == ["coordinator"]
    assert {p.key: p.full_name for p in roster.persons if p.full_name} == {
        coordinator: "Кузнецова Н.А."
    }
    executors = [role for role in roster.roles if role.role == "executor"]
    assert [role.person for role in executors] == [None]


# --- Октябрьский район: постановление 2025 г., Приложение № 1 и Положение ---


def test_oktyabrsky_has_the_eight_blocks_of_1_4() -> None:
    roster = ROSTERS["oktyabrsky"]
    assert [s.name for s in roster.sectors] == [
        "Жилищно-коммунальное хозяйство и энергетика",
        "Твердые коммунальные отходы",
        "Дороги",
        "Транспорт",
        "Социальная политика",
        "Благоустройство",
        "Экономика и финансы",
        "Муниципальная собственность",
    ]
    (social,) = [s for s in roster.sectors if s.name == "Социальная политика"]
    assert social.description.startswith("(культура, спорт, образование")
    (zhkh,) = [s for s in roster.sectors if s.name.startswith("Жилищно")]
    assert zhkh.topic_codes == ("zhkh", "energy")


def test_oktyabrsky_roster() -> None:
    roster = ROSTERS["oktyabrsky"]
    by_role = Counter(role.role for role in roster.roles)
    assert by_role == {
        "curator": 1,
        "head": 1,
        "sector_curator": 1,
        "sector_owner": 1,
        "tech_admin": 1,
        "support_officer": 1,
        "pos_operator": 2,
        "appeals_officer": 1,
        "im_operator": 1,
    }
    assert _holders(roster, "curator") == ["Габдулисманов А.А."]
    assert _holders(roster, "head") == ["Аксёнова Н.Ю."]
    for role in roster.roles:
        if role.role in SECTOR_ROLES:
            assert (role.person, role.sector) == (None, None)
    kic = _person_key(
        roster,
        "Специалист по связям с общественностью Муниципального бюджетного учреждения культуры "
        "«Культурно-информационный центр»",
    )
    assert sorted(_roles_of(roster, kic)) == ["im_operator", "support_officer"]
    appeals = _person_key(
        roster,
        "Заведующий отделом по организации работы с обращениями граждан администрации "
        "Октябрьского района",
    )
    assert sorted(_roles_of(roster, appeals)) == ["appeals_officer", "pos_operator"]
    assert {u.kind for u in roster.org_units} == {
        "administration",
        "duma",
        "ksp",
        "institution",
        "structural_unit",
    }
