"""Demo answer templates: a few ready texts per municipality for the commonest topics, so the
answer editor has something to offer on a fresh laptop. Created once and never overwritten:
an administrator's edits (or a deactivation) survive the next ``seed_demo``."""

from __future__ import annotations

from django.db import transaction

from incidents.models import AnswerTemplate, Topic
from mcu.models import Municipality
from mcu.seeding import SeedLog
from mcu.tenancy import municipality_scope

SIGNATURE = "С уважением,\nмуниципальный центр управления ({municipality})"

# (topic code or None for any topic, title, text). "[…]" marks what the author fills in.
DEMO_TEMPLATES: tuple[tuple[str | None, str, str], ...] = (
    (
        None,
        "Сообщение принято в работу",
        "Здравствуйте! Благодарим за обращение. Ваше сообщение зарегистрировано и передано "
        "ответственному исполнителю. О результатах рассмотрения мы сообщим дополнительно.",
    ),
    (
        None,
        "Промежуточный ответ: решение запланировано",
        "Здравствуйте! Ваше сообщение рассмотрено. Для решения вопроса требуются работы, "
        "которые запланированы на [дата]. О выполнении сообщим дополнительно.",
    ),
    (
        "roads.potholes",
        "Ямочный ремонт включён в план",
        "Здравствуйте! Участок дороги по адресу [адрес] обследован. Ямочный ремонт покрытия "
        "включён в план работ подрядной организации и будет выполнен до [дата] при "
        "благоприятных погодных условиях (температура воздуха выше +5 °C).",
    ),
    (
        "roads.snow",
        "Уборка снега выполнена",
        "Здравствуйте! По вашему сообщению проведена механизированная уборка снега и обработка "
        "противогололёдными материалами на участке [адрес]. Содержание участка поставлено на "
        "контроль.",
    ),
    (
        "roads.lighting",
        "Восстановление уличного освещения",
        "Здравствуйте! Заявка на восстановление уличного освещения по адресу [адрес] передана "
        "обслуживающей организации. Замена светильников будет выполнена в течение [срок] "
        "рабочих дней.",
    ),
    (
        "zhkh.heating",
        "Проверка параметров отопления",
        "Здравствуйте! Управляющей организации поручено проверить параметры теплоносителя в "
        "доме по адресу [адрес]. Проверка проведена [дата], выявленные нарушения устранены. "
        "Если в квартире по-прежнему холодно, сообщите нам повторно.",
    ),
    (
        "zhkh.water",
        "Аварийное отключение водоснабжения",
        "Здравствуйте! Отключение водоснабжения по адресу [адрес] связано с аварийными "
        "работами на сетях. Ориентировочный срок восстановления — [дата, время]. Приносим "
        "извинения за неудобства.",
    ),
    (
        "waste.collection",
        "Вывоз ТКО выполнен",
        "Здравствуйте! Региональному оператору по обращению с ТКО направлено требование о "
        "вывозе отходов с контейнерной площадки по адресу [адрес]. Вывоз выполнен [дата]; "
        "график вывоза поставлен на контроль.",
    ),
    (
        "improvement.stray_animals",
        "Отлов безнадзорных животных",
        "Здравствуйте! Заявка на отлов безнадзорных животных в районе [адрес] передана "
        "организации, осуществляющей деятельность по обращению с животными без владельцев. "
        "Выезд запланирован на [дата].",
    ),
    (
        "transport.schedule",
        "Соблюдение расписания перевозчиком",
        "Здравствуйте! Перевозчику, обслуживающему маршрут № [номер], указано на необходимость "
        "соблюдать расписание. Соблюдение интервалов движения поставлено на контроль.",
    ),
)


@transaction.atomic
def answer_templates_demo_seed(*, log: SeedLog) -> None:
    topics = {
        t.code: t for t in Topic.objects.filter(code__in=[c for c, _, _ in DEMO_TEMPLATES if c])
    }
    for municipality in Municipality.objects.order_by("slug"):
        signature = SIGNATURE.format(municipality=municipality.short_name)
        with municipality_scope(municipality.pk):
            existing = set(
                AnswerTemplate.objects.filter(municipality=municipality).values_list(
                    "topic__code", "title"
                )
            )
            for code, title, text in DEMO_TEMPLATES:
                if code is not None and code not in topics:
                    continue  # the рубрикатор lost the topic: nothing to attach the text to
                if (code, title) in existing:
                    continue
                AnswerTemplate.objects.create(
                    municipality=municipality,
                    topic=topics[code] if code else None,
                    title=title,
                    text=f"{text}\n\n{signature}",
                )
                log.record("incidents.AnswerTemplate", created=True)
