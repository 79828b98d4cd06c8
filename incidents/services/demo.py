"""Demo incidents for ``manage.py seed_demo`` (issue 3, item 11): a living system to look at.

About 300 incidents per municipality, in Russian, received over the last eight weeks across every
channel, in every status — answered (some late), closed, rated, reopened, postponed with a
promised date, rejected with a reason, forwarded, merged duplicates, repeats, and a handful open
past their term. Each one is made the way production makes it: ``incident_create`` with an
``IncomingMessage``, then the lifecycle and answer services, acted by the municipality's own demo
accounts (``<slug>-im-operator``, ``<slug>-head`` …), so routing, terms, versions, approvals,
events and notifications are the real ones.

History. The services stamp ``timezone.now()``; a demo needs the past. Every step runs now, and
when the municipality is done the rows each step wrote are moved to the step's planned instant
(``_Seeder.move_to_the_past``); what a service derived from "now" (the ИМ stage term after a
hand-over, a reopened incident's new term, on-time flags in event data) is recomputed from the
planned instant as the story goes. Demo history only: production code never rewrites a time.
The flags the minute sweep would have set along the way are set as it sets them (breached at
the term, one rung up the ladder per escalation step), so the first live sweep has nothing to
catch up on.

No side effects. The services queue their after-commit work (the notification e-mails; later,
deliveries to channels) with ``transaction.on_commit``. For eight weeks that never happened none
of it may run — thousands of tasks in the broker would also hold up the live sweep behind them —
so it is discarded (``_as_history``), and the notifications are marked e-mailed and, but for the
last two days', read.

Deterministic and idempotent: a fixed random seed per municipality (each incident draws from
its own), external ids ``demo-<slug>-<n>``; a municipality that has its demo incidents is left
alone. All or nothing per municipality.

Who acts: see ``_Cast`` — the demo account whose role the permission matrix gives the step,
else a person of the act's roster, else the platform administrator standing in.
"""

from __future__ import annotations

import logging
import random
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from incidents.exceptions import IncidentError
from incidents.models import (
    Answer,
    AnswerVersion,
    Approval,
    ForwardTarget,
    Incident,
    IncidentClock,
    IncidentEvent,
    Kind,
    Notification,
    RejectReason,
    SlaPolicy,
    Status,
)
from incidents.services import answers, lifecycle, policies
from incidents.services.clock import clocks_sync
from incidents.services.intake import SOCIAL_CHANNELS, IncomingMessage, incident_create
from incidents.services.sweep import MAX_LEVEL, RUNG_NAMES
from mcu.models import Municipality
from mcu.seeding import SeedLog
from mcu.tenancy import municipality_scope
from roles.models import Channel, OrgUnit, Role, RoleAssignment, Sector, User
from roles.permissions import ActorCapabilities, Capability
from roles.selectors import actor_capabilities

logger = logging.getLogger(__name__)

C = Capability
_T = TypeVar("_T")

HISTORY = timedelta(days=56)  # eight weeks: the weekly chart has data in every column
TARGETS: dict[str, int] = {
    "lensky": 320,
    "askiz": 270,
    "sosnovoborsk": 300,
    "lovozero": 260,
    "oktyabrsky": 340,
}
DEFAULT_TARGET = 300
OPEN_OVERDUE = 5  # "a handful" open past the term in each municipality
PREFIX = "demo-"
_SEED = "mcu-demo-2026"


def demo_external_id_prefix(municipality: Municipality) -> str:
    return f"{PREFIX}{municipality.slug}-"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# --- geography: where the messages are about ------------------------------------------------
# The acts name no settlements, so none is seeded as an OrgUnit: the places live in the address
# text only. «slug | kind | name | locative | latitude | longitude | weight», then the streets.

_PLACES = """
lensky | г. | Ленск | в Ленске | 60.7253 | 114.9272 | 70
    ул. Ленина; ул. Победы; ул. Дзержинского; ул. Первомайская; ул. Чапаева; ул. Орджоникидзе;
    ул. Пролетарская; ул. Набережная; ул. Октябрьская; ул. Северная
lensky | пгт | Витим | в Витиме | 59.4511 | 112.5578 | 18
    ул. Советская; ул. Ленина; ул. Пушкина; ул. Набережная; ул. Заречная
lensky | пгт | Пеледуй | в Пеледуе | 59.6289 | 112.7414 | 12
    ул. Строителей; ул. Речников; ул. Центральная; ул. Школьная
askiz | с. | Аскиз | в Аскизе | 53.1339 | 90.5264 | 55
    ул. Советская; ул. Суворова; ул. Щетинкина; ул. Калинина; ул. Лермонтова;
    ул. Красноармейская; ул. Мира
askiz | с. | Бирикчуль | в Бирикчуле | 53.3530 | 89.8330 | 20
    ул. Школьная; ул. Центральная; ул. Набережная; ул. Лесная
askiz | пгт | Вершина Тёи | в Вершине Тёи | 53.0830 | 89.2830 | 25
    ул. Ленина; ул. Горняков; ул. Октябрьская; ул. Молодёжная
sosnovoborsk | г. | Сосновоборск | в Сосновоборске | 56.1203 | 93.3361 | 100
    ул. Ленинского Комсомола; ул. Юности; ул. Солнечная; ул. Энтузиастов; ул. Весенняя;
    ул. 9-й Пятилетки; пр. Мира; ул. Новоселов; ул. Труда; ул. Заводская
lovozero | с. | Ловозеро | в Ловозере | 68.0061 | 35.0097 | 45
    ул. Советская; ул. Пионерская; ул. Северная; ул. Вокуева; ул. Каневка; ул. Школьная
lovozero | пгт | Ревда | в Ревде | 67.9369 | 34.5606 | 45
    ул. Победы; ул. Кузина; ул. Комсомольская; ул. Металлургов; ул. Умбозерская; ул. Солнечная
lovozero | с. | Краснощелье | в Краснощелье | 67.3522 | 37.0516 | 10
    ул. Центральная; ул. Северная; ул. Школьная
oktyabrsky | пгт | Октябрьское | в Октябрьском | 62.4556 | 66.0483 | 22
    ул. Калинина; ул. Ленина; ул. Советская; ул. Чапаева; ул. Бичевая; ул. Светлая;
    ул. Комсомольская
oktyabrsky | пгт | Андра | в Андре | 62.5194 | 65.8833 | 10
    мкр. Центральный; ул. Набережная; ул. Лесная
oktyabrsky | пгт | Приобье | в Приобье | 62.5253 | 65.5947 | 20
    ул. Газовиков; ул. Строителей; ул. Крымская; ул. Школьная; ул. Береговая
oktyabrsky | пгт | Талинка | в Талинке | 61.9370 | 65.3460 | 12
    мкр. 1-й; мкр. 2-й; ул. Центральная
oktyabrsky | п. | Унъюган | в Унъюгане | 61.6170 | 64.4670 | 12
    ул. Тюменская; ул. Советская; ул. Дружбы Народов; ул. Молодёжная
oktyabrsky | п. | Сергино | в Сергино | 62.5000 | 65.6300 | 6
    ул. Центральная; ул. Советская
oktyabrsky | п. | Карымкары | в Карымкарах | 62.0830 | 67.2600 | 5
    ул. Ленина; ул. Комсомольская
oktyabrsky | с. | Перегрёбное | в Перегрёбном | 62.9600 | 65.0800 | 5
    ул. Советская; ул. Лесная
oktyabrsky | с. | Шеркалы | в Шеркалах | 62.7800 | 65.3800 | 3
    ул. Сельская; ул. Центральная
oktyabrsky | с. | Каменное | в Каменном | 62.3300 | 66.4200 | 2
    ул. Лесная; ул. Центральная
oktyabrsky | с. | Малый Атлым | в Малом Атлыме | 62.3300 | 66.2000 | 3
    ул. Советская; ул. Набережная
"""


@dataclass(frozen=True)
class _Place:
    kind: str  # «г.», «пгт», «с.», «п.» — as an address writes it
    name: str
    locative: str  # «в Ленске»
    lat: float
    lon: float
    weight: int
    streets: tuple[str, ...]


def _parse_places(table: str) -> dict[str, tuple[_Place, ...]]:
    rows: list[tuple[list[str], list[str]]] = []
    for line in table.strip().splitlines():
        if "|" in line:
            rows.append(([cell.strip() for cell in line.split("|")], []))
        else:
            rows[-1][1].extend(s.strip() for s in line.split(";") if s.strip())
    places: dict[str, list[_Place]] = {}
    for (slug, kind, name, locative, lat, lon, weight), streets in rows:
        place = _Place(kind, name, locative, float(lat), float(lon), int(weight), tuple(streets))
        places.setdefault(slug, []).append(place)
    return {slug: tuple(items) for slug, items in places.items()}


@dataclass(frozen=True)
class _Geo:
    places: tuple[_Place, ...]
    frost: tuple[int, int]  # degrees below zero in the heating season, for the texts
    routes: tuple[str, ...]  # bus routes
    river: str = ""  # the river of the ice crossing, where there is one (accusative)
    forward_regional: str = ForwardTarget.CUR


_PLACES_BY_SLUG = _parse_places(_PLACES)
_GEOGRAPHY: dict[str, _Geo] = {
    "lensky": _Geo(
        _PLACES_BY_SLUG["lensky"],
        frost=(34, 46),
        routes=("1", "2", "3", "5"),
        river="Лену",
        # Якутия: regional incidents go to the Coordination Center with the ЦУР (DESIGN §11).
        forward_regional=ForwardTarget.COORDINATION_CENTER,
    ),
    "askiz": _Geo(_PLACES_BY_SLUG["askiz"], frost=(18, 30), routes=("101", "102", "108")),
    "sosnovoborsk": _Geo(
        _PLACES_BY_SLUG["sosnovoborsk"], frost=(15, 28), routes=("1", "2", "3", "146", "161")
    ),
    "lovozero": _Geo(
        _PLACES_BY_SLUG["lovozero"],
        frost=(12, 24),
        routes=("222", "223", "1"),
        # Мурманская область: regional incidents go to the ЕЦПУР (Ловозерский, Прил. 2 п. 5).
        forward_regional=ForwardTarget.ECPUR,
    ),
    "oktyabrsky": _Geo(
        _PLACES_BY_SLUG["oktyabrsky"], frost=(22, 34), routes=("1", "2", "105"), river="Обь"
    ),
}


# --- what citizens write -----------------------------------------------------------------------
# Placeholders: {addr} «ул. Ленина, д. 12», {street}, {street2}, {house}, {place}, {in_place},
# {frost}, {days}, {route}, {school}, {floor}, {hour}, {entrance}, {river}.

