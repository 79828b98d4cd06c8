"""Ленский район (Республика Саха (Якутия)): roster of the МЦУ.

Act: распоряжение от 11.03.2025 № 01-04-322/5 «О создании муниципального центра управления»,
signed by the Глава МР «Ленский район» А.В. Черепанов; appendices: № 1 Положение, № 2 Структура
(the roster, items 1–7), № 3 Функциональные роли. The extracted text has lost the issuer's heading,
so the title below does not say whose распоряжение it is. The appendices carry a blank date.

Interpretation decisions:
- The curator chair (Прил. 2, п. 1, Глава МР) is named from the signature «Глава А.В.Черепанов».
- Прил. 2 items 6 and 7 both read «Главный специалист управления делами администрации МР
  «Ленский район»». Item 3 of the распоряжение names one such specialist (Иванская Е.С.), but
  not which chair she holds, so both chairs stay unnamed.
- Item 6 is split into pos_operator + appeals_officer (Прил. 3, п. 5: обращения граждан и
  организаций and the Платформа обратной связи). Item 7 is split into im_operator (Прил. 3, п. 6,
  пп. 1–3) + gospublic_officer (Прил. 3, п. 6, пп. 4–7: proactive information agenda, official
  pages in social networks, interaction with residents in social networks).
- Items 3 and 4 each own one sector block. The act gives no block names, only topic lists
  («ответственный за отраслевые направления по тематикам …»), so the names say whose block it is
  and the description repeats the act's row verbatim. ЖКХ is mapped to "zhkh" only (the act does
  not mention energy or ТКО); topics the act does not list stay uncovered.
- The ЕДДС head (item 5) carries org unit "edds" and no channel: the lead's mapping gives
  channels to operator roles only.
"""

from datetime import date

from roles.seed_data.types import OrgUnitSeed, PersonSeed, RoleSeed, RosterSeed, SectorSeed

_ADMINISTRATION = "administration"
_AFFAIRS = "affairs"
_EDDS = "edds"

_ROW_6 = (
    "Главный специалист управления делами администрации МР «Ленский район» - ответственный "
    "за работу с обращениями граждан и организаций, а также за работу с Платформой обратной связи"
)
_ROW_7 = (
    "Главный специалист управления делами администрации МР «Ленский район» - ответственный "
    "за работу с системой «Инцидент Менеджмент»"
)

