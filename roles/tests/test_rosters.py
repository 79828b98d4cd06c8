"""The seeded rosters say what the acts say."""

from __future__ import annotations

import pytest

from mcu.models import Municipality
from mcu.tenancy import municipality_scope
from roles.models import Role, RoleAssignment, Sector, User


def _roles_of(user: User, slug: str) -> set[str]:
    municipality = Municipality.objects.get(slug=slug)
    with municipality_scope(municipality.pk):
        return set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))


def _sectors(slug: str) -> list[str]:
    municipality = Municipality.objects.get(slug=slug)
    with municipality_scope(municipality.pk):
        return list(Sector.objects.order_by("order").values_list("name", flat=True))


def test_oktyabrsky_has_exactly_the_eight_blocks_of_section_1_4(seeded):
    assert _sectors("oktyabrsky") == [
        "Жилищно-коммунальное хозяйство и энергетика",
        "Твердые коммунальные отходы",
        "Дороги",
        "Транспорт",
        "Социальная политика",
        "Благоустройство",
        "Экономика и финансы",
        "Муниципальная собственность",
    ]


def test_sosnovoborsk_has_the_seven_directions_of_2_1_2(seeded):
    assert _sectors("sosnovoborsk") == [
        "Образование",
        "Социальная защита",
        "Жилищно-коммунальное хозяйство",
        "Твердые коммунальные отходы",
        "Дороги",
        "Транспорт",
        "Энергетика",
    ]


def test_lensky_has_the_production_and_social_deputies_blocks(seeded):
    municipality = Municipality.objects.get(slug="lensky")
    with municipality_scope(municipality.pk):
        owners = {
            row.sector.code: row.user.position  # type: ignore[union-attr]  # seeded: both set
            for row in RoleAssignment.objects.filter(role=Role.SECTOR_OWNER).select_related(
                "sector", "user"
            )
        }
    assert owners == {
        "production": (
            "Заместитель главы по производственным вопросам администрации МР «Ленский район»"
        ),
        "social": "Заместитель главы по социальным вопросам администрации МР «Ленский район»",
    }


def test_askiz_and_lovozero_have_no_blocks_but_units_as_executors(seeded):
    assert _sectors("askiz") == []
    assert _sectors("lovozero") == []
    lovozero = Municipality.objects.get(slug="lovozero")
    with municipality_scope(lovozero.pk):
        executors = list(RoleAssignment.objects.filter(role=Role.EXECUTOR))
    assert len(executors) == 1
    assert executors[0].user is None  # a group of officials, not one chair
    assert "Руководители структурных подразделений" in executors[0].position_title


def test_lovozero_press_head_holds_head_im_pos_and_ecpur(seeded):
    press_head = User.objects.get(position="Заведующий сектором пресс-службы")
    assert _roles_of(press_head, "lovozero") == {
        Role.HEAD,
        Role.IM_OPERATOR,
        Role.POS_OPERATOR,
        Role.ECPUR_CURATOR,
    }


def test_askiz_roster_names_the_people_of_appendix_2(seeded):
    askiz = Municipality.objects.get(slug="askiz")
    with municipality_scope(askiz.pk):
        rows = {
            (row.role, row.user.full_name)  # type: ignore[union-attr]  # Аскизский names all
            for row in RoleAssignment.objects.select_related("user")
        }
    assert rows == {
        (Role.CURATOR, "Симаткин В.И."),
        (Role.HEAD, "Киргинекова Е.В."),
        (Role.IM_OPERATOR, "Никифоров А.К."),
        (Role.POS_OPERATOR, "Топоев Д.А."),
        (Role.POS_OPERATOR, "Пакачаков А.С."),
    }


def test_act_rows_start_on_the_act_date(seeded):
    askiz = Municipality.objects.get(slug="askiz")
    with municipality_scope(askiz.pk):
        dates = set(RoleAssignment.objects.values_list("valid_from", flat=True))
    assert {str(d) for d in dates} == {"2022-07-18"}


def test_chairs_of_the_act_cannot_log_in_until_an_administrator_allows_it(seeded):
    chair = User.objects.get(username="askiz.deputy-head")
    assert chair.full_name == "Симаткин В.И."
    assert not chair.has_usable_password()


@pytest.mark.parametrize(
    ("slug", "roles"),
    [
        (
            "lensky",
            {
                "curator",
                "head",
                "sector_owner",
                "edds_head",
                "pos_operator",
                "appeals_officer",
                "im_operator",
                "gospublic_officer",
            },
        ),
        ("askiz", {"curator", "head", "im_operator", "pos_operator"}),
        (
            "sosnovoborsk",
            {
                "coordinator",
                "curator",
                "head",
                "pos_operator",
                "im_operator",
                "gospublic_officer",
                "sector_owner",
            },
        ),
        (
            "lovozero",
            {
                "coordinator",
                "head",
                "im_operator",
                "pos_operator",
                "ecpur_curator",
                "sed_curator",
                "executor",
                "tech_admin",
            },
        ),
        (
            "oktyabrsky",
            {
                "curator",
                "head",
                "sector_curator",
                "sector_owner",
                "tech_admin",
                "support_officer",
                "pos_operator",
                "appeals_officer",
                "im_operator",
            },
        ),
    ],
)
def test_each_municipality_holds_the_roles_its_act_creates(seeded, slug, roles):
    municipality = Municipality.objects.get(slug=slug)
    with municipality_scope(municipality.pk):
        held = set(RoleAssignment.objects.values_list("role", flat=True))
    assert held == roles