_MESSAGES: dict[str, tuple[str, ...]] = {
    "zhkh.heating": (
        "Третий день нет отопления в доме по {addr}. В квартирах +14, дети болеют. "
        "Управляющая компания трубку не берёт.",
        "{in_place} на улице {frost}, а батареи в доме по {addr} еле тёплые. Когда наладят "
        "отопление?",
        "Опять холодные батареи в подъезде {entrance} дома по {addr}. Заявку в УК подавали ещё "
        "на прошлой неделе, никто не пришёл.",
        "Прошу восстановить теплоснабжение и сделать перерасчёт: в квартире по {addr} температура "
        "ниже нормы уже {days}.",
        "В угловых квартирах дома по {addr} промерзают стены, батареи холодные. Сколько можно?",
    ),
    "zhkh.water": (
        "Нет холодной воды с утра по {addr}. Никаких объявлений не было. Когда дадут воду?",
        "Из крана идёт ржавая вода, {addr}. Пить невозможно, детей купать страшно.",
        "Подвоз воды по {street} {in_place} не осуществляется уже {days}. Бочки пустые.",
        "Слабый напор горячей воды в доме по {addr}, на {floor} этаж вода не поднимается.",
    ),
    "zhkh.sewerage": (
        "Во дворе дома по {addr} прорвало канализацию, течёт по двору, запах на всю улицу.",
        "Подвал дома по {addr} затоплен стоками. Просим срочно откачать.",
        "Ассенизатор не приезжает уже {days}, выгребная яма переполнена, {addr}.",
    ),
    "zhkh.mkd": (
        "В подъезде дома по {addr} не работает освещение, вечером ходим с фонариками.",
        "Течёт крыша в доме по {addr}, на {floor} этаже мокрые потолки и плесень.",
        "Не закрывается входная дверь в подъезд {entrance} по {addr}, в подъезде холодно.",
        "Сосульки и наледь на крыше дома по {addr} висят прямо над входом. Опасно!",
    ),
    "zhkh.management_company": (
        "Управляющая компания не отвечает на заявки, {addr}. Подъезд не убирается месяц.",
        "УК выставляет счета за содержание, а работы не проводит. Дом по {addr}.",
    ),
    "zhkh.capital_repair": (
        "Когда будет капитальный ремонт крыши в доме по {addr}? Платим взносы много лет.",
        "Подрядчик по капремонту бросил работы в доме по {addr}, стояки разобраны, "
        "на улице {frost}.",
    ),
    "zhkh.utility_bills": (
        "Пришла квитанция за отопление в два раза больше прошлого месяца, {addr}. "
        "Прошу разъяснить начисления.",
        "Начисляют за горячую воду, которой в доме по {addr} нет с лета. Прошу сделать перерасчёт.",
    ),
    "roads.potholes": (
        "Яма на дороге по {street} напротив дома {house}. Уже несколько машин пробили колёса.",
        "Дорога по {street} {in_place} разбита полностью, ямы по колено. Когда отремонтируют?",
        "Асфальт на {street}, положенный прошлым летом, снова провалился. Кто ответит "
        "за качество ремонта?",
    ),
    "roads.sidewalks": (
        "Нет тротуара вдоль {street}, дети идут в школу по проезжей части.",
        "Тротуар на {street} у дома {house} весь в колдобинах, пожилым людям не пройти.",
    ),
    "roads.snow": (
        "Не чистят снег на {street} {in_place}. Машины застревают, скорая не проедет.",
        "Гололёд на тротуарах по {street}, ничем не посыпано. Вчера женщина упала и сломала руку.",
        "Грейдер сгрёб снег во двор дома по {addr} и завалил выезд. Просим вывезти снег.",
        "Остановку на {street} завалило снегом, люди стоят прямо на проезжей части.",
    ),
    "roads.lighting": (
        "Не горят фонари на {street} от дома {house} до конца улицы. Темно, дети идут из школы.",
        "Уличное освещение {in_place} по {street} не работает уже {days}.",
    ),
    "roads.road_signs": (
        "У школы на {street} стёрлась разметка пешеходного перехода и упал знак.",
        "Просим установить знак «Дети» и лежачий полицейский на {street} у дома {house}.",
    ),
    "roads.traffic_lights": (
        "Не работает светофор на перекрёстке {street} и {street2}. Чуть не сбили ребёнка.",
    ),
    "transport.schedule": (
        "Автобус № {route} утром не пришёл, ждали 40 минут на остановке на {street}. "
        "Опоздали на работу.",
        "Почему убрали вечерние рейсы автобуса № {route}? После 19:00 не уехать.",
    ),
    "transport.routes": (
        "Просим продлить маршрут № {route} до новых домов на {street}.",
        "Нет автобуса от {street} до больницы, пенсионерам приходится ходить пешком.",
    ),
    "transport.stops": (
        "На остановке на {street} нет павильона, люди стоят на ветру в {frost}.",
        "Разбит павильон остановки у дома {house} по {street}, осколки стекла на земле.",
    ),
    "transport.vehicle_condition": (
        "В автобусе № {route} не работает отопление, ехать холодно. Водитель говорит — не моя "
        "проблема.",
    ),
    "transport.river_crossing": (
        "Когда откроют ледовую переправу через {river}? Люди не могут добраться до больницы.",
        "На переправе через {river} очереди по несколько часов, паром ходит не по расписанию.",
    ),
    "improvement.yards": (
        "Во дворе дома по {addr} сплошная наледь, не пройти к подъезду.",
        "Просим установить освещение и скамейки во дворе дома по {addr}.",
    ),
    "improvement.playgrounds": (
        "Детская площадка у дома по {addr} сломана: качели оторваны, торчат болты. "
        "Опасно для детей.",
        "На детской площадке на {street} горку залило льдом и разбито ограждение.",
    ),
    "improvement.parks": (
        "В сквере на {street} не убирают мусор, урны переполнены.",
        "В парке {in_place} не горит ни один фонарь, вечером страшно ходить.",
    ),
    "improvement.greenery": (
        "Аварийное дерево у дома по {addr} наклонилось над проводами. Просим спилить.",
        "Сухие тополя вдоль {street} могут упасть на машины. Кто будет отвечать?",
    ),
    "improvement.stray_animals": (
        "Стая бродячих собак у школы на {street}, кидаются на детей. Примите меры!",
        "Возле дома по {addr} бегают бездомные собаки, вчера покусали ребёнка.",
    ),
    "improvement.cleaning": (
        "Территория у магазина на {street} завалена мусором, никто не убирает.",
        "После ярмарки на {street} остался мусор, уже {days} никто не убирает.",
    ),
    "waste.collection": (
        "Когда вывезут мусор? Контейнеры на {street} переполнены уже {days}.",
        "Мусор с площадки у дома по {addr} не вывозят неделю, всё разносит ветром и собаками.",
        "Региональный оператор пропускает вывоз по {street} {in_place}, график не соблюдается.",
    ),
    "waste.container_sites": (
        "Просим оборудовать контейнерную площадку на {street}, люди складывают мусор на землю.",
        "Контейнеры на площадке у дома по {addr} сломаны, крышек нет.",
    ),
    "waste.dumps": (
        "Несанкционированная свалка за домами по {street} {in_place}, мусор жгут, дым во дворах.",
        "На въезде {in_place} снова свалка строительного мусора. Кто её уберёт?",
    ),
    "waste.tariffs": ("Начисляют за вывоз ТКО на умершего родственника, {addr}. Куда обращаться?",),
    "energy.power_outage": (
        "Нет света на {street} {in_place} с {hour}:00. Когда дадут электричество?",
        "Постоянные отключения электроэнергии {in_place}, за неделю третий раз. Техника горит.",
    ),
    "energy.gas": (
        "Когда проведут газ на {street}? Обещали в прошлом году.",
        "Низкое давление газа в доме по {addr}, котёл не запускается.",
    ),
    "energy.power_lines": (
        "Оборван провод на столбе у дома по {addr}, висит низко над дорогой.",
        "Покосилась опора ЛЭП на {street}, вот-вот упадёт.",
    ),
    "education.schools": (
        "В школе № {school} в классах холодно, дети сидят в куртках.",
        "В школе № {school} нет учителя математики, уроки заменяют или отменяют.",
    ),
    "education.kindergartens": (
        "Когда дадут место в детском саду? Стоим в очереди больше года.",
        "В детском саду на {street} протекает крыша в группе.",
    ),
    "education.school_transport": (
        "Школьный автобус {in_place} не пришёл утром, дети не попали на уроки.",
    ),
    "education.school_meals": (
        "Жалобы на питание в школе № {school}: порции маленькие, еда холодная.",
    ),
    "education.additional_education": (
        "Закрыли кружок робототехники в доме детского творчества {in_place}. Куда водить детей?",
    ),
    "health.clinics": (
        "В поликлинике {in_place} нет записи к терапевту на две недели вперёд.",
        "ФАП {in_place} закрыт, фельдшер уволился. Как получать помощь?",
    ),
    "health.doctors": ("Нет педиатра {in_place} уже полгода, с детьми ездим за сотни километров.",),
    "health.medicines": (
        "В аптеке {in_place} нет льготных лекарств, инсулин не выдают вторую неделю.",
    ),
    "health.ambulance": ("Скорая ехала к пожилому человеку на {street} больше часа.",),
    "social.benefits": (
        "Не пришло единое пособие за октябрь. Куда обращаться?",
        "Отказали в компенсации за уголь, хотя я пенсионер и живу в частном доме по {addr}.",
    ),
    "social.large_families": (
        "Многодетная семья, стоим в очереди на земельный участок с 2019 года. Когда дадут?",
    ),
    "social.disabled": (
        "В здании на {street}, где принимают документы, нет пандуса, на коляске не попасть.",
    ),
    "social.elderly": (
        "Пожилой соседке с {street} нужна помощь с дровами, она одна, родственников нет.",
    ),
    "social.svo_families": (
        "Семья участника СВО, {addr}. Нужна помощь с ремонтом печи, муж на службе.",
    ),
    "culture_sport.culture_houses": (
        "В доме культуры {in_place} не работает отопление, кружки отменили.",
    ),
    "culture_sport.sport_facilities": (
        "Когда зальют каток на {street}? Дети ждут.",
        "В спортзале {in_place} сломаны тренажёры, а абонемент платный.",
    ),
    "culture_sport.events": (
        "Почему не объявили заранее, что {street} перекроют на время праздника?",
    ),
    "culture_sport.youth": (
        "Подросткам {in_place} негде заниматься вечером, просим открыть спортзал школы.",
    ),
    "ecology.air": ("Из трубы котельной на {street} валит чёрный дым, дышать невозможно.",),
    "ecology.water_bodies": ("У {street} в реку сливают отходы, вода пахнет нефтепродуктами.",),
    "ecology.felling": ("Вырубают лес за {street} {in_place}. Есть ли на это разрешение?",),
    "safety.fire": (
        "В заброшенном доме на {street} собираются подростки и жгут костры. Боимся пожара.",
    ),
    "safety.floods": (
        "Наледь на {street} растёт, вода выходит на дорогу и во дворы. Просим принять меры.",
    ),
    "safety.public_order": (
        "Шумная компания у магазина на {street} каждый вечер распивает спиртное.",
    ),
    "safety.dangerous_buildings": (
        "Расселённый дом по {addr} стоит с открытыми окнами и дверями, туда лазят дети.",
    ),
    "economy.trade": ("В магазинах {in_place} цены на хлеб и молоко выросли на 20 %. Проверьте.",),
    "economy.business": ("Как получить субсидию на открытие пекарни {in_place}?",),
    "economy.employment": ("Нет работы {in_place}, центр занятости ничего не предлагает.",),
    "economy.agriculture": ("Бродячий скот на дороге по {street}, хозяева не следят.",),
    "property.land": ("Подал заявление на участок под ИЖС на {street} полгода назад, ответа нет.",),
    "property.municipal_housing": (
        "В муниципальной квартире по {addr} течёт крыша, наймодатель не реагирует.",
    ),
    "property.resettlement": ("Дом по {addr} признан аварийным в 2019 году. Когда расселят?",),
    "construction.new_buildings": ("Стройка на {street} стоит с лета. Когда продолжат?",),
    "construction.permits": (
        "Сосед строит гараж вплотную к моему забору, {addr}. Есть ли у него разрешение?",
    ),
    "construction.illegal_construction": ("На тротуаре по {street} поставили киоск. Это законно?",),
    "other.communication": ("Нет мобильной связи и интернета {in_place} уже {days}.",),
    "other.other": ("Подскажите, куда обратиться по поводу брошенной машины у дома по {addr}?",),
}

