"""Октябрьский район (ХМАО – Югра): roster of the МЦУ («Центр»).

Act: постановление администрации Октябрьского района «О создании Муниципального центра
управления Октябрьского района» of 2025; the day, month and number are left blank in the act,
so act_date is None. Приложение № 1 Состав (a numbered table, rows 1–7), Приложение № 2 Положение
(sector blocks in п. 1.4, structure in п. 3.1, duties in пп. 3.2–3.8) with its own Приложение № 1
Регламент (cited as «Регламент») and Приложение № 2 (KPI targets, not part of the roster).

Interpretation decisions:
- Named chairs: the curator (row 1) is А.А. Габдулисманов, who signs the approval sheet as
  «Исполняющий обязанности заместителя главы Октябрьского района по внутренней политике»; the
  head (row 2) is Аксёнова Н.Ю., the «помощник главы Октябрьского района» shown as the drafter and
  in «Разослать», п. 2. The Глава (С.В. Заплатин) and the head of the legal department
  (Л.Ю. Даниленко) sign the act but hold no chair of the roster.
- Rows 3 and 4 name groups of officials (deputies, chairs of the Дума and КСП, heads of
  settlements; heads of structural units and officials they authorise). Each is one group row
  with person=None and sector=None: the act does not say which official owns which block.
- Row 6 (специалист по связям с общественностью МБУК «Культурно-информационный центр») is the
  support officer. Row 7 lists the same specialist among the system curators; Регламент п. 2.5
  needs a «куратор системы «Инцидент менеджмент»» who publishes the answer after the head
  approves it, so this chair also holds im_operator.
- Row 7's заведующий отделом по организации работы с обращениями граждан is the ПОС curator and the
  59-ФЗ appeals officer (Регламент п. 2.1 names 59-ФЗ appeals as a source). The officials
  authorised by the Дума, the КСП and the settlements in row 7 are one group pos_operator row.
- Row 5 (заведующий отделом информационного обеспечения) is the tech admin: it answers for the
  technical side of the ПОС and «Инцидент менеджмент», not for answering in them.
- Sector names are those of п. 1.4 without the act's quotation marks; the «Социальная политика»
  block keeps its parenthesised list in description. Its «и прочее» is not mapped to the
  catch-all topic "other", which would route every unclassified message to that block.
- The act mentions 11 городских и сельских поселений («Разослать», п. 7) without naming them, so
  no settlement org units are seeded. The legal department appears only on the approval sheet;
  it is seeded as a structural unit on the lead engineer's instruction.
- The table writes positions in lower case (they continue the row); PersonSeed.position
  capitalises the first letter only.
"""

from roles.seed_data.types import OrgUnitSeed, PersonSeed, RoleSeed, RosterSeed, SectorSeed

_ADMINISTRATION = "administration"
_DUMA = "duma"
_KSP = "ksp"
_KIC = "kic"
_IT_DEPT = "it_dept"
_APPEALS_DEPT = "appeals_dept"
_LEGAL_DEPT = "legal_dept"

_ROW_7_ROLE = (
    "Ответственные за работу (кураторы систем «Платформа обратной связи», «Инцидент менеджмент», "
    "иных источников поступления сообщений)"
)
_ROW_7_SPLIT = (
    "Row 7 lists three kinds of officials in one cell; it is split into one row per chair "
    "(appeals department head, МБУК КИЦ specialist) plus one group row."
)

