"""Reference data of the incident domain: the рубрикатор and the regulation's default terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from incidents.deadlines import Unit

# Root topics carry the standard ЦУР codes that sector blocks list (see roles TOPIC_CODES).
TOPICS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "zhkh",
        "ЖКХ",
        (
            ("heating", "Отопление"),
            ("water", "Водоснабжение"),
            ("sewerage", "Водоотведение и канализация"),
            ("mkd", "Содержание МКД"),
            ("management_company", "Работа управляющей компании"),
            ("capital_repair", "Капитальный ремонт"),
            ("utility_bills", "Плата за коммунальные услуги"),
        ),
    ),
    (
        "roads",
        "Дороги",
        (
            ("potholes", "Ямы и разрушение покрытия"),
            ("sidewalks", "Тротуары"),
            ("snow", "Уборка снега и наледи"),
            ("lighting", "Уличное освещение"),
            ("road_signs", "Дорожные знаки и разметка"),
            ("traffic_lights", "Светофоры"),
        ),
    ),
    (
        "transport",
        "Транспорт",
        (
            ("schedule", "Расписание и интервалы"),
            ("routes", "Маршруты"),
            ("stops", "Остановки"),
            ("vehicle_condition", "Состояние транспорта"),
            ("river_crossing", "Переправы"),
        ),
    ),
    (
        "improvement",
        "Благоустройство",
        (
            ("yards", "Дворовые территории"),
            ("playgrounds", "Детские площадки"),
            ("parks", "Парки и скверы"),
            ("greenery", "Озеленение, обрезка деревьев"),
            ("stray_animals", "Безнадзорные животные"),
            ("cleaning", "Уборка территорий"),
        ),
    ),
    (
        "waste",
        "ТКО",
        (
            ("collection", "Вывоз мусора"),
            ("container_sites", "Контейнерные площадки"),
            ("dumps", "Несанкционированные свалки"),
            ("tariffs", "Начисления за вывоз ТКО"),
        ),
    ),
    (
        "energy",
        "Энергетика",
        (
            ("power_outage", "Отключение электроэнергии"),
            ("gas", "Газоснабжение"),
            ("power_lines", "Линии электропередачи"),
        ),
    ),
    (
        "education",
        "Образование",
        (
            ("schools", "Школы"),
            ("kindergartens", "Детские сады"),
            ("school_transport", "Подвоз школьников"),
            ("school_meals", "Школьное питание"),
            ("additional_education", "Дополнительное образование"),
        ),
    ),
    (
        "health",
        "Здравоохранение",
        (
            ("clinics", "Поликлиники и ФАП"),
            ("doctors", "Запись к врачу, нехватка врачей"),
            ("medicines", "Лекарственное обеспечение"),
            ("ambulance", "Скорая помощь"),
        ),
    ),
    (
        "social",
        "Социальная защита",
        (
            ("benefits", "Пособия и выплаты"),
            ("large_families", "Многодетные семьи"),
            ("disabled", "Доступная среда"),
            ("elderly", "Помощь пожилым"),
            ("svo_families", "Поддержка участников СВО и их семей"),
        ),
    ),
    (
        "culture_sport",
        "Культура и спорт",
        (
            ("culture_houses", "Дома культуры, библиотеки"),
            ("sport_facilities", "Спортивные объекты"),
            ("events", "Мероприятия"),
            ("youth", "Молодёжная политика"),
        ),
    ),
    (
        "ecology",
        "Экология",
        (
            ("air", "Загрязнение воздуха"),
            ("water_bodies", "Водоёмы"),
            ("felling", "Вырубка леса"),
        ),
    ),
    (
        "safety",
        "Безопасность",
        (
            ("fire", "Пожарная безопасность"),
            ("floods", "Паводки и ЧС"),
            ("public_order", "Общественный порядок"),
            ("dangerous_buildings", "Аварийные и заброшенные здания"),
        ),
    ),
    (
        "economy",
        "Экономика",
        (
            ("trade", "Торговля и цены"),
            ("business", "Поддержка бизнеса"),
            ("employment", "Занятость"),
            ("agriculture", "Сельское хозяйство"),
        ),
    ),
    (
        "property",
        "Муниципальная собственность",
        (
            ("land", "Земельные участки"),
            ("municipal_housing", "Муниципальное жильё"),
            ("resettlement", "Переселение из аварийного жилья"),
        ),
    ),
    (
        "construction",
        "Строительство",
        (
            ("new_buildings", "Строительство объектов"),
            ("permits", "Разрешения на строительство"),
            ("illegal_construction", "Самовольное строительство"),
        ),
    ),
    (
        "other",
        "Прочее",
        (
            ("gratitude", "Благодарности"),
            ("communication", "Связь и интернет"),
            ("other", "Иное"),
        ),
    ),
)


@dataclass(frozen=True)
class PolicySeed:
    channel: str
    stage: str
    amount: int
    unit: Unit
    warn_before: timedelta
    source: str
    fast_track: bool = False


DEFAULT_POLICIES: tuple[PolicySeed, ...] = (
    PolicySeed(
        "im",
        "answer",
        3,
        Unit.HOURS,
        timedelta(hours=1),
        "Регламент Октябрьского района §2.5: 3 часа",
    ),
    PolicySeed(
        "im",
        "agreed",
        3,
        Unit.HOURS,
        timedelta(hours=1),
        "Регламент Октябрьского района §2.5: согласованный ответ куратору ИМ в течение 3 часов",
    ),
    PolicySeed(
        "gospublic",
        "answer",
        3,
        Unit.HOURS,
        timedelta(hours=1),
        "DESIGN §5: госпаблики — 3 часа, как соцсети",
    ),
    PolicySeed(
        "pos",
        "answer",
        25,
        Unit.CALENDAR_DAYS,
        timedelta(days=3),
        "Регламент Октябрьского района §2.5: 25 календарных дней",
    ),
    PolicySeed(
        "pos",
        "answer",
        10,
        Unit.CALENDAR_DAYS,
        timedelta(days=2),
        "Регламент Октябрьского района §2.5: фаст-трек — 10 календарных дней",
        fast_track=True,
    ),
    PolicySeed(
        "appeal",
        "answer",
        30,
        Unit.CALENDAR_DAYS,
        timedelta(days=5),
        "59-ФЗ ст. 12 ч. 1: 30 дней со дня регистрации",
    ),
    PolicySeed(
        "appeal",
        "registration",
        3,
        Unit.CALENDAR_DAYS,
        timedelta(days=1),
        "59-ФЗ ст. 8 ч. 2: регистрация в течение 3 дней",
    ),
    PolicySeed(
        "appeal",
        "forwarding",
        7,
        Unit.CALENDAR_DAYS,
        timedelta(days=2),
        "59-ФЗ ст. 8 ч. 3: переадресация в течение 7 дней со дня регистрации",
    ),
    PolicySeed(
        "email",
        "answer",
        30,
        Unit.CALENDAR_DAYS,
        timedelta(days=5),
        "59-ФЗ ст. 12 ч. 1 (обращение в форме электронного документа)",
    ),
    # The acts set no term for ЕДДС cards: a working default each municipality adjusts.
    PolicySeed(
        "edds",
        "answer",
        24,
        Unit.HOURS,
        timedelta(hours=4),
        "По умолчанию; уточняется муниципалитетом (акты срок не устанавливают)",
    ),
)