# The share of each root topic among messages (ЖКХ and roads lead, as in every ЦУР report).
_ROOT_WEIGHTS: dict[str, float] = {
    "zhkh": 22,
    "roads": 17,
    "improvement": 11,
    "waste": 9,
    "transport": 6,
    "energy": 6,
    "education": 5,
    "health": 4,
    "social": 5,
    "culture_sport": 2,
    "ecology": 2,
    "safety": 3,
    "economy": 2,
    "property": 3,
    "construction": 1,
    "other": 2,
}
_CHANNEL_ROOT_FACTORS: dict[str, dict[str, float]] = {
    Channel.EDDS: {
        "zhkh": 2,
        "energy": 3,
        "safety": 3,
        "education": 0.2,
        "social": 0.2,
        "property": 0.1,
        "economy": 0.1,
        "culture_sport": 0.1,
        "construction": 0.1,
    },
    Channel.APPEAL: {"property": 4, "social": 2, "construction": 3, "waste": 0.5},
    Channel.EMAIL: {"property": 3, "social": 2, "construction": 2},
    Channel.IM: {"roads": 1.3, "improvement": 1.3, "waste": 1.3, "property": 0.3},
    Channel.GOSPUBLIC: {"roads": 1.3, "improvement": 1.3, "culture_sport": 3, "property": 0.3},
}
_REGIONAL_ROOTS = ("health", "social", "roads", "transport")  # what gets forwarded upward

_SOCIAL_OPENERS = ("", "", "", "Здравствуйте! ", "Добрый день! ", "Администрация, ", "Помогите! ")
_SOCIAL_CLOSERS = (
    "",
    "",
    " Примите меры!",
    " Сколько можно ждать?",
    " Разберитесь, пожалуйста.",
    " Заранее спасибо.",
    " Фото прилагаю.",
)
_POS_CLOSERS = ("", " Прошу разобраться.", " Прошу принять меры.", " Фото во вложении.")
_FORMAL_OPENERS = (
    "Прошу принять меры по следующему вопросу. ",
    "Обращаюсь к вам по следующему вопросу. ",
    "",
)

_REJECTED: dict[str, tuple[str, ...]] = {
    RejectReason.SPAM: (
        "Заработок от 5000 в день без вложений! Пиши в личку.",
        "Продам дрова, уголь, доставка по району. Звоните!",
    ),
    RejectReason.OBSCENE: ("[комментарий скрыт модератором: нецензурная брань и оскорбления]",),
    RejectReason.NO_SUBSTANCE: ("Ну и когда???", "Позор!!!", "Всё понятно с вами."),
    RejectReason.GRATITUDE: (
        "Спасибо коммунальщикам за быструю уборку снега на {street}! Отлично сработали.",
        "Благодарим администрацию за новую детскую площадку на {street}!",
    ),
    RejectReason.CLOSED_PROFILE: ("Опять на {street} то же самое, сколько можно.",),
    RejectReason.NOT_AN_INCIDENT: (
        "Подскажите, во сколько в субботу работает МФЦ {in_place}?",
        "Когда будет ёлка на площади {in_place}?",
    ),
}

_REJECT_WEIGHTS: dict[str, float] = {
    RejectReason.SPAM: 3,
    RejectReason.OBSCENE: 2,
    RejectReason.NO_SUBSTANCE: 3,
    RejectReason.GRATITUDE: 3,
    RejectReason.CLOSED_PROFILE: 1,
    RejectReason.NOT_AN_INCIDENT: 2,
}

# --- what the МЦУ answers ----------------------------------------------------------------------

_ANSWERS: dict[str, tuple[str, ...]] = {
    "zhkh.heating": (
        "Специалисты управляющей компании обследовали внутридомовую систему отопления дома по "
        "{addr}: выполнены промывка и регулировка стояков, температура в квартирах восстановлена "
        "до нормативной.",
        "Причиной было завоздушивание системы отопления. Воздух стравлен, батареи прогреты; "
        "перерасчёт платы за период нарушения выполнит управляющая компания.",
    ),
    "zhkh.water": (
        "Причина — порыв на водоводе. Аварийная бригада устранила порыв, водоснабжение "
        "восстановлено. Приносим извинения за неудобства.",
    ),
    "roads.potholes": (
        "Подрядной организации выдано задание: ямочный ремонт участка по {street} выполнен.",
    ),
    "roads.snow": (
        "Уборка снега по {street} выполнена, тротуары обработаны противогололёдной смесью. "
        "Участок взят на контроль.",
    ),
    "roads.lighting": ("Перегоревшие светильники на {street} заменены, освещение восстановлено.",),
    "waste.collection": (
        "Региональному оператору направлено требование. Вывоз отходов с площадки на {street} "
        "выполнен, график вывоза скорректирован.",
    ),
    "improvement.stray_animals": (
        "Заявка передана в службу по обращению с животными без владельцев; отлов на {street} "
        "проведён.",
    ),
    "energy.power_outage": (
        "Отключение было вызвано аварией на линии 10 кВ. Электроснабжение восстановлено.",
    ),
    "transport.schedule": (
        "Перевозчику указано на нарушение расписания маршрута № {route}; проведена проверка, "
        "рейсы выполняются по графику.",
    ),
    "zhkh": ("Управляющей организации выдано предписание; неисправность устранена.",),
    "roads": ("Работы на участке по {street} выполнены подрядной организацией.",),
    "improvement": ("Работы по благоустройству на {street} выполнены.",),
    "waste": ("Региональный оператор выполнил вывоз, площадка приведена в порядок.",),
    "energy": ("Сетевая организация устранила неисправность.",),
    "transport": (
        "Перевозчику направлено требование; движение по маршруту № {route} приведено "
        "в соответствие с расписанием, ситуация на контроле.",
    ),
    "education": (
        "Управление образования провело проверку; нарушения устранены, руководителю "
        "учреждения указано на недопустимость подобного.",
    ),
    "health": (
        "Обращение направлено главному врачу районной больницы: приём организован, "
        "запись открыта по телефону регистратуры.",
    ),
    "social": (
        "Управление социальной защиты рассмотрело ваш вопрос; специалист свяжется с вами "
        "для оформления документов.",
    ),
    "culture_sport": ("Отдел культуры и спорта рассмотрел обращение; работы выполнены.",),
    "ecology": (
        "Проведён выезд на место; нарушитель установлен, материалы направлены в надзорный орган.",
    ),
    "safety": (
        "Информация передана в полицию и пожарную часть; проведён рейд, место на контроле.",
    ),
    "economy": (
        "Отдел экономики рассмотрел ваш вопрос; консультацию по мерам поддержки можно получить "
        "в администрации в рабочие дни.",
    ),
    "property": (
        "Отдел по управлению имуществом рассмотрел обращение; о сроках сообщим дополнительно "
        "письмом.",
    ),
    "construction": ("Проведена проверка; собственнику выдано предписание.",),
    "": (
        "Ваше сообщение рассмотрено ответственным подразделением; по нему приняты меры.",
        "Информация проверена и передана ответственной службе; работы выполнены.",
    ),
}
_INTERIM: dict[str, str] = {
    "roads": "Ремонт участка по {street} включён в план работ подрядной организации.",
    "zhkh": "Работы включены в план управляющей организации.",
    "zhkh.heating": "Нужна замена участка теплосети; работы включены в график.",
    "zhkh.water": "Нужна замена участка водовода; работы включены в график.",
    "zhkh.mkd": "Ремонт кровли и подъезда включён в план текущего ремонта дома.",
    "improvement": "Работы по {street} включены в план благоустройства.",
    "waste": "Оборудование контейнерной площадки включено в план региональным оператором.",
    "": "Для решения вопроса требуются закупка материалов и проведение работ.",
}
_RETURN_REASONS = (
    "Уточните сроки выполнения работ.",
    "Ответ не по существу: укажите, что именно сделано.",
    "Добавьте информацию о перерасчёте платы.",
    "Исправьте адрес и обращение к заявителю.",
)
_FORWARD_NOTES: dict[str, str] = {
    ForwardTarget.CUR: "Региональный инцидент: вопрос в компетенции органов власти субъекта.",
    ForwardTarget.COORDINATION_CENTER: "Региональный инцидент — в Координационный центр.",
    ForwardTarget.ECPUR: "Передано на ЕЦПУР: вопрос регионального уровня.",
    ForwardTarget.OTHER_AUTHORITY: "Вопрос вне компетенции органов местного самоуправления "
    "(59-ФЗ ст. 8 ч. 3).",
}