ROSTER = RosterSeed(
    slug="lensky",
    act_title=(
        "Распоряжение от 11.03.2025 № 01-04-322/5 «О создании муниципального центра управления»"
    ),
    act_date=date(2025, 3, 11),
    sectors=(
        SectorSeed(
            code="production",
            name=(
                "Производственный блок: транспорт и дороги, жилищно-коммунальное хозяйство, "
                "благоустройство, строительство"
            ),
            topic_codes=("transport", "roads", "zhkh", "improvement", "construction"),
            act_clause="Приложение № 2, п. 3",
            description=(
                "Заместитель главы по производственным вопросам администрации МР «Ленский район» "
                "- ответственный за отраслевые направления по тематикам транспорт и дороги, "
                "жилищно-коммунальное хозяйство, благоустройство, строительство"
            ),
        ),
        SectorSeed(
            code="social",
            name="Социальный блок: образование, культура и спорт, социальная защита населения",
            topic_codes=("education", "culture_sport", "social"),
            act_clause="Приложение № 2, п. 4",
            description=(
                "Заместитель главы по социальным вопросам администрации МР «Ленский район» "
                "- ответственный за отраслевые направления по тематикам образование, культура "
                "и спорт, социальная защита населения"
            ),
        ),
    ),
    org_units=(
        OrgUnitSeed(
            code=_ADMINISTRATION,
            name="Администрация муниципального района «Ленский район»",
            kind="administration",
        ),
        OrgUnitSeed(
            code=_AFFAIRS,
            name="Управление делами администрации МР «Ленский район»",
            kind="structural_unit",
            parent=_ADMINISTRATION,
        ),
        OrgUnitSeed(
            code=_EDDS,
            name="МКУ «Единая дежурно-диспетчерская служба» МР «Ленский район»",
            kind="edds",
        ),
    ),
    persons=(
        PersonSeed(
            key="district-head",
            position="Глава муниципального района «Ленский район»",
            full_name="Черепанов А.В.",
            org_unit=_ADMINISTRATION,
            name_source="Распоряжение, подпись: «Глава А.В.Черепанов»",
        ),
        PersonSeed(
            key="chief-of-staff",
            position=(
                "Заместитель главы – руководитель аппарата и по работе с ОМСУ администрации "
                "МР «Ленский район»"
            ),
            org_unit=_ADMINISTRATION,
        ),
        PersonSeed(
            key="deputy-production",
            position=(
                "Заместитель главы по производственным вопросам администрации МР «Ленский район»"
            ),
            org_unit=_ADMINISTRATION,
        ),
        PersonSeed(
            key="deputy-social",
            position="Заместитель главы по социальным вопросам администрации МР «Ленский район»",
            org_unit=_ADMINISTRATION,
        ),
        PersonSeed(
            key="edds-head",
            position="Руководитель МКУ «Единая дежурно-диспетчерская служба» МР «Ленский район»",
            org_unit=_EDDS,
        ),
        PersonSeed(
            key="specialist-appeals",
            position="Главный специалист управления делами администрации МР «Ленский район»",
            org_unit=_AFFAIRS,
        ),
        PersonSeed(
            key="specialist-im",
            position="Главный специалист управления делами администрации МР «Ленский район»",
            org_unit=_AFFAIRS,
        ),
    ),
    roles=(
        RoleSeed(
            role="curator",
            position_title="Глава муниципального района «Ленский район» - куратор",
            act_clause="Приложение № 2, п. 1; Приложение № 3, п. 1",
            person="district-head",
        ),
        RoleSeed(
            role="head",
            position_title=(
                "Заместитель главы – руководитель аппарата и по работе с ОМСУ администрации "
                "МР «Ленский район» - руководитель"
            ),
            act_clause="Приложение № 2, п. 2; Приложение № 3, п. 2",
            person="chief-of-staff",
        ),
        RoleSeed(
            role="sector_owner",
            position_title=(
                "Заместитель главы по производственным вопросам администрации МР «Ленский район» "
                "- ответственный за отраслевые направления по тематикам транспорт и дороги, "
                "жилищно-коммунальное хозяйство, благоустройство, строительство"
            ),
            act_clause="Приложение № 2, п. 3; Приложение № 3, п. 3",
            person="deputy-production",
            sector="production",
        ),
        RoleSeed(
            role="sector_owner",
            position_title=(
                "Заместитель главы по социальным вопросам администрации МР «Ленский район» "
                "- ответственный за отраслевые направления по тематикам образование, культура "
                "и спорт, социальная защита населения"
            ),
            act_clause="Приложение № 2, п. 4; Приложение № 3, п. 3",
            person="deputy-social",
            sector="social",
        ),
        RoleSeed(
            role="edds_head",
            position_title=(
                "Руководитель МКУ «Единая дежурно-диспетчерская служба» МР «Ленский район»"
            ),
            act_clause="Приложение № 2, п. 5; Приложение № 3, п. 4",
            person="edds-head",
            org_unit=_EDDS,
        ),
        RoleSeed(
            role="pos_operator",
            position_title=_ROW_6,
            act_clause="Приложение № 2, п. 6; Приложение № 3, п. 5",
            person="specialist-appeals",
            channel="pos",
            note="Item 6 also makes this chair the appeals officer (see the appeals_officer row).",
        ),
        RoleSeed(
            role="appeals_officer",
            position_title=_ROW_6,
            act_clause="Приложение № 2, п. 6; Приложение № 3, п. 5",
            person="specialist-appeals",
            channel="appeal",
            note="Item 6: «ответственный за работу с обращениями граждан и организаций».",
        ),
        RoleSeed(
            role="im_operator",
            position_title=_ROW_7,
            act_clause="Приложение № 2, п. 7; Приложение № 3, п. 6, пп. 1–3",
            person="specialist-im",
            channel="im",
        ),
        RoleSeed(
            role="gospublic_officer",
            position_title=_ROW_7,
            act_clause="Приложение № 3, п. 6, пп. 4–7",
            person="specialist-im",
            channel="gospublic",
            note=(
                "Прил. 3, п. 6, пп. 4–7 give the ИМ chair the proactive information agenda, the "
                "official pages of ОМСУ and institutions in social networks and interaction with "
                "residents in social networks."
            ),
        ),
    ),
)
