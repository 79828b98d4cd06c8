"""Ловозерский район (Мурманская область): roster of the МЦУ.

Act: распоряжение администрации Ловозерского района от 14.02.2024 № 20-РГ «О создании
муниципального центра управления муниципального образования Ловозерский район в форме проектного
офиса»; Приложение № 1 Положение (structure in §3), Приложение № 2 Состав (a numbered table,
rows 1–8).

Interpretation decisions:
- The act number is 20-РГ (the heading prints «№ 20 -РГ»). The heading of Приложение № 2 says
  «от 14.02.2024 № 10-РГ»: a discrepancy in the act itself; the appendix belongs to this act.
- The coordinator chair (Глава администрации, row 1 and §3.1) is named from the signature
  «Глава администрации Ловозерского района Кузнецова Н.А.».
- One chair, «Заведующий сектором пресс-службы», holds rows 2–5: head, im_operator, pos_operator
  and ecpur_curator (§3.3 also makes the head the ИМ and ПОС curator). Row 5 reads «… ЕЦПУР и в
  системе электронного документооборота Правительства Мурманской области», but row 6 and §3.1
  (a separate list item) give the СЭД to the Начальник отдела по организационной, правовой и
  кадровой работе, so only that chair is seeded as sed_curator.
- ЕЦПУР is not a channel of this product: ecpur_curator carries no channel; sed_curator carries
  "appeal" (the СЭД is where written appeals arrive).
- Row 7 (руководители структурных подразделений и подведомственных учреждений) is one group
  executor row. Its wording also calls them «кураторы за работу на платформе обратной связи
  (ПОС)»; they draft answers (§3.4), so they are not seeded as pos_operator.
- The administrator (row 8) is «системный администратор администрации» (§3.5), so the chair sits
  in the administration itself; the act names no IT unit.
- The act names no sector blocks.
"""

from datetime import date

from roles.seed_data.types import OrgUnitSeed, PersonSeed, RoleSeed, RosterSeed

_ADMINISTRATION = "administration"
_PRESS = "press_service"
_ORG_DEPT = "org_legal_hr_dept"

_PRESS_HEAD = "Заведующий сектором пресс-службы"

ROSTER = RosterSeed(
    slug="lovozero",
    act_title="Распоряжение администрации Ловозерского района от 14.02.2024 № 20-РГ",
    act_date=date(2024, 2, 14),
    sectors=(),
    org_units=(
        OrgUnitSeed(
            code=_ADMINISTRATION,
            name="Администрация Ловозерского района",
            kind="administration",
        ),
        OrgUnitSeed(
            code=_PRESS,
            name="Сектор пресс-службы",
            kind="structural_unit",
            parent=_ADMINISTRATION,
        ),
        OrgUnitSeed(
            code=_ORG_DEPT,
            name="Отдел по организационной, правовой и кадровой работе",
            kind="structural_unit",
            parent=_ADMINISTRATION,
        ),
    ),
    persons=(
        PersonSeed(
            key="administration-head",
            position="Глава администрации Ловозерского района",
            full_name="Кузнецова Н.А.",
            org_unit=_ADMINISTRATION,
            name_source=(
                "Распоряжение, подпись: «Глава администрации Ловозерского района Кузнецова Н.А.»"
            ),
        ),
        PersonSeed(
            key="press-head",
            position=_PRESS_HEAD,
            org_unit=_PRESS,
        ),
        PersonSeed(
            key="org-dept-head",
            position="Начальник отдела по организационной, правовой и кадровой работе",
            org_unit=_ORG_DEPT,
        ),
        PersonSeed(
            key="sysadmin",
            position="Главный специалист – системный администратор",
            org_unit=_ADMINISTRATION,
        ),
    ),
    roles=(
        RoleSeed(
            role="coordinator",
            position_title=(
                "Координатор МЦУ Ловозерского района — Глава администрации Ловозерского района"
            ),
            act_clause="Приложение № 2, п. 1; Положение, пп. 3.1, 3.2",
            person="administration-head",
        ),
        RoleSeed(
            role="head",
            position_title=f"Руководитель МЦУ Ловозерского района — {_PRESS_HEAD}",
            act_clause="Приложение № 2, п. 2; Положение, пп. 3.1, 3.3",
            person="press-head",
        ),
        RoleSeed(
            role="im_operator",
            position_title=(
                "Ответственный куратор за работу в автоматизированной системе «Инцидент "
                f"Менеджмент» — {_PRESS_HEAD}"
            ),
            act_clause="Приложение № 2, п. 3; Положение, пп. 3.1, 3.3",
            person="press-head",
            channel="im",
        ),
        RoleSeed(
            role="pos_operator",
            position_title=(
                f"Ответственный куратор за работу в платформе обратной связи (ПОС) — {_PRESS_HEAD}"
            ),
            act_clause="Приложение № 2, п. 4; Положение, пп. 3.1, 3.3",
            person="press-head",
            channel="pos",
        ),
        RoleSeed(
            role="ecpur_curator",
            position_title=(
                "Ответственный куратор за работу в единой цифровой платформе по управлению "
                "регионом (далее - ЕЦПУР) и в системе электронного документооборота "
                f"Правительства Мурманской области — {_PRESS_HEAD}"
            ),
            act_clause="Приложение № 2, п. 5; Положение, п. 3.1",
            person="press-head",
            note=(
                "Row 5 also names the СЭД Правительства Мурманской области, but row 6 and §3.1 "
                "give the СЭД to a separate chair (see sed_curator); only ЕЦПУР is seeded here."
            ),
        ),
        RoleSeed(
            role="sed_curator",
            position_title=(
                "Ответственный куратор за работу в системе электронного документооборота "
                "Правительства Мурманской области — Начальник отдела по организационной, "
                "правовой и кадровой работе"
            ),
            act_clause="Приложение № 2, п. 6; Положение, п. 3.1",
            person="org-dept-head",
            channel="appeal",
        ),
        RoleSeed(
            role="executor",
            position_title=(
                "Ответственные за подготовку проектов ответов на обращения и сообщения граждан "
                "по всем каналам связи, кураторы за работу на платформе обратной связи (ПОС) и "
                "обработки сообщений по вопросам повышения качества жизни и обеспечению развития "
                "Мурманской области — Руководители структурных подразделений администрации "
                "Ловозерского района и подведомственных учреждений"
            ),
            act_clause="Приложение № 2, п. 7; Положение, п. 3.4",
            note=(
                "Group row. The row also calls them «кураторы за работу на платформе обратной "
                "связи (ПОС)»; they prepare answers (§3.4), so they are executors, not ПОС "
                "operators."
            ),
        ),
        RoleSeed(
            role="tech_admin",
            position_title=(
                "Администратор МЦУ Ловозерского района — Главный специалист – системный "
                "администратор"
            ),
            act_clause="Приложение № 2, п. 8; Положение, пп. 3.1, 3.5",
            person="sysadmin",
        ),
    ),
)