# --- people (fictional; no surname of an act's roster) -----------------------------------------

_FEMALE = _words(
    "Ольга Елена Татьяна Наталья Ирина Светлана Марина Анна Юлия Екатерина Галина Людмила "
    "Валентина Надежда Оксана Дарья Алёна Вера"
)
_MALE = _words(
    "Сергей Александр Андрей Алексей Дмитрий Владимир Николай Игорь Евгений Михаил Виктор Павел "
    "Иван Юрий Роман Денис Олег Максим"
)
_FATHERS = _words(
    "Сергеев Александров Николаев Иванов Викторов Петров Владимиров Михайлов Анатольев Юрьев "
    "Геннадьев Васильев"
)
_SURNAMES = _words(
    "Иванов Петров Смирнов Кузьмин Попов Васильев Соколов Михайлов Новиков Фёдоров Морозов Волков "
    "Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Орлов Андреев Макаров Захаров Зайцев "
    "Борисов Яковлев Григорьев Романов Белов Тарасов"
)
_LOCAL_SURNAMES: dict[str, tuple[str, ...]] = {
    "lensky": _words("Сивцев Винокуров Слепцов Саввинов Жирков Охлопков"),
    "askiz": _words("Чебодаев Боргояков Сагалаков Кызласов Тохтобин Чаптыков"),
    "lovozero": _words("Канев Артеев Галкин Юрьев Терентьев Матрёхин"),
    "oktyabrsky": _words("Кондин Тарлин Сенгепов Молданов Шестаков"),
}
_CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_LATIN_SPELLING = "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh sch - y - e yu ya"
_LATIN = dict(zip(_CYRILLIC, _LATIN_SPELLING.split(), strict=True))


@dataclass(frozen=True)
class _Citizen:
    surname: str
    first: str
    patronymic: str
    female: bool

    @property
    def full(self) -> str:
        return f"{self.surname} {self.first} {self.patronymic}"

    @property
    def short(self) -> str:
        """As a social network shows the author."""
        return f"{self.first} {self.surname}"

    @property
    def email(self) -> str:
        local = "".join(_LATIN.get(ch, ch) for ch in f"{self.first[0]}.{self.surname}".lower())
        # A reserved domain (RFC 2606): demo data must never reach a real mailbox.
        return f"{local.replace('-', '')}@example.com"

    @property
    def salutation(self) -> str:
        return f"{'Уважаемая' if self.female else 'Уважаемый'} {self.first} {self.patronymic}!"


def _citizen(rng: random.Random, slug: str) -> _Citizen:
    female = rng.random() < 0.58  # women write to the МЦУ more often than men
    surname = rng.choice(_SURNAMES + _LOCAL_SURNAMES.get(slug, ()) * 2)
    if female and surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        surname += "а"
    father = rng.choice(_FATHERS)
    return _Citizen(
        surname=surname,
        first=rng.choice(_FEMALE if female else _MALE),
        patronymic=father + ("на" if female else "ич"),
        female=female,
    )


# --- the plan: what happens to each incident ---------------------------------------------------


class _Fate(StrEnum):
    """The status an incident ends in, and the way it gets there."""

    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    ON_APPROVAL = "on_approval"
    APPROVED = "approved"
    ANSWERED = "answered"
    CLOSED = "closed"
    POSTPONED = "postponed"
    REJECTED = "rejected"
    FORWARDED = "forwarded"
    REOPENED = "reopened"  # answered, rated 1–2, reopened, still open
    REANSWERED = "reanswered"  # answered, rated 1–2, reopened, answered again
    OVERDUE = "overdue"  # open, past its term
    MERGED = "merged"  # a duplicate, merged into its parent


_OPEN_FRESH = (_Fate.NEW, _Fate.ASSIGNED, _Fate.IN_PROGRESS, _Fate.ON_APPROVAL, _Fate.APPROVED)
_FATE_SHARES: tuple[tuple[_Fate, float], ...] = (
    (_Fate.CLOSED, 0.24),
    (_Fate.IN_PROGRESS, 0.07),
    (_Fate.ASSIGNED, 0.04),
    (_Fate.NEW, 0.03),
    (_Fate.ON_APPROVAL, 0.04),
    (_Fate.APPROVED, 0.025),
    (_Fate.POSTPONED, 0.04),
    (_Fate.REJECTED, 0.07),
    (_Fate.FORWARDED, 0.035),
    (_Fate.REOPENED, 0.015),
    (_Fate.REANSWERED, 0.015),
)  # the rest, about a third, answered; plus OPEN_OVERDUE and 3.5 % merged duplicates

# Social networks and ПОС bring most messages (Аскизский's МЦУ works with those two only).
_CHANNEL_WEIGHTS: dict[str, dict[str, float]] = {
    "lensky": {"im": 30, "pos": 27, "gospublic": 10, "edds": 13, "appeal": 11, "email": 9},
    "askiz": {"im": 40, "pos": 38, "gospublic": 6, "edds": 6, "appeal": 5, "email": 5},
    "sosnovoborsk": {"im": 34, "pos": 33, "gospublic": 12, "edds": 5, "appeal": 8, "email": 8},
    "lovozero": {"im": 34, "pos": 32, "gospublic": 5, "edds": 9, "appeal": 12, "email": 8},
    "oktyabrsky": {"im": 33, "pos": 30, "gospublic": 8, "edds": 9, "appeal": 11, "email": 9},
}
# Work still in progress is mostly ПОС and appeals (weeks of term), spam mostly social networks.
_FATE_CHANNEL_FACTORS: dict[str, dict[str, float]] = {
    **{fate: {"im": 0.15, "gospublic": 0.1, "edds": 0.15} for fate in _OPEN_FRESH},
    _Fate.OVERDUE: {"im": 0.4, "gospublic": 0.2, "edds": 0.2},
    _Fate.POSTPONED: {"im": 0.3, "gospublic": 0.2, "edds": 0.3},
    _Fate.REJECTED: {
        "im": 1.5,
        "gospublic": 1.5,
        "pos": 0.7,
        "edds": 0.2,
        "appeal": 0.1,
        "email": 0.4,
    },
    _Fate.FORWARDED: {"appeal": 2, "email": 1.5, "im": 0.6, "edds": 0.2, "gospublic": 0.3},
    _Fate.REOPENED: {"pos": 1.5, "edds": 0.3, "appeal": 0.5, "email": 0.5},
    _Fate.REANSWERED: {"pos": 1.5, "edds": 0.3, "appeal": 0.5, "email": 0.5},
}
# The regulation's default terms, to place a fate's receipt in time; the steps after receipt
# follow the term the services actually computed.
_NOMINAL_TERM: dict[str, timedelta] = {
    Channel.IM: timedelta(hours=3),
    Channel.GOSPUBLIC: timedelta(hours=3),
    Channel.EDDS: timedelta(hours=24),
    Channel.POS: timedelta(days=25),
    Channel.APPEAL: timedelta(days=31),
    Channel.EMAIL: timedelta(days=31),
}
_FAST_TRACK_TERM = timedelta(days=10)
_FAST_TRACK_SHARE = 0.15
# Messages by local hour of the day (0–23): few at night, most in working hours and evenings.
_HOUR_WEIGHTS = tuple(
    float(w)
    for w in _words("5 3 3 3 5 10 25 50 90 100 100 100 90 90 100 90 90 80 80 80 70 60 40 20")
)


@dataclass
class _Spec:
    """One planned incident: its message and its fate. ``rng`` drives its own story."""

    slug: str
    n: int
    fate: _Fate
    channel: str
    fast_track: bool
    root: str
    topic_code: str | None
    text: str
    citizen: _Citizen
    fmt: dict[str, str]
    address: str
    received_at: datetime
    rng: random.Random
    reject_reason: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    dups: list[_Spec] = field(default_factory=list)

    @property
    def external_id(self) -> str:
        return f"{PREFIX}{self.slug}-{self.n:04d}"

    @property
    def term(self) -> timedelta:
        return _FAST_TRACK_TERM if self.fast_track else _NOMINAL_TERM[self.channel]


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = sorted(k for k, w in weights.items() if w > 0)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _fates(total: int) -> list[_Fate]:
    """The fate of every planned (non-duplicate) incident: the shares, at least two of each."""
    fates = [_Fate.OVERDUE] * OPEN_OVERDUE
    for fate, share in _FATE_SHARES:
        fates += [fate] * max(2, round(total * share))
    return fates + [_Fate.ANSWERED] * max(2, total - len(fates))