ROSTER = RosterSeed(
    slug="oktyabrsky",
    act_title="Постановление администрации Октябрьского района от «__» ______ 2025 г. № __",
    act_date=None,
    sectors=(
        SectorSeed(
            code="zhkh_energy",
            name="Жилищно-коммунальное хозяйство и энергетика",
            topic_codes=("zhkh", "energy"),
            act_clause="Положение, п. 1.4",
        ),
        SectorSeed(
            code="waste",
            name="Твердые коммунальные отходы",
            topic_codes=("waste",),
            act_clause="Положение, п. 1.4",
        ),
        SectorSeed(
            code="roads",
            name="Дороги",
            topic_codes=("roads",),
            act_clause="Положение, п. 1.4",
        ),
        SectorSeed(
            code="transport",
            name="Транспорт",
            topic_codes=("transport",),
            act_clause="Положение, п. 1.4",
        ),
        SectorSeed(
            code="social_policy",
            name="Социальная политика",
            topic_codes=("culture_sport", "education", "social", "health"),
            act_clause="Положение, п. 1.4",
            description=(
                "(культура, спорт, образование, туризм, молодежная политика, социальная "
                "поддержка отдельных категорий граждан, здравоохранение и прочее)"
            ),
        ),
        SectorSeed(
            code="improvement",
            name="Благоустройство",
            topic_codes=("improvement",),
            act_clause="Положение, п. 1.4",
        ),
        SectorSeed(
            code="economy_finance",
            name="Экономика и финансы",
            topic_codes=("economy",),
            act_clause="Положение, п. 1.4",
        ),
        SectorSeed(
            code="property",
            name="Муниципальная собственность",
            topic_codes=("property",),
            act_clause="Положение, п. 1.4",
        ),
    ),
    org_units=(
        OrgUnitSeed(
            code=_ADMINISTRATION,
            name="Администрация Октябрьского района",
            kind="administration",
        ),
        OrgUnitSeed(code=_DUMA, name="Дума Октябрьского района", kind="duma"),
        OrgUnitSeed(code=_KSP, name="Контрольно-счетная палата Октябрьского района", kind="ksp"),
        OrgUnitSeed(
            code=_KIC,
            name="Муниципальное бюджетное учреждение культуры «Культурно-информационный центр»",
            kind="institution",
        ),
        OrgUnitSeed(
            code=_IT_DEPT,
            name="Отдел информационного обеспечения администрации Октябрьского района",
            kind="structural_unit",
            parent=_ADMINISTRATION,
        ),
        OrgUnitSeed(
            code=_APPEALS_DEPT,
            name=(
                "Отдел по организации работы с обращениями граждан администрации "
                "Октябрьского района"
            ),
            kind="structural_unit",
            parent=_ADMINISTRATION,
        ),
        OrgUnitSeed(
            code=_LEGAL_DEPT,
            name="Юридический отдел администрации Октябрьского района",
            kind="structural_unit",
            parent=_ADMINISTRATION,
        ),
    ),
    persons=(
        PersonSeed(
            key="deputy-internal-policy",
            position="Заместитель главы Октябрьского района по внутренней политике",
            full_name="Габдулисманов А.А.",
            org_unit=_ADMINISTRATION,
            name_source=(
                "Постановление, «Согласовано»: «Исполняющий обязанности заместителя главы "
                "Октябрьского района по внутренней политике А.А. Габдулисманов» (acting holder)"
            ),
        ),
        PersonSeed(
            key="head-assistant",
            position=(
                "Помощник главы Октябрьского района, курирующий вопросы открытости деятельности "
                "главы и администрации Октябрьского района"
            ),
            full_name="Аксёнова Н.Ю.",
            org_unit=_ADMINISTRATION,
            name_source=(
                "Постановление, исполнитель: «помощник главы Октябрьского района Аксёнова Наталья "
                "Юрьевна»; «Разослать», п. 2: «Помощнику главы Октябрьского района (Аксёнова Н.Ю.)»"
            ),
        ),
        PersonSeed(
            key="it-dept-head",
            position=(
                "Заведующий отделом информационного обеспечения администрации Октябрьского района"
            ),
            org_unit=_IT_DEPT,
        ),
        PersonSeed(
            key="kic-pr-specialist",
            position=(
                "Специалист по связям с общественностью Муниципального бюджетного учреждения "
                "культуры «Культурно-информационный центр»"
            ),
            org_unit=_KIC,
        ),
        PersonSeed(
            key="appeals-dept-head",
            position=(
                "Заведующий отделом по организации работы с обращениями граждан администрации "
                "Октябрьского района"
            ),
            org_unit=_APPEALS_DEPT,
        ),
    ),
    roles=(
        RoleSeed(
            role="curator",
            position_title=(
                "Куратор Центра — заместитель главы Октябрьского района по внутренней политике"
            ),
            act_clause="Приложение № 1, п. 1; Положение, пп. 3.1, 3.2; Регламент, п. 2.6",
            person="deputy-internal-policy",
        ),
        RoleSeed(
            role="head",
            position_title=(
                "Руководитель Центра — помощник главы Октябрьского района, курирующий вопросы "
                "открытости деятельности главы и администрации Октябрьского района"
            ),
            act_clause="Приложение № 1, п. 2; Положение, пп. 3.1, 3.3; Регламент, пп. 1.4, 2.7",
            person="head-assistant",
        ),
        RoleSeed(
            role="sector_curator",
            position_title=(
                "Кураторы отраслевых блоков Центра — первый заместитель главы Октябрьского района "
                "по жизнеобеспечению, заместители главы Октябрьского района, председатель Думы "
                "Октябрьского района (по согласованию), председатель Контрольно-счетной палаты "
                "Октябрьского района (по согласованию), главы городских и сельских поселений, "
                "входящих в состав Октябрьского района (по согласованию), в ведении которых "
                "находятся ответственные за отраслевые блоки Центра"
            ),
            act_clause="Приложение № 1, п. 3; Положение, пп. 3.1, 3.4; Регламент, п. 2.3",
            note=("Group row; the act does not say which official curates which block of п. 1.4."),
        ),
        RoleSeed(
            role="sector_owner",
            position_title=(
                "Ответственные за отраслевые блоки Центра (по социально значимым тематикам в "
                "пределах своей компетенции) — руководители структурных подразделений "
                "администрации Октябрьского района; должностные лица, уполномоченные Думой "
                "Октябрьского района (по согласованию), Контрольно-счетной палатой Октябрьского "
                "района (по согласованию), главами городских и сельских поселений, входящих в "
                "состав Октябрьского района (по согласованию)"
            ),
            act_clause="Приложение № 1, п. 4; Положение, пп. 3.1, 3.5; Регламент, пп. 2.4, 2.5",
            note=("Group row; the act does not say which official owns which block of п. 1.4."),
        ),
        RoleSeed(
            role="tech_admin",
            position_title=(
                "Ответственный за техническое обеспечение деятельности Центра, функционирование "
                "систем «Платформа обратной связи», «Инцидент менеджмент» — заведующий отделом "
                "информационного обеспечения администрации Октябрьского района"
            ),
            act_clause="Приложение № 1, п. 5; Положение, пп. 3.1, 3.7",
            person="it-dept-head",
        ),
        RoleSeed(
            role="support_officer",
            position_title=(
                "Ответственный за обеспечение деятельности Центра — специалист по связям с "
                "общественностью Муниципального бюджетного учреждения культуры "
                "«Культурно-информационный центр» (далее – МБУК «Культурно-информационный центр»)"
            ),
            act_clause="Приложение № 1, п. 6; Положение, пп. 3.1, 3.6",
            person="kic-pr-specialist",
        ),
        RoleSeed(
            role="pos_operator",
            position_title=(
                f"{_ROW_7_ROLE} — заведующий отделом по организации работы с обращениями граждан "
                "администрации Октябрьского района"
            ),
            act_clause="Приложение № 1, п. 7; Положение, п. 3.8; Регламент, пп. 2.2, 2.4",
            person="appeals-dept-head",
            channel="pos",
            note=_ROW_7_SPLIT,
        ),
        RoleSeed(
            role="appeals_officer",
            position_title=(
                f"{_ROW_7_ROLE} — заведующий отделом по организации работы с обращениями граждан "
                "администрации Октябрьского района"
            ),
            act_clause="Приложение № 1, п. 7; Регламент, п. 2.1",
            person="appeals-dept-head",
            channel="appeal",
            note=(
                "Row 7's «иных источников поступления сообщений» include the 59-ФЗ appeals of "
                "Регламент п. 2.1, which this department handles."
            ),
        ),
        RoleSeed(
            role="im_operator",
            position_title=(
                f"{_ROW_7_ROLE} — специалист по связям с общественностью МБУК "
                "«Культурно-информационный центр»"
            ),
            act_clause="Приложение № 1, п. 7; Положение, п. 3.8; Регламент, пп. 2.2, 2.4, 2.5",
            person="kic-pr-specialist",
            channel="im",
            note=(
                "Same chair as row 6. Регламент п. 2.5 needs a «куратор системы «Инцидент "
                "менеджмент»» who publishes after the head approves; this specialist is that "
                "curator."
            ),
        ),
        RoleSeed(
            role="pos_operator",
            position_title=(
                f"{_ROW_7_ROLE} — должностные лица, уполномоченные Думой Октябрьского района (по "
                "согласованию), Контрольно-счетной палатой Октябрьского района (по согласованию), "
                "главами городских и сельских поселений, входящих в состав Октябрьского района "
                "(по согласованию)"
            ),
            act_clause="Приложение № 1, п. 7; Положение, п. 3.8; Регламент, пп. 2.2, 2.4",
            channel="pos",
            note=(
                "Group row: officials of the Дума, the КСП and the settlements, each curating the "
                "sources of its own body. The act does not say which system each one curates; "
                "they are seeded as ПОС curators."
            ),
        ),
    ),
)
