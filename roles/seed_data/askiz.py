"""Аскизский район (Республика Хакасия): roster of the МЦУ.

Act: постановление Администрации Аскизского района Республики Хакасия от 18.07.2022 № 523-п
«О создании Муниципального центра управления муниципального образования Аскизский район»;
Приложение № 1 Положение (structure in п. 2.1, duties in пп. 2.2–2.5), Приложение № 2 Состав
(a table: роль / ФИО / должность, unnumbered; rows are cited by their order, «строка N»).

Interpretation decisions:
- Приложение № 2 names every holder; names are written «Фамилия И.О.» (the act writes
  «В.И. Симаткин», «Е.В. Киргинекова» for the first two rows).
- The last row (Пакачаков А.С., Техник Администрации Аскизского района) has an empty role cell.
  It is read as a vertically merged cell continuing the ПОС row above, so he is a second
  pos_operator.
- The ИМ holder's position cell reads «Главный редактор сайта «аскиз пресса рф», » with a trailing
  comma and a Word bookmark; both are extraction artefacts and are dropped. The site is not a body
  that answers citizens, so it is not an org unit and the person has no org unit.
- The operator rows say «ответственный за работу Администрации Аскизского района в системе …»,
  so they are tied to the administration's account (org unit "administration").
- The act has no sector blocks (п. 3.2 «в» mentions «отраслевые блоки МЦУ» without listing any).
"""

from datetime import date

from roles.seed_data.types import OrgUnitSeed, PersonSeed, RoleSeed, RosterSeed

_ADMINISTRATION = "administration"
_GENERAL_DEPT = "general_dept"

_POS_ROLE_CELL = (
    "ответственный за работу Администрации Аскизского района в системе «Платформа обратной связи»"
)

ROSTER = RosterSeed(
    slug="askiz",
    act_title=(
        "Постановление Администрации Аскизского района Республики Хакасия от 18.07.2022 № 523-п"
    ),
    act_date=date(2022, 7, 18),
    sectors=(),
    org_units=(
        OrgUnitSeed(
            code=_ADMINISTRATION,
            name="Администрация Аскизского района",
            kind="administration",
        ),
        OrgUnitSeed(
            code=_GENERAL_DEPT,
            name="Общий отдел Администрации Аскизского района",
            kind="structural_unit",
            parent=_ADMINISTRATION,
        ),
    ),
    persons=(
        PersonSeed(
            key="deputy-head",
            position="Заместитель главы Администрации Аскизского района",
            full_name="Симаткин В.И.",
            org_unit=_ADMINISTRATION,
            name_source="Приложение № 2, строка 1 («В.И. Симаткин»); постановление, п. 4",
        ),
        PersonSeed(
            key="general-dept-head",
            position="Заведующая общим отделом Администрации Аскизского района",
            full_name="Киргинекова Е.В.",
            org_unit=_GENERAL_DEPT,
            name_source="Приложение № 2, строка 2 («Е.В. Киргинекова»)",
        ),
        PersonSeed(
            key="site-editor",
            position="Главный редактор сайта «аскиз пресса рф»",
            full_name="Никифоров А.К.",
            name_source="Приложение № 2, строка 3",
        ),
        PersonSeed(
            key="general-dept-specialist",
            position="Главный специалист общего отдела Администрации Аскизского района",
            full_name="Топоев Д.А.",
            org_unit=_GENERAL_DEPT,
            name_source="Приложение № 2, строка 4",
        ),
        PersonSeed(
            key="technician",
            position="Техник Администрации Аскизского района",
            full_name="Пакачаков А.С.",
            org_unit=_ADMINISTRATION,
            name_source="Приложение № 2, строка 5",
        ),
    ),
    roles=(
        RoleSeed(
            role="curator",
            position_title="Куратор — Заместитель главы Администрации Аскизского района",
            act_clause="Приложение № 2, строка 1; Приложение № 1, пп. 2.1 «а», 2.2",
            person="deputy-head",
        ),
        RoleSeed(
            role="head",
            position_title=(
                "Руководитель — Заведующая общим отделом Администрации Аскизского района"
            ),
            act_clause="Приложение № 2, строка 2; Приложение № 1, пп. 2.1 «б», 2.3",
            person="general-dept-head",
        ),
        RoleSeed(
            role="im_operator",
            position_title=(
                "Ответственный за работу Администрации Аскизского района в системе «Инцидент "
                "менеджмент» — Главный редактор сайта «аскиз пресса рф»"
            ),
            act_clause="Приложение № 2, строка 3; Приложение № 1, пп. 2.1 «в», 2.4",
            person="site-editor",
            channel="im",
            org_unit=_ADMINISTRATION,
        ),
        RoleSeed(
            role="pos_operator",
            position_title=(
                f"{_POS_ROLE_CELL} — Главный специалист общего отдела Администрации "
                "Аскизского района"
            ),
            act_clause="Приложение № 2, строка 4; Приложение № 1, пп. 2.1 «г», 2.5",
            person="general-dept-specialist",
            channel="pos",
            org_unit=_ADMINISTRATION,
        ),
        RoleSeed(
            role="pos_operator",
            position_title=f"{_POS_ROLE_CELL} — Техник Администрации Аскизского района",
            act_clause="Приложение № 2, строка 5; Приложение № 1, пп. 2.1 «г», 2.5",
            person="technician",
            channel="pos",
            org_unit=_ADMINISTRATION,
            note=(
                "The role cell of this row is empty in the act; it is read as a vertically merged "
                "cell continuing the ПОС row above."
            ),
        ),
    ),
)