class _Planner:
    """Draws one municipality's messages from its own seeded generator."""

    def __init__(self, municipality: Municipality, *, now: datetime) -> None:
        self.municipality = municipality
        self.slug = municipality.slug
        self.geo = _GEOGRAPHY.get(self.slug) or _GEOGRAPHY["sosnovoborsk"]
        self.now = now
        self.rng = random.Random(f"{_SEED}:{self.slug}")
        self.hot_spots: list[tuple[str, _Place, str, str]] = []

    def plan(self, target: int) -> list[_Spec]:
        """Specs in order of receipt; merged duplicates ride on their parent's spec."""
        rng = self.rng
        n_dups = max(4, round(target * 0.035))
        fates = _fates(target - n_dups)
        rng.shuffle(fates)
        # Places with a recurring problem — the same topic at the same address — so that
        # repeats and the problemator have something to show.
        self.hot_spots = [self._hot_spot() for _ in range(6)]
        specs = [self._spec(n, fate) for n, fate in enumerate(fates, start=1)]
        parents = [
            s
            for s in specs
            if s.fate in (_Fate.ANSWERED, _Fate.CLOSED)
            and s.channel in (Channel.IM, Channel.POS, Channel.EDDS)
        ]
        for n in range(len(specs) + 1, len(specs) + n_dups + 1 if parents else 0):
            parent = rng.choice(parents)
            parent.dups.append(self._duplicate(n, parent))
        return sorted(specs, key=lambda s: (s.received_at, s.n))

    def _hot_spot(self) -> tuple[str, _Place, str, str]:
        code = self.rng.choice(
            ("zhkh.heating", "zhkh.water", "roads.potholes", "waste.collection", "zhkh.mkd")
        )
        place = self._place()
        return code, place, self.rng.choice(place.streets), str(self.rng.randint(1, 45))

    def _place(self) -> _Place:
        places = self.geo.places
        return self.rng.choices(places, weights=[p.weight for p in places])[0]

    def _received(self, n: int, fate: _Fate, term: timedelta) -> datetime:
        """When it came in: old enough for its fate, by the daily rhythm where there is room.

        Its own generator: how many draws the rhythm takes depends on the date of the run, and
        must not change what the rest of the plan draws (the same messages every run).
        """
        rng = random.Random(f"{_SEED}:{self.slug}:{n}:received")
        day = timedelta(days=1)
        if fate in _OPEN_FRESH:  # still within the term
            youngest, oldest = timedelta(minutes=20), term * 0.8
        elif fate == _Fate.OVERDUE:
            youngest = term + (timedelta(hours=2) if term < day else day)
            oldest = youngest + (2 * day if term < day else 9 * day)
        elif fate in (_Fate.REOPENED, _Fate.REANSWERED):
            youngest, oldest = max(term * 1.6, 3 * day), HISTORY
        elif fate == _Fate.POSTPONED:
            youngest, oldest = (timedelta(hours=2), term * 0.8) if term < day else (day, term * 0.8)
        elif fate == _Fate.REJECTED:
            youngest, oldest = timedelta(hours=2), HISTORY
        else:  # answered, closed, forwarded
            youngest, oldest = (timedelta(hours=12) if term < day else term * 0.5), HISTORY
        oldest = min(max(oldest, youngest + timedelta(minutes=30)), HISTORY)
        low, high = youngest.total_seconds(), oldest.total_seconds()
        at = self.now - timedelta(seconds=rng.uniform(low, high))
        if oldest - youngest >= 2 * day:
            for _ in range(12):  # accept the instant by its local hour, fewer at weekends
                local = at.astimezone(self.municipality.tz)
                weight = _HOUR_WEIGHTS[local.hour] / 100 * (0.7 if local.weekday() >= 5 else 1)
                if rng.random() < weight:
                    break
                at = self.now - timedelta(seconds=rng.uniform(low, high))
        return at.replace(microsecond=0)

    def _topic(self, channel: str, fate: _Fate) -> tuple[str, str]:
        if fate == _Fate.FORWARDED:
            weights = {root: _ROOT_WEIGHTS[root] for root in _REGIONAL_ROOTS}
        else:
            factors = _CHANNEL_ROOT_FACTORS.get(channel, {})
            weights = {root: w * factors.get(root, 1) for root, w in _ROOT_WEIGHTS.items()}
        root = _weighted(self.rng, weights)
        codes = [
            code
            for code in _MESSAGES
            if code.startswith(f"{root}.")
            and (self.geo.river or code != "transport.river_crossing")
        ]
        return root, self.rng.choice(codes)

    def _spec(self, n: int, fate: _Fate) -> _Spec:
        rng = self.rng
        factors = _FATE_CHANNEL_FACTORS.get(fate, {})
        base = _CHANNEL_WEIGHTS.get(self.slug) or _CHANNEL_WEIGHTS["sosnovoborsk"]
        channel = _weighted(rng, {ch: w * factors.get(ch, 1) for ch, w in base.items()})
        fast_track = channel == Channel.POS and rng.random() < _FAST_TRACK_SHARE
        place = self._place()
        street, house = rng.choice(place.streets), str(rng.randint(1, 60))
        reject_reason = ""
        code: str | None
        if fate == _Fate.REJECTED:
            reject_reason = _weighted(rng, _REJECT_WEIGHTS)
            root = "other"
            code = "other.gratitude" if reject_reason == RejectReason.GRATITUDE else None
            template = rng.choice(_REJECTED[reject_reason])
        else:
            root, code = self._topic(channel, fate)
            if fate not in (_Fate.FORWARDED, _Fate.NEW) and rng.random() < 0.14:
                code, place, street, house = rng.choice(self.hot_spots)
                root = code.split(".")[0]
            template = rng.choice(_MESSAGES[code])
            if fate == _Fate.NEW:
                code = None  # the channel gave no rubric: an operator must classify and route it
        fmt = self._fmt(place, street, house)
        spec = _Spec(
            slug=self.slug,
            n=n,
            fate=fate,
            channel=channel,
            fast_track=fast_track,
            root=root,
            topic_code=code,
            text=self._text(channel, template.format_map(fmt), rejected=bool(reject_reason)),
            citizen=_citizen(rng, self.slug),
            fmt=fmt,
            address=f"{place.kind} {place.name}, {street}, д. {house}",
            received_at=self.now,
            rng=random.Random(f"{_SEED}:{self.slug}:{n}"),
            reject_reason=reject_reason,
        )
        spec.received_at = self._received(n, fate, spec.term)
        if channel in (Channel.POS, Channel.IM, Channel.EDDS) and rng.random() < 0.45:
            spec.latitude = Decimal(f"{place.lat + rng.uniform(-0.008, 0.008):.6f}")
            spec.longitude = Decimal(f"{place.lon + rng.uniform(-0.015, 0.015):.6f}")
        return spec

    def _duplicate(self, n: int, parent: _Spec) -> _Spec:
        """Another citizen about the same problem, before it is answered: merged into it."""
        rng = self.rng
        template = rng.choice(_MESSAGES[parent.topic_code or "other.other"])
        channel = rng.choice((parent.channel, Channel.IM))
        return _Spec(
            slug=self.slug,
            n=n,
            fate=_Fate.MERGED,
            channel=channel,
            fast_track=False,
            root=parent.root,
            topic_code=parent.topic_code,
            text=self._text(channel, template.format_map(parent.fmt), rejected=False),
            citizen=_citizen(rng, self.slug),
            fmt=parent.fmt,
            address=parent.address,
            received_at=parent.received_at,  # placed on the parent's timeline when it runs
            rng=random.Random(f"{_SEED}:{self.slug}:{n}"),
        )

    def _fmt(self, place: _Place, street: str, house: str) -> dict[str, str]:
        rng = self.rng
        return {
            "addr": f"{street}, д. {house}",
            "street": street,
            "street2": rng.choice([s for s in place.streets if s != street] or [street]),
            "house": house,
            "place": place.name,
            "in_place": place.locative,
            "frost": f"минус {rng.randint(*self.geo.frost)}",
            "days": rng.choice(("два дня", "три дня", "четыре дня", "пять дней", "неделю")),
            "route": rng.choice(self.geo.routes),
            "school": str(rng.randint(1, 4)),
            "floor": str(rng.randint(2, 5)),
            "hour": str(rng.randint(6, 21)),
            "entrance": str(rng.randint(1, 4)),
            "river": self.geo.river,
        }

    def _text(self, channel: str, body: str, *, rejected: bool) -> str:
        rng = self.rng
        body = body[0].upper() + body[1:]
        if rejected:
            return body
        if channel in (Channel.APPEAL, Channel.EMAIL):
            return rng.choice(_FORMAL_OPENERS) + body + " Прошу дать ответ в установленный срок."
        if channel == Channel.EDDS:
            if body[1:2].islower():  # «Нет света…» → «нет света…», but «ФАП…» stays
                body = body[0].lower() + body[1:]
            return "Звонок в ЕДДС. Заявитель сообщает: " + body
        pleaded = body.endswith(("!", "?")) or any(
            w in body for w in ("Прошу", "Просим", "Примите")
        )
        if channel == Channel.POS:
            return body + ("" if pleaded else rng.choice(_POS_CLOSERS))
        closer = "" if pleaded else rng.choice(_SOCIAL_CLOSERS)
        return rng.choice(_SOCIAL_OPENERS) + body + closer


# --- who acts ----------------------------------------------------------------------------------

_ANSWERING: tuple[Role, ...] = (Role.SECTOR_OWNER, Role.EXECUTOR, Role.EDDS_HEAD)
_PREFERENCE: dict[Capability, tuple[Role, ...]] = {
    C.ANSWER_DRAFT: _ANSWERING,
    C.ANSWER_SUBMIT: _ANSWERING,
    C.INCIDENT_TAKE: _ANSWERING,
    C.INCIDENT_POSTPONE: (Role.SECTOR_OWNER, Role.SECTOR_CURATOR, Role.HEAD),
    C.ANSWER_APPROVE_SECTOR: (Role.SECTOR_CURATOR, Role.HEAD),
    C.ANSWER_APPROVE_HEAD: (Role.HEAD,),
    C.INCIDENT_EXTEND_DEADLINE: (Role.HEAD,),
}
# Registering, triage, rejecting, forwarding, merging, closing, publishing: the channel's
# operator first (their grants name the channel), then the head, then the block.
_OPERATORS: tuple[Role, ...] = (
    Role.IM_OPERATOR,
    Role.GOSPUBLIC_OFFICER,
    Role.POS_OPERATOR,
    Role.EDDS_HEAD,
    Role.APPEALS_OFFICER,
    Role.SED_CURATOR,
    Role.HEAD,
    Role.SECTOR_CURATOR,
    Role.SECTOR_OWNER,
)


@dataclass(frozen=True)
class _Member:
    user: User
    roles: frozenset[Role]
    is_demo: bool
    capabilities: ActorCapabilities

    def can(
        self, capabilities: Sequence[Capability], *, sector_id: int | None, channel: str
    ) -> bool:
        return all(
            self.capabilities.can_on(c, sector_id=sector_id, channel=channel) for c in capabilities
        )


