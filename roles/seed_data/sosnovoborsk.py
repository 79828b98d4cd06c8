"""Сосновоборский муниципальный округ (Красноярский край): roster of the МЦУ.

Act: постановление Администрации Сосновоборского муниципального округа от 30.01.2026 № 100-АП
«О создании рабочей группы (проектного офиса) «Муниципальный центр управления в Сосновоборском
муниципальном округе Красноярского края»» with its Положение (the only appendix).

Interpretation decisions:
- The act names no holders: п. 3.1 says the personal composition is approved by a separate
  распоряжение Администрации, which is not given. Every chair is therefore seeded with
  person=None and no PersonSeed is invented. (П. 3 of the постановление puts control on the
  deputy head Худоногов А.Л.; that does not make him curator, so he is not seeded.)
- The seven sector blocks are the directions of п. 2.1.2 «а»–«ж». The act writes them in lower
  case as list items («а) образование;»); the names capitalise the first letter only.
- П. 3.4.7 refers to the directions «определенным в пункте 1.2 части 2 настоящего Положения»:
  there is no such point; it means п. 2.1.2. One sector_owner row per direction.
- The only body the act names is the Администрация (3.4.7: the sector owners are its officials;
  3.6: it provides organisational and technical support). Structural units are not named.
"""

from datetime import date

from roles.seed_data.types import OrgUnitSeed, RoleSeed, RosterSeed, SectorSeed

_ADMINISTRATION = "administration"

_UNNAMED = (
    "Single chair; the holder is set by a separate распоряжение (Положение, п. 3.1), not given."
)
_SECTOR_OWNER_TITLE = (
    "Ответственные за отраслевые направления деятельности МЦУ – должностные лица Администрации "
    "Сосновоборского муниципального округа, персонально отвечающие за работу отраслевого блока "
    "по направлениям деятельности МЦУ"
)
_SECTOR_OWNER_NOTE = (
    "П. 3.4.7 cites «пункте 1.2 части 2», which is п. 2.1.2. The personal composition is approved "
    "by a separate распоряжение (п. 3.1), not given, so no person is seeded."
)

# (code, name, topic codes, letter of п. 2.1.2)
_DIRECTIONS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("education", "Образование", ("education",), "а"),
    ("social", "Социальная защита", ("social",), "б"),
    ("zhkh", "Жилищно-коммунальное хозяйство", ("zhkh",), "в"),
    ("waste", "Твердые коммунальные отходы", ("waste",), "г"),
    ("roads", "Дороги", ("roads",), "д"),
    ("transport", "Транспорт", ("transport",), "е"),
    ("energy", "Энергетика", ("energy",), "ж"),
)

ROSTER = RosterSeed(
    slug="sosnovoborsk",
    act_title=(
        "Постановление Администрации Сосновоборского муниципального округа от 30.01.2026 № 100-АП"
    ),
    act_date=date(2026, 1, 30),
    sectors=tuple(
        SectorSeed(
            code=code,
            name=name,
            topic_codes=topics,
            act_clause=f"Положение, п. 2.1.2 «{letter}»",
        )
        for code, name, topics, letter in _DIRECTIONS
    ),
    org_units=(
        OrgUnitSeed(
            code=_ADMINISTRATION,
            name="Администрация Сосновоборского муниципального округа",
            kind="administration",
        ),
    ),
    persons=(),
    roles=(
        RoleSeed(
            role="coordinator",
            position_title="Координатор МЦУ",
            act_clause="Положение, пп. 3.1, 3.4.1",
            note=_UNNAMED,
        ),
        RoleSeed(
            role="curator",
            position_title="Куратор МЦУ",
            act_clause="Положение, пп. 3.1, 3.2, 3.4.2",
            note=_UNNAMED,
        ),
        RoleSeed(
            role="head",
            position_title="Руководитель МЦУ",
            act_clause="Положение, пп. 3.1, 3.2, 3.4.3",
            note=_UNNAMED,
        ),
        RoleSeed(
            role="pos_operator",
            position_title="Ответственный за работу в системе «ПОС»",
            act_clause="Положение, п. 3.4.4",
            channel="pos",
            note=_UNNAMED,
        ),
        RoleSeed(
            role="im_operator",
            position_title="Ответственный за работу в системе «Инцидент Менеджмент»",
            act_clause="Положение, п. 3.4.5",
            channel="im",
            note=_UNNAMED,
        ),
        RoleSeed(
            role="gospublic_officer",
            position_title=(
                "Ответственный за проактивную информационную политику, отработку информационных "
                "рисков и ведение госпабликов"
            ),
            act_clause="Положение, п. 3.4.6",
            channel="gospublic",
            note=_UNNAMED,
        ),
        *(
            RoleSeed(
                role="sector_owner",
                position_title=_SECTOR_OWNER_TITLE,
                act_clause=f"Положение, п. 3.4.7; п. 2.1.2 «{letter}»",
                sector=code,
                org_unit=_ADMINISTRATION,
                note=_SECTOR_OWNER_NOTE,
            )
            for code, _name, _topics, letter in _DIRECTIONS
        ),
    ),
)