class _Cast:
    """Who does each step in one municipality.

    The permission matrix decides, through ``actor_capabilities`` — the same check the services
    make: the municipality's demo account whose role allows the step for the incident's sector
    and channel, else a person of the act's roster who may (Ленский's social block has its own
    deputy), else the platform administrator stands in. The acts leave gaps the matrix keeps:
    in Аскизский nobody of the МЦУ may submit an answer, Сосновоборский's demo sector owner
    covers one direction of seven, and ЕДДС, appeal or e-mail answers have no publisher where
    the act names no operator for them. ``stand_ins`` counts those steps.
    """

    def __init__(self, municipality: Municipality) -> None:
        today = municipality.local_time().date()
        roles: dict[int, set[Role]] = {}
        demo: set[int] = set()
        users: dict[int, User] = {}
        assignments = (
            RoleAssignment.objects.active_on(today)
            .filter(municipality=municipality, user__isnull=False, user__is_active=True)
            .select_related("user")
            .order_by("pk")
        )
        for row in assignments:
            assert row.user is not None  # filtered above
            users[row.user.pk] = row.user
            roles.setdefault(row.user.pk, set()).add(Role(row.role))
            if row.source == RoleAssignment.Source.DEMO:
                demo.add(row.user.pk)
        self.members = [
            _Member(
                user,
                frozenset(roles[pk]),
                pk in demo,
                actor_capabilities(user=user, municipality=municipality),
            )
            for pk, user in users.items()
        ]
        self.admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        self.stand_ins: Counter[str] = Counter()
        self._chosen: dict[tuple[object, ...], User | None] = {}

    def member(
        self,
        *capabilities: Capability,
        sector_id: int | None,
        channel: str,
        prefer: tuple[Role, ...] = (),
    ) -> User | None:
        """The municipality's own person for the step, or None."""
        key = (capabilities, sector_id, channel, prefer)
        if key not in self._chosen:
            order = prefer or _PREFERENCE.get(capabilities[0], _OPERATORS)

            def rank(m: _Member) -> tuple[int, bool, int]:
                ranks = [order.index(role) for role in m.roles if role in order]
                return (min(ranks, default=len(order)), not m.is_demo, m.user.pk)

            able = [
                m for m in self.members if m.can(capabilities, sector_id=sector_id, channel=channel)
            ]
            self._chosen[key] = min(able, key=rank).user if able else None
        return self._chosen[key]

    def actor(
        self,
        *capabilities: Capability,
        sector_id: int | None,
        channel: str,
        prefer: tuple[Role, ...] = (),
    ) -> User | None:
        user = self.member(*capabilities, sector_id=sector_id, channel=channel, prefer=prefer)
        if user is None and self.admin is not None:
            self.stand_ins["+".join(capabilities)] += 1
            return self.admin
        return user


# --- one incident's story ----------------------------------------------------------------------


class _Stop(Exception):
    """Nobody may do the next step: the incident stays where it got."""


def _span(start: datetime, end: datetime, fraction: float) -> datetime:
    return start + (end - start) * fraction


class _Story:
    """Runs the services for one planned incident (and its merged duplicates), in order."""

    def __init__(self, seeder: _Seeder, spec: _Spec) -> None:
        self.seeder = seeder
        self.spec = spec
        self.rng = spec.rng
        self.cast = seeder.cast
        self.now = seeder.now
        self.answer = seeder.answer_text(spec)
        self.incident: Incident | None = None
        self.last = seeder.now  # the planned instant of the latest step

    @property
    def inc(self) -> Incident:
        assert self.incident is not None  # set by run() right after creation
        return self.incident

    def step(self, planned: datetime, service: Callable[..., _T], **kwargs: Any) -> _T:
        """Run one service as the municipality's people would, remembering when it "was"."""
        self.last = self.seeder.mark(planned)
        kwargs.setdefault("incident", self.inc)
        return service(expected_version=None, **kwargs)

    def who(self, *capabilities: Capability, prefer: tuple[Role, ...] = ()) -> User:
        user = self.cast.actor(
            *capabilities, sector_id=self.inc.sector_id, channel=self.inc.channel, prefer=prefer
        )
        if user is None:
            raise _Stop(f"nobody may {'+'.join(capabilities)}")
        return user

    def refresh(self) -> Incident:
        self.incident = Incident.objects.select_related("municipality", "topic").get(pk=self.inc.pk)
        return self.incident

    def patch_event(self, key: str, value: object) -> None:
        """A flag a service computed from "now" in the event it just wrote: from the plan."""
        event = (
            IncidentEvent.objects.filter(incident_id=self.inc.pk, data__has_key=key)
            .order_by("-pk")
            .first()
        )
        if event is not None and event.data.get(key) != value:
            event.data[key] = value
            event.save(update_fields=["data"])

    # -- the steps

    def create(self, spec: _Spec, at: datetime) -> Incident | None:
        rng, citizen = spec.rng, spec.citizen
        registered_at = None
        if spec.channel in (Channel.APPEAL, Channel.EMAIL):
            # 59-ФЗ ст. 8 ч. 2: registered within three days; the term runs from registration.
            registered_at = min(at + timedelta(hours=rng.uniform(0.5, 40)), self.now).replace(
                microsecond=0
            )
        phone = f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-"
        message = IncomingMessage(
            channel=spec.channel,
            external_id=spec.external_id,
            text=spec.text,
            received_at=at,
            kind=Kind.APPEAL if spec.channel == Channel.EMAIL else Kind.MESSAGE,
            fast_track=spec.fast_track,
            topic_code=spec.topic_code,
            citizen_name=citizen.short if spec.channel in SOCIAL_CHANNELS else citizen.full,
            citizen_email=citizen.email if spec.channel in (Channel.EMAIL, Channel.POS) else "",
            citizen_phone=f"{phone}{rng.randint(10, 99)}" if spec.channel == Channel.EDDS else "",
            citizen_postal_address=spec.address if spec.channel == Channel.APPEAL else "",
            address="" if spec.reject_reason else spec.address,
            latitude=spec.latitude,
            longitude=spec.longitude,
            source_url=(
                f"https://im.example.com/messages/{spec.external_id}"
                if spec.channel in SOCIAL_CHANNELS
                else ""
            ),
            registered_at=registered_at,
            has_geo_confirmation=spec.latitude is not None,
        )
        # ЕДДС calls, appeals and e-mails are registered by a person; the rest by the channel.
        registrar = (
            self.cast.member(C.INCIDENT_REGISTER, sector_id=None, channel=spec.channel)
            if spec.channel in (Channel.EDDS, Channel.APPEAL, Channel.EMAIL)
            else None
        )
        self.seeder.mark(at)
        incident, created = incident_create(
            municipality=self.seeder.municipality, message=message, actor=registrar
        )
        if not created:
            return None
        self.seeder.log.record("incidents.Incident", created=True)
        return incident

    def sector_for(self) -> Sector | None:
        return self.inc.sector or self.seeder.fallback_sector(self.spec.root)

    def writer_stands_in(self) -> bool:
        """No member may both draft and submit here: the administrator will write."""
        sector = self.sector_for()
        able = self.cast.member(
            C.ANSWER_DRAFT,
            C.ANSWER_SUBMIT,
            sector_id=sector.pk if sector else None,
            channel=self.inc.channel,
        )
        return able is None

    def assign(self, at: datetime) -> None:
        """The operator's hand-over (Регламент §2.4): to the topic's block, or to a person —
        always to a member of this МЦУ, even where the administrator will write the answer."""
        inc = self.inc
        sector = self.sector_for()
        org_unit = None if sector else self.seeder.administration
        responsible = None
        if self.writer_stands_in():
            sector_id = sector.pk if sector else None
            responsible = self.cast.member(
                C.ANSWER_DRAFT, sector_id=sector_id, channel=inc.channel
            ) or self.cast.member(C.INCIDENT_TRIAGE, sector_id=sector_id, channel=inc.channel)
        if inc.status == Status.ASSIGNED and responsible is None:
            return  # the рубрикатор delivered it to its block: nothing to hand over
        if sector is None and org_unit is None and responsible is None:
            raise _Stop("nowhere to route")
        actor = self.who(C.INCIDENT_TRIAGE)
        self.incident = inc = self.step(
            at,
            lifecycle.incident_assign,
            actor=actor,
            sector=sector,
            org_unit=org_unit,
            responsible=responsible,
        )
        if inc.channel in SOCIAL_CHANNELS:
            # Регламент §2.5: 3 hours for the agreed answer from the hand-over — the planned one.
            stage = SlaPolicy.Stage.AGREED_TO_OPERATOR
            due = policies.stage_terms(inc, stage=stage, start=self.last).due_at
            Incident.objects.filter(pk=inc.pk).update(stage_due_at=due)
            inc.stage_due_at = due

    def take(self, at: datetime) -> bool:
        """Take into work; where nobody here may, the stand-in starts the draft (True)."""
        inc = self.inc
        taker = self.cast.member(C.INCIDENT_TAKE, sector_id=inc.sector_id, channel=inc.channel)
        if taker is None:
            self.draft(at, version=1)
            return True
        self.step(at, lifecycle.incident_take, actor=taker)
        return False

    def draft(self, at: datetime, *, version: int) -> None:
        body, closing = self.answer
        if version > 1:  # returned for rework: the curator asked for what was done, and when
            body += " Выполнение работ проверено на месте, замечаний нет."
        text = f"{body} {closing}"
        self.step(
            at,
            answers.answer_save_draft,
            actor=self.who(C.ANSWER_DRAFT, C.ANSWER_SUBMIT),
            text=text,
        )

    def submit(self, at: datetime) -> None:
        self.step(at, answers.answer_submit, actor=self.who(C.ANSWER_DRAFT, C.ANSWER_SUBMIT))

    def send_back(self, at: datetime) -> None:
        reason = self.rng.choice(_RETURN_REASONS)
        self.step(at, answers.answer_return, actor=self.who(C.ANSWER_APPROVE_SECTOR), reason=reason)

    def approve(self, at: datetime, *, head: bool) -> None:
        capability = C.ANSWER_APPROVE_HEAD if head else C.ANSWER_APPROVE_SECTOR
        self.step(at, answers.answer_approve, actor=self.who(capability))
        stage_due = self.inc.stage_due_at
        if not head and self.inc.channel in SOCIAL_CHANNELS and stage_due is not None:
            self.patch_event("agreed_stage_on_time", self.last < stage_due)

    def publish(self, at: datetime) -> None:
        self.step(at, answers.answer_publish, actor=self.who(C.ANSWER_PUBLISH))
        due = self.inc.due_at
        self.patch_event("on_time", due is None or self.last < due)

    def answer_flow(self, start: datetime, end: datetime, *, until: str = _Fate.ANSWERED) -> None:
        """Drafted, (returned once, now and then), submitted, approved, published."""
        rng = self.rng
        self.draft(_span(start, end, rng.uniform(0.25, 0.4)), version=1)
        if until == _Fate.IN_PROGRESS:
            return
        if until != _Fate.ON_APPROVAL and rng.random() < 0.12:
            self.submit(_span(start, end, 0.45))
            self.send_back(_span(start, end, 0.52))
            self.draft(_span(start, end, 0.6), version=2)
        self.submit(_span(start, end, rng.uniform(0.65, 0.72)))
        if until == _Fate.ON_APPROVAL:
            return
        self.approve(_span(start, end, 0.8), head=False)
        if self.inc.channel in SOCIAL_CHANNELS:  # Регламент §2.5: the head approves too
            self.approve(_span(start, end, 0.9), head=True)
        if until == _Fate.APPROVED:
            return
        self.publish(end)

    def rate(self, at: datetime, rating: int) -> None:
        # ПОС and ИМ ask the citizen themselves; otherwise an operator enters it after a call.
        from_channel = self.inc.channel in (Channel.POS, Channel.IM, Channel.GOSPUBLIC)
        actor = None if from_channel else self.who(C.INCIDENT_TRIAGE)
        self.step(at, lifecycle.incident_rate, actor=actor, rating=rating)
        if rating <= 2:  # reopened: a new round of work, its terms from the reopening
            inc = self.refresh()
            terms = policies.answer_terms(inc, start=self.last)
            inc.due_at, inc.warn_at = terms.due_at, terms.warn_at
            if inc.channel in SOCIAL_CHANNELS:  # and the agreed answer's 3 hours (§2.5)
                stage = SlaPolicy.Stage.AGREED_TO_OPERATOR
                inc.stage_due_at = policies.stage_terms(inc, stage=stage, start=self.last).due_at
            Incident.objects.filter(pk=inc.pk).update(
                due_at=inc.due_at, warn_at=inc.warn_at, stage_due_at=inc.stage_due_at
            )

    def forward(self, at: datetime) -> None:
        appeal = self.spec.channel in (Channel.APPEAL, Channel.EMAIL)
        target = ForwardTarget.OTHER_AUTHORITY if appeal else self.seeder.geo.forward_regional
        prefer = (Role.ECPUR_CURATOR, *_OPERATORS) if target == ForwardTarget.ECPUR else ()
        actor = self.who(C.INCIDENT_FORWARD, prefer=prefer)
        note = _FORWARD_NOTES[target]
        self.step(at, lifecycle.incident_forward, actor=actor, target=target, note=note)
        stage_due = self.inc.stage_due_at
        if self.inc.kind == Kind.APPEAL and stage_due is not None:
            # 59-ФЗ ст. 8 ч. 3: forwarded within 7 days of registration, or not.
            self.patch_event("forwarding_term_missed", self.last >= stage_due)

    def postpone(self, start: datetime, end: datetime) -> None:
        """An interim answer now, the resolution on a promised date some weeks ahead."""
        rng, inc = self.rng, self.inc
        taker = self.cast.member(C.INCIDENT_TAKE, sector_id=inc.sector_id, channel=inc.channel)
        if taker is not None:
            self.step(
                _span(start, end, rng.uniform(0.1, 0.3)), lifecycle.incident_take, actor=taker
            )
        until: date = self.seeder.today + timedelta(days=rng.randint(7, 45))
        self.step(
            _span(start, end, rng.uniform(0.4, 0.8)),
            lifecycle.incident_postpone,
            actor=self.who(C.INCIDENT_POSTPONE),
            until=until,
            interim_answer=self.seeder.interim_text(self.spec, until),
        )

    def extend(self, start: datetime, due: datetime, answered_at: datetime) -> None:
        """59-ФЗ ст. 12 ч. 2: half the appeals that would be late get their one extension."""
        if self.inc.kind != Kind.APPEAL or answered_at <= due or self.rng.random() < 0.5:
            return
        self.step(
            _span(start, due, 0.8),
            lifecycle.incident_extend_deadline,
            actor=self.who(C.INCIDENT_EXTEND_DEADLINE),
            days=self.rng.randint(10, 30),
            reason="Требуется дополнительная проверка с выездом комиссии на место.",
        )
        self.refresh()

    def duplicates(self, start: datetime, end: datetime) -> None:
        """Others report the same before it is answered: merged, answered by its one answer."""
        parent = self.inc
        for spec in self.spec.dups:
            spec.received_at = _span(start, end, spec.rng.uniform(0.05, 0.3)).replace(microsecond=0)
            duplicate = self.create(spec, spec.received_at)
            if duplicate is None:
                continue
            actor = self.cast.actor(
                C.INCIDENT_MERGE, sector_id=duplicate.sector_id, channel=duplicate.channel
            )
            if actor is not None:
                merge_at = _span(spec.received_at, end, spec.rng.uniform(0.1, 0.4))
                self.step(
                    merge_at, lifecycle.incident_merge, incident=duplicate, into=parent, actor=actor
                )

    def after_answer(self, answered_at: datetime, *, close: bool) -> None:
        rng, now = self.rng, self.now
        if answered_at >= now - timedelta(minutes=30):
            return
        later = _span(answered_at, now, rng.uniform(0.05, 0.3))
        if rng.random() < 0.35:
            self.rate(later, rng.choices((3, 4, 5), weights=(2, 3.5, 4.5))[0])
        if close:
            closer = self.who(C.INCIDENT_TRIAGE)
            self.step(
                _span(later, now, rng.uniform(0.05, 0.4)), lifecycle.incident_close, actor=closer
            )

    def reopen_flow(self, start: datetime, answered_at: datetime, *, again: bool) -> None:
        """Answered, rated 1–2 by the citizen: reopened and counted a repeat (issue 3 item 9);
        answered again, or still open within its new term."""
        rng, now, term = self.rng, self.now, self.spec.term
        self.answer_flow(start, answered_at)
        if again:
            reopened = _span(answered_at, now - term, rng.uniform(0.1, 0.5))
        else:
            reopened = now - term * rng.uniform(0.15, 0.6)
        reopened = max(reopened, answered_at + timedelta(minutes=20))
        self.rate(reopened, rng.choice((1, 2)))
        if again:
            second = _span(self.last, min(self.inc.due_at or now, now), rng.uniform(0.4, 0.85))
            self.answer_flow(self.last, second)
            self.after_answer(second, close=False)

    def answer_time(self, start: datetime, due: datetime) -> datetime:
        """Mostly on time; one in eight late, by hours (social networks) or days."""
        rng = self.rng
        latest = self.now - timedelta(minutes=10)
        short = due - start < timedelta(days=2)
        if rng.random() < 0.12 and due < latest - timedelta(hours=1):
            hours = rng.uniform(0.3, 9) if short else rng.uniform(12, 120)
            return min(due + timedelta(hours=hours), latest)
        # Social networks and the ЕДДС within hours; ПОС and appeals usually well within the term.
        share = rng.uniform(0.3, 0.93) if short else rng.uniform(0.08, 0.8)
        return min(_span(start, due, share), _span(start, latest, 0.9))

    # -- the whole story

    def run(self) -> None:
        spec, rng, now = self.spec, self.rng, self.now
        incident = self.create(spec, spec.received_at)
        if incident is None:
            return  # made by an earlier run
        self.incident = incident
        start = incident.registered_at or spec.received_at  # an appeal's work starts registered
        due = incident.due_at or start + spec.term
        fate = spec.fate
        if fate == _Fate.NEW:
            return
        if fate == _Fate.REJECTED:
            when = start + timedelta(hours=rng.uniform(0.2, 8))
            actor = self.who(C.INCIDENT_REJECT)
            self.step(when, lifecycle.incident_reject, actor=actor, reason=spec.reject_reason)
            return
        if fate == _Fate.FORWARDED:
            self.forward(_span(start, min(due, now), rng.uniform(0.02, 0.2)))
            return
        if fate == _Fate.OVERDUE:
            fate = rng.choice(
                (_Fate.NEW, _Fate.ASSIGNED, _Fate.IN_PROGRESS, _Fate.IN_PROGRESS, _Fate.ON_APPROVAL)
            )
            if fate == _Fate.NEW and incident.status != Status.NEW:
                fate = _Fate.ASSIGNED
        if fate in _OPEN_FRESH:
            self.open_flow(start, _span(start, now, rng.uniform(0.6, 0.97)), until=fate)
            return
        if fate == _Fate.POSTPONED:
            handover = _span(start, min(due, now), rng.uniform(0.02, 0.12))
            self.assign(handover)
            self.postpone(handover, min(due, now))
            return
        answered_at = self.answer_time(start, due)
        handover = _span(start, answered_at, rng.uniform(0.03, 0.15))
        self.assign(handover)
        self.duplicates(handover, answered_at)
        if fate in (_Fate.REOPENED, _Fate.REANSWERED):
            self.reopen_flow(handover, answered_at, again=fate == _Fate.REANSWERED)
            return
        self.extend(start, due, answered_at)
        self.answer_flow(handover, answered_at)
        self.after_answer(answered_at, close=fate == _Fate.CLOSED)

    def open_flow(self, start: datetime, end: datetime, *, until: str) -> None:
        if until == _Fate.NEW:
            return
        self.assign(_span(start, end, self.rng.uniform(0.05, 0.25)))
        if until == _Fate.ASSIGNED:
            return
        if until == _Fate.IN_PROGRESS and self.rng.random() < 0.6:
            self.take(_span(start, end, self.rng.uniform(0.3, 0.6)))
            return
        self.answer_flow(start, end, until=until)


# --- one municipality --------------------------------------------------------------------------

# Where an operator routes a topic the рубрикатор maps to no block here: a related block.
_RELATED_ROOTS: dict[str, tuple[str, ...]] = {
    "waste": ("zhkh", "improvement"),
    "energy": ("zhkh",),
    "health": ("social",),
    "ecology": ("improvement", "zhkh"),
    "safety": ("zhkh", "improvement"),
    "property": ("construction", "zhkh"),
    "construction": ("improvement", "roads"),
    "culture_sport": ("social", "education"),
    "transport": ("roads",),
    "improvement": ("zhkh",),
    "education": ("social",),
    "economy": ("social",),
}
# The columns each step may have stamped with "now", per model: moved to the planned instant.
_STAMPED: tuple[tuple[type[models.Model], tuple[str, ...]], ...] = (
    (Incident, ("created_at", "first_answer_at", "answered_at", "closed_at")),
    (IncidentEvent, ("at",)),
    (
        Answer,
        ("created_at", "updated_at", "sector_approved_at", "head_approved_at", "published_at"),
    ),
    (AnswerVersion, ("created_at",)),
    (Approval, ("created_at",)),
    (Notification, ("created_at",)),
)


def _greeting(spec: _Spec) -> str:
    if spec.channel in (Channel.APPEAL, Channel.EMAIL, Channel.EDDS):
        return spec.citizen.salutation
    return f"Здравствуйте, {spec.citizen.first}!"


class _Seeder:
    """One municipality's demo history, inside its scope and one transaction."""

    def __init__(self, municipality: Municipality, *, log: SeedLog, now: datetime) -> None:
        self.municipality = municipality
        self.log = log
        self.now = now
        self.today = municipality.local_time(now).date()
        self.geo = _GEOGRAPHY.get(municipality.slug) or _GEOGRAPHY["sosnovoborsk"]
        self.cast = _Cast(municipality)
        self.stopped: Counter[str] = Counter()
        # (real time just before a step ran, the instant the step is planned at), in run order.
        self.marks: list[datetime] = []
        self.planned: list[datetime] = []
        self.sectors = list(
            Sector.objects.filter(municipality=municipality, is_active=True).order_by("order")
        )
        self.administration = (
            OrgUnit.objects.filter(municipality=municipality, kind=OrgUnit.Kind.ADMINISTRATION)
            .order_by("pk")
            .first()
        )

    def mark(self, planned: datetime) -> datetime:
        planned = min(planned, self.now - timedelta(minutes=1)).replace(microsecond=0)
        self.marks.append(timezone.now())
        self.planned.append(planned)
        return planned

    def fallback_sector(self, root: str) -> Sector | None:
        for related in (root, *_RELATED_ROOTS.get(root, ())):
            for sector in self.sectors:
                if related in sector.topic_codes:
                    return sector
        return None

    def answer_text(self, spec: _Spec) -> tuple[str, str]:
        """The answer, and its sign-off (a reworked version adds a sentence between them)."""
        pool = _ANSWERS.get(spec.topic_code or "") or _ANSWERS.get(spec.root) or _ANSWERS[""]
        closing = spec.rng.choice(
            ("Благодарим за обращение!", "Ситуация на контроле МЦУ.", "Спасибо за неравнодушие!")
        )
        return f"{_greeting(spec)} {spec.rng.choice(pool).format_map(spec.fmt)}", closing

    def interim_text(self, spec: _Spec, until: date) -> str:
        pool = _INTERIM.get(spec.topic_code or "") or _INTERIM.get(spec.root) or _INTERIM[""]
        body = pool.format_map(spec.fmt)
        return (
            f"{_greeting(spec)} {body} Планируемый срок решения — до {until:%d.%m.%Y}. "
            "Окончательный ответ будет дан по итогам работ."
        )

    def run(self, specs: Sequence[_Spec]) -> None:
        for spec in specs:
            try:
                _Story(self, spec).run()
            except (_Stop, IncidentError) as error:
                # A step nobody may do, or the rules refuse: the incident stays where it got
                # (the service rolled its own step back whole).
                self.stopped[type(error).__name__] += 1
                logger.warning("demo incident %s stopped: %s", spec.external_id, error)
        self.move_to_the_past()
        self.settle_deadlines()
        self.settle_notifications()

    def demo_incidents(self) -> models.QuerySet[Incident]:
        return Incident.objects.filter(
            municipality=self.municipality,
            external_id__startswith=demo_external_id_prefix(self.municipality),
        )

    def move_to_the_past(self) -> None:
        """Every time a step stamped goes to the step's planned instant — demo history only."""
        if not self.marks:
            return
        first = self.marks[0]

        def planned(stamp: datetime | None) -> datetime | None:
            if stamp is None or stamp < first:
                return stamp  # not written by this run
            return self.planned[bisect_right(self.marks, stamp) - 1]

        for model, names in _STAMPED:
            touched = Q()
            for name in names:
                touched |= Q(**{f"{name}__gte": first})
            rows = list(
                model._base_manager.filter(touched, municipality=self.municipality).only(
                    "pk", *names, *(("due_at", "answered_late") if model is Incident else ())
                )
            )
            for row in rows:
                for name in names:
                    setattr(row, name, planned(getattr(row, name)))
                if isinstance(row, Incident) and row.answered_at is not None:
                    row.answered_late = row.due_at is not None and row.answered_at >= row.due_at
            self._write_back(
                model, rows, [*names, *(("answered_late",) if model is Incident else ())]
            )

    def _write_back(self, model: type[models.Model], rows: list[Any], names: list[str]) -> None:
        """One UPDATE by primary key per row, executed as a batch — ``bulk_update`` would build
        a CASE over every row for every column (seconds for a municipality's history)."""
        if not rows:
            return
        connection = transaction.get_connection()
        quote = connection.ops.quote_name
        fields: list[models.Field[Any, Any]] = []
        for name in names:
            column = model._meta.get_field(name)
            assert isinstance(column, models.Field)  # plain columns only
            fields.append(column)
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        sql = (
            # Identifiers from the model, quoted; every value is a bound parameter.
            f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608
            f"WHERE {quote(model._meta.pk.column)} = %s AND {quote('municipality_id')} = %s"
        )
        params = [
            [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
            + [row.pk, self.municipality.pk]
            for row in rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)

    def settle_deadlines(self) -> None:
        """What the minute sweep did along the way (``incidents.services.sweep``): warned at
        ``warn_at``; breached at the term; one rung up the ladder per escalation step until the
        answer (or now), its events on the timeline; a stage term past while its stage was
        still open warned and flagged. Set on the clock rows the sweep reads, after syncing
        them to the terms the story left (the services synced them as they went, but terms
        recomputed from a planned instant were written behind their back)."""
        now = self.now
        incidents = list(self.demo_incidents())
        clocks_sync(incidents)
        clocks = {
            clock.incident_id: clock
            for clock in IncidentClock.objects.filter(
                municipality=self.municipality, incident_id__in=[i.pk for i in incidents]
            )
        }
        steps = {
            policy.pk: policies.escalation_step(policy)
            for policy in SlaPolicy.objects.filter(municipality=self.municipality)
        }
        events: list[IncidentEvent] = []
        for incident in incidents:
            clock = clocks[incident.pk]
            self._settle_stage(clock)
            stops = [t for t in (incident.answered_at, incident.closed_at) if t is not None]
            warn_until = now if clock.is_open else max(stops, default=None)
            if (
                clock.warned_at is None
                and clock.warn_at
                and warn_until
                and clock.warn_at <= warn_until
            ):
                clock.warned_at = clock.warn_at
            late = (clock.is_open and incident.due_at is not None and incident.due_at <= now) or (
                incident.answered_late is True
            )
            if not late or incident.due_at is None:
                continue
            step = steps.get(incident.sla_policy_id or 0) or policies.escalation_step(None)
            until = now if clock.is_open else (incident.answered_at or now)
            level = min(MAX_LEVEL, 1 + int((until - incident.due_at) / step))
            clock.breached_at = incident.due_at
            clock.escalation_level = level
            clock.next_escalation_at = (
                incident.due_at + step * level if clock.is_open and level < MAX_LEVEL else None
            )
            events += [self._rung_event(incident, rung, step) for rung in range(1, level + 1)]
        IncidentClock.objects.bulk_update(
            list(clocks.values()),
            [
                "warned_at",
                "breached_at",
                "escalation_level",
                "next_escalation_at",
                "stage_warned_at",
                "stage_breached_at",
            ],
            batch_size=500,
        )
        IncidentEvent.objects.bulk_create(events)
        latest = IncidentEvent.objects.filter(incident=OuterRef("pk")).order_by("-at")
        self.demo_incidents().update(updated_at=Subquery(latest.values("at")[:1]))

    def _settle_stage(self, clock: IncidentClock) -> None:
        # Only a stage still open matters: the live sweep would otherwise catch up on it at once.
        # (A stage closed late is on record in the approval / forwarding event's data.)
        if not clock.stage_open or clock.stage_due_at is None:
            return
        if clock.stage_warn_at is not None and clock.stage_warn_at <= self.now:
            clock.stage_warned_at = clock.stage_warn_at
        if clock.stage_due_at <= self.now:
            clock.stage_warned_at = clock.stage_warned_at or clock.stage_due_at
            clock.stage_breached_at = clock.stage_due_at

    def _rung_event(self, incident: Incident, rung: int, step: timedelta) -> IncidentEvent:
        assert incident.due_at is not None
        local = self.municipality.local_time(incident.due_at)
        due = (  # a day term ends at 24:00 of its last day (ГК РФ ст. 194)
            f"{local - timedelta(days=1):%d.%m.%Y} в 24:00"
            if (local.hour, local.minute) == (0, 0)
            else f"{local:%d.%m.%Y} в {local:%H:%M}"
        )
        return IncidentEvent(
            municipality=self.municipality,
            incident=incident,
            kind=IncidentEvent.Kind.BREACH if rung == 1 else IncidentEvent.Kind.ESCALATION,
            actor=None,
            at=incident.due_at + step * (rung - 1),
            note=f"Срок ответа истёк {due} по местному времени. Уровень эскалации {rung} из "
            f"{MAX_LEVEL}: {RUNG_NAMES[rung]}.",
            data={"level": rung, "rung": RUNG_NAMES[rung], "due_at": incident.due_at.isoformat()},
        )

    def settle_notifications(self) -> None:
        """History was e-mailed long ago (the after-commit task would find nothing to send) and
        read — all but the last two days', so the bell has something to show."""
        notes = Notification.objects.filter(
            municipality=self.municipality, incident__in=self.demo_incidents(), emailed_at=None
        )
        notes.filter(created_at__lt=self.now - timedelta(days=2)).update(
            read_at=F("created_at") + timedelta(minutes=25)
        )
        notes.update(emailed_at=F("created_at"))


@contextmanager
def _as_history() -> Iterator[None]:
    """Commit what the services write, discard the after-commit work they queue.

    Must run inside ``transaction.atomic()``, so the callbacks wait for its commit. Django has no
    public call to drop them (it drops them on rollback only); ``TestCase`` reads this same list
    to capture them.
    """
    connection = transaction.get_connection()
    assert connection.in_atomic_block, "_as_history() runs inside transaction.atomic()"
    queued = len(connection.run_on_commit)
    yield
    del connection.run_on_commit[queued:]


def incidents_demo_seed(*, log: SeedLog) -> None:
    """About 300 demo incidents per municipality; nothing where they are already made."""
    # One "now" for the whole demo: every planned instant lies before it, every row the
    # services write during the run after it — so no moment of the history is left unmoved.
    now = timezone.now().replace(microsecond=0)
    for municipality in Municipality.objects.order_by("slug"):
        target = TARGETS.get(municipality.slug, DEFAULT_TARGET)
        with municipality_scope(municipality.pk):
            made = Incident.objects.filter(
                municipality=municipality,
                external_id__startswith=demo_external_id_prefix(municipality),
            ).count()
            if made >= target:
                continue
            seeder = _Seeder(municipality, log=log, now=now)
            with transaction.atomic(), _as_history():
                seeder.run(_Planner(municipality, now=now).plan(target))
        if seeder.cast.stand_ins:
            logger.info(
                "demo %s: steps no member of the МЦУ may do, done by the administrator: %s",
                municipality.slug,
                dict(seeder.cast.stand_ins),
            )
        if seeder.stopped:
            logger.warning(
                "demo %s: incidents left short of their planned status: %s",
                municipality.slug,
                dict(seeder.stopped),
            )
