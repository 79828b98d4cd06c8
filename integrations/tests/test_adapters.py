"""Every channel adapter against recorded sample payloads, and every channel end to end.

The payloads live in ``fixtures/<channel>/<case>.json`` (one case per file; the 100 KB ones are
written by ``fixtures/make_long_texts.py``). Each file has exactly one expectation below: a
valid one parses to the whole ``IncomingMessage`` it must give, a broken one names the fields
the sender is told about. Then each channel goes through the signed webhook and the processing
task into an incident with the channel's term (Регламент Октябрьского района §2.5, 59-ФЗ ст. 12).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from incidents.models import Incident, Kind
from incidents.services.intake import IncomingMessage
from integrations.channels import ADAPTERS
from integrations.channels.appeal import NO_ANSWER_ADDRESS
from integrations.channels.base import ParsedMessage, PayloadInvalid
from integrations.models import InboundMessage
from integrations.services.processing import inbound_process
from integrations.services.secrets import channel_secret_rotate
from integrations.signatures import sign
from integrations.tests.fixtures.make_long_texts import LONG_TEXT_LENGTH, long_text
from mcu.models import Municipality
from mcu.tenancy import municipality_scope

FIXTURES = Path(__file__).resolve().parent / "fixtures"
YEKT = ZoneInfo("Asia/Yekaterinburg")  # Октябрьский район, UTC+5
NAIVE = "Время должно быть с часовым поясом (ISO 8601)."
EMOJI_HTML = (
    "Опять 🤬🤬 мусор не вывозят!!! <script>alert('мэрия')</script> "
    '<b>Сделайте</b> что-нибудь 🗑️🚮 &nbsp; <a href="javascript:void(0)">ул. Лесная</a> 👍🏽'
)


def load(case: str) -> Any:
    return json.loads((FIXTURES / f"{case}.json").read_text(encoding="utf-8"))


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# ------------------------------------------------------------------ expected parses: ИМ
IM = ParsedMessage(
    IncomingMessage(
        channel="im",
        external_id="im-7730215",
        text="Когда уже отремонтируют дорогу на ул. Калинина в Приобье? Ямы по колено, "
        "вчера пробила колесо возле дома 42.",
        received_at=utc(2026, 11, 22, 5, 15),  # 10:15+05:00
        topic_code="roads.potholes",
        citizen_name="Светлана Корнилова",
        citizen_profile_url="https://vk.com/id482913377",
        address="пгт. Приобье, ул. Калинина, 42",
        source_url="https://vk.com/wall-186403220_51873",
        extra={"network": "vk"},
    ),
    category_code="roads.potholes",
)
IM_CASES: dict[str, ParsedMessage] = {
    "im/valid_typical": IM,
    "im/valid_minimal": ParsedMessage(
        IncomingMessage(
            channel="im",
            external_id="im-7730240",
            text="В Талинке второй день нет горячей воды в 3-м микрорайоне, "
            "никто ничего не объясняет.",
            received_at=utc(2026, 11, 22, 6, 2, 41),  # "Z"
            citizen_name="Иван Пермяков",
            citizen_profile_url="https://t.me/ivan_perm",
            source_url="https://t.me/oktyabrsky_chat/10452",
            extra={"network": "telegram"},
        )
    ),
    "im/valid_extras": ParsedMessage(
        IncomingMessage(
            channel="im",
            external_id="im-7730251",
            text="Детская площадка на ул. Медиков в Андре сломана: качели висят на одной цепи.",
            received_at=utc(2026, 11, 21, 16, 40),
            topic_code="improvement",
            citizen_name="Галина Сорокина",
            citizen_profile_url="https://ok.ru/profile/571234567890",
            address="пгт. Андра, ул. Медиков",
            source_url="https://ok.ru/group/70000001234567/topic/155234987654321",
            extra={"network": "ok"},  # sent as "OK"
        ),
        category_code="improvement",
    ),
    # Not a рубрикатор code: no topic, but the routing rules still see ИМ's own category.
    "im/valid_topic_not_a_code": ParsedMessage(
        IncomingMessage(
            channel="im",
            external_id="im-7730262",
            text="Во дворе дома 9 по ул. Ленина снег не чистят с понедельника.",
            received_at=utc(2026, 11, 23, 3, 30),
            citizen_name="Рустам Галиев",
            citizen_profile_url="https://vk.com/rgaliev",
            source_url="https://vk.com/wall-186403220_51901",
            extra={"network": "vk"},
        ),
        category_code="ЖКХ/Уборка снега",
    ),
    "im/valid_emoji_html": replace(
        IM,
        message=replace(
            IM.message,
            external_id="im-7730273",
            text=EMOJI_HTML,
            citizen_name="Ольга 🌸 Петрова",
            citizen_profile_url="https://vk.com/id1029384",
        ),
    ),
    "im/valid_nul_in_text": replace(
        IM,
        message=replace(
            IM.message,
            external_id="im-7730284",
            text="Фонарь не горит у школы № 1 уже неделю.",
            citizen_name="Дмитрий Лосев",
            citizen_profile_url="https://vk.com/id55501",
        ),
    ),
    "im/valid_100kb_text": replace(
        IM, message=replace(IM.message, external_id="im-7730215-long", text=long_text())
    ),
}

# ------------------------------------------------------------------ ПОС
POS = ParsedMessage(
    IncomingMessage(
        channel="pos",
        external_id="pos-5518730",
        text="Яма на дороге по ул. Ленина, 5 — колесо пробил! Прошу заделать до морозов.",
        received_at=utc(2026, 11, 22, 5, 15),
        citizen_name="Иванов Иван Сергеевич",
        citizen_email="ivanov.is@example.ru",
        citizen_phone="+7 912 555-12-34",
        address="пгт. Октябрьское, ул. Ленина, 5",
        latitude=Decimal("62.455321"),
        longitude=Decimal("66.048712"),
        has_geo_confirmation=True,
    ),
    category_code="roads.potholes",  # the subcategory wins over the category
)
POS_CASES: dict[str, ParsedMessage] = {
    "pos/valid_typical": POS,
    "pos/valid_minimal": ParsedMessage(
        IncomingMessage(
            channel="pos",
            external_id="pos-5518741",
            text="В подъезде дома 3 по ул. Гагарина в Унъюгане холодные батареи.",
            received_at=utc(2026, 11, 22, 4, 30),
            fast_track=True,
            citizen_name="Сидорова А. В.",
        ),
        category_code="zhkh",
    ),
    "pos/valid_extras": replace(
        POS,
        message=replace(POS.message, external_id="pos-5518752", citizen_phone=""),
    ),
    "pos/valid_emoji_html": replace(
        POS, message=replace(POS.message, external_id="pos-5518763", text=EMOJI_HTML)
    ),
    "pos/valid_nul_in_text": replace(
        POS,
        message=replace(
            POS.message,
            external_id="pos-5518774",
            text="Не вывозят мусор с площадки у дома 12.",
            citizen_name="Иванов Иван Сергеевич",
            citizen_email="",
            citizen_phone="",
        ),
    ),
    "pos/valid_100kb_text": replace(
        POS, message=replace(POS.message, external_id="pos-5518730-long", text=long_text())
    ),
}

# ------------------------------------------------------------------ ЕДДС
EDDS = ParsedMessage(
    IncomingMessage(
        channel="edds",
        external_id="ЕДДС-2026-004817",
        # The dispatcher's type leads the text when the description does not already say it.
        text="Отсутствие холодного водоснабжения: Со слов заявителя, с 6 утра нет холодной воды "
        "во всём доме. Управляющая компания трубку не берёт.",
        received_at=utc(2026, 11, 22, 2, 48, 12),
        citizen_name="Мухаметова Гульнара Ринатовна",
        citizen_phone="+7 (34678) 2-11-05",
        address="пгт. Октябрьское, ул. Советская, 14",
        extra={"severity": "средняя"},
    ),
    category_code="Отсутствие холодного водоснабжения",
)
EDDS_CASES: dict[str, ParsedMessage] = {
    "edds/valid_typical": EDDS,
    "edds/valid_minimal": ParsedMessage(
        IncomingMessage(
            channel="edds",
            external_id="20261122031",  # a numeric card number
            text="Падение дерева: Анонимный звонок: упало дерево поперёк проезжей части, "
            "проезд затруднён.",
            received_at=utc(2026, 11, 22, 18, 5),
            address="с. Перегрёбное, ул. Северная",
        ),
        category_code="Падение дерева",
    ),
    "edds/valid_extras": replace(
        EDDS,
        message=replace(
            EDDS.message,
            external_id="ЕДДС-2026-004829",
            citizen_phone="89125551234",
            extra={"severity": "2"},
        ),
    ),
    "edds/valid_type_in_description": ParsedMessage(
        replace(
            EDDS.message,
            external_id="ЕДДС-2026-004833",
            text="Обрыв линии электропередачи на ул. Лесной, провод лежит на дороге, "
            "света нет в пяти домах.",
            address="пгт. Талинка, ул. Лесная",
        ),
        category_code="Обрыв линии электропередачи",
    ),
    "edds/valid_emoji_html": replace(
        EDDS,
        message=replace(
            EDDS.message,
            external_id="ЕДДС-2026-004844",
            text=f"Отсутствие холодного водоснабжения: {EMOJI_HTML}",
        ),
    ),
    "edds/valid_nul_in_text": replace(
        EDDS,
        message=replace(
            EDDS.message,
            external_id="ЕДДС-2026-004855",
            text="Отсутствие холодного водоснабжения: Со слов заявителя, нет воды.",
            citizen_name="Мухаметова Гульнара",
            citizen_phone="",
        ),
    ),
    "edds/valid_100kb_text": replace(
        EDDS,
        message=replace(
            EDDS.message,
            external_id="ЕДДС-2026-004817-long",
            text=f"Отсутствие холодного водоснабжения: {long_text()}",
        ),
    ),
}

# ------------------------------------------------------------------ обращения по 59-ФЗ
REGISTERED = utc(2026, 11, 24, 4, 40)  # 09:40+05:00
APPEAL = ParsedMessage(
    IncomingMessage(
        channel="appeal",
        external_id="01-12/4471",
        text="Прошу принять меры: третий год не ремонтируется крыша дома № 7 по ул. Калинина, "
        "после каждого дождя в квартире 12 течёт потолок. Управляющая компания ссылается на "
        "программу капитального ремонта.",
        received_at=REGISTERED,
        registered_at=REGISTERED,
        kind=Kind.APPEAL,
        citizen_name="Шабалин Аркадий Петрович",
        citizen_email="shabalin.ap@mail.ru",
        citizen_postal_address="628100, ХМАО — Югра, Октябрьский р-н, пгт. Октябрьское, "
        "ул. Калинина, д. 7, кв. 12",
        extra={"addressee": "Главе Октябрьского района"},
    )
)
APPEAL_CASES: dict[str, ParsedMessage] = {
    "appeal/valid_typical": APPEAL,
    "appeal/valid_minimal": ParsedMessage(
        IncomingMessage(
            channel="appeal",
            external_id="01-12/4480",
            text="Прошу разъяснить порядок получения компенсации за дрова.",
            received_at=utc(2026, 11, 24, 6, 5),
            registered_at=utc(2026, 11, 24, 6, 5),
            kind=Kind.APPEAL,
            citizen_name="Лаптева Зоя Ивановна",
            citizen_postal_address="628125, пгт. Приобье, ул. Спортивная, д. 3",
        )
    ),
    # 59-ФЗ ст. 7 ч. 3: an appeal as an electronic document needs an e-mail, not a postal address.
    "appeal/valid_email_only": ParsedMessage(
        IncomingMessage(
            channel="appeal",
            external_id="ЭО-2026/1187",
            text="Обращение в форме электронного документа: прошу сообщить сроки подключения "
            "с. Шеркалы к сети интернет.",
            received_at=utc(2026, 11, 24, 9, 20),
            registered_at=utc(2026, 11, 24, 9, 20),
            kind=Kind.APPEAL,
            citizen_name="Гарипов Ренат Маратович",
            citizen_email="r.garipov@yandex.ru",
        )
    ),
    "appeal/valid_collective": ParsedMessage(
        replace(
            APPEAL.message,
            external_id="01-12/4495",
            text="Мы, жители дома № 5 по ул. Школьной, просим восстановить освещение во дворе.",
            citizen_name="Ковалёва Нина Степановна и другие (27 подписей)",
            citizen_email="",
            citizen_postal_address="628100, пгт. Октябрьское, ул. Школьная, д. 5, кв. 1",
            extra={
                "addressee": "Главе Октябрьского района; в Думу Октябрьского района",
                "collective": "true",
            },
        )
    ),
    "appeal/valid_extras": ParsedMessage(replace(APPEAL.message, external_id="01-12/4502")),
    "appeal/valid_emoji_html": ParsedMessage(
        replace(APPEAL.message, external_id="01-12/4513", text=EMOJI_HTML)
    ),
    "appeal/valid_nul_in_text": ParsedMessage(
        replace(APPEAL.message, external_id="01-12/4524", text="Прошу отремонтировать крышу.")
    ),
    "appeal/valid_100kb_text": ParsedMessage(
        replace(APPEAL.message, external_id="01-12/4471-long", text=long_text())
    ),
}

# ------------------------------------------------------------------ госпаблики
GOSPUBLIC = ParsedMessage(
    IncomingMessage(
        channel="gospublic",
        external_id="gp-51911",
        text="А когда расчистят зимник до Шеркалов? Под постом про ледовые переправы ни слова.",
        received_at=utc(2026, 11, 22, 13, 5),
        citizen_name="Андрей Хабибуллин",
        source_url="https://vk.com/wall-186403220_51880?reply=51911",
        extra={"network": "vk", "page_url": "https://vk.com/oktyabrsky_adm"},
    )
)
GOSPUBLIC_CASES: dict[str, ParsedMessage] = {
    "gospublic/valid_typical": GOSPUBLIC,
    "gospublic/valid_minimal": ParsedMessage(
        IncomingMessage(
            channel="gospublic",
            external_id="gp-51920",
            text="Спасибо!",
            received_at=utc(2026, 11, 22, 13, 0),
            citizen_name="Нина",
            source_url="https://ok.ru/oktyabrskyrn/topic/155234987000001?comment=9",
            extra={"network": "ok", "page_url": "https://ok.ru/oktyabrskyrn"},
        )
    ),
    "gospublic/valid_extras": ParsedMessage(replace(GOSPUBLIC.message, external_id="gp-51931")),
    "gospublic/valid_emoji_html": ParsedMessage(
        replace(GOSPUBLIC.message, external_id="gp-51942", text=EMOJI_HTML)
    ),
    "gospublic/valid_nul_in_text": ParsedMessage(
        replace(GOSPUBLIC.message, external_id="gp-51953", text="Когда расчистят зимник?")
    ),
    "gospublic/valid_100kb_text": ParsedMessage(
        replace(GOSPUBLIC.message, external_id="gp-51911-long", text=long_text())
    ),
}

VALID: dict[str, ParsedMessage] = {
    **IM_CASES,
    **POS_CASES,
    **EDDS_CASES,
    **APPEAL_CASES,
    **GOSPUBLIC_CASES,
}


# ------------------------------------------------------------------ broken payloads
class Broken(NamedTuple):
    fields: set[str]  # exactly the field paths the sender is told about
    external_id: str  # best effort, so the failed row can be told apart
    messages: dict[str, str] = {}  # messages we wrote ourselves, checked exactly


def broken_common(channel: str, number: Callable[[int], str], time_field: str) -> dict[str, Broken]:
    """The cases every channel has; ``number(n)`` is the id of the channel's n-th broken case."""
    text_field = "description" if channel == "edds" else "text"
    blank = {
        "im": "Пустой текст сообщения.",
        "pos": "Пустой текст сообщения.",
        "edds": "Пустое описание вызова.",
        "appeal": "Пустой текст обращения.",
        "gospublic": "Пустой текст комментария.",
    }[channel]
    return {
        f"{channel}/invalid_date_word": Broken({time_field}, number(3)),
        f"{channel}/invalid_date_impossible": Broken({time_field}, number(4)),
        f"{channel}/invalid_date_naive": Broken({time_field}, number(5), {time_field: NAIVE}),
        # NUL is refused in an id (it would be another id) and only stripped from texts.
        f"{channel}/invalid_nul_in_id": Broken({ADAPTERS[channel].id_field}, number(6)),
        f"{channel}/invalid_empty_text": Broken({text_field}, number(7)),
        # Spaces and a NUL only: empty once the NUL is stripped.
        f"{channel}/invalid_blank_text": Broken({text_field}, number(8), {text_field: blank}),
    }


BROKEN: dict[str, Broken] = {
    # ИМ
    **broken_common("im", lambda n: f"im-{7730300 + n}", "published_at"),
    "im/invalid_missing_fields": Broken({"network", "url", "author", "published_at"}, "im-7730300"),
    "im/invalid_number_for_text": Broken({"text"}, "im-7730301", {"text": "Ожидалась строка."}),
    "im/invalid_wrong_types": Broken(
        {"network", "url", "author.name", "author.profile_url", "address", "topic"}, "im-7730302"
    ),
    "im/invalid_nested_shapes": Broken({"author"}, "im-7730309"),
    # ПОС
    **broken_common("pos", lambda n: f"pos-{5518800 + n}", "created_at"),
    "pos/invalid_missing_fields": Broken(
        {"created_at", "category", "fast_track", "applicant"}, "pos-5518800"
    ),
    "pos/invalid_number_for_text": Broken({"text"}, "pos-5518801", {"text": "Ожидалась строка."}),
    # a string for a bool, a word for a number, an object for a list
    "pos/invalid_wrong_types": Broken(
        {"fast_track", "coordinates.lat", "attachments"}, "pos-5518802"
    ),
    "pos/invalid_nested_shapes": Broken({"category", "coordinates", "applicant"}, "pos-5518809"),
    # ЕДДС
    **broken_common("edds", lambda n: f"ЕДДС-2026-{4900 + n:06}", "received_at"),
    "edds/invalid_missing_fields": Broken(
        {"received_at", "caller", "address", "type"}, "ЕДДС-2026-004900"
    ),
    "edds/invalid_number_for_text": Broken(
        {"description"}, "ЕДДС-2026-004901", {"description": "Ожидалась строка."}
    ),
    "edds/invalid_wrong_types": Broken(
        {"caller.name", "caller.phone", "address", "type", "severity"}, "ЕДДС-2026-004902"
    ),
    "edds/invalid_nested_shapes": Broken({"caller"}, "ЕДДС-2026-004909"),
    # обращения по 59-ФЗ
    **broken_common("appeal", lambda n: f"01-12/{4602 + n}", "registered_at"),
    "appeal/invalid_missing_fields": Broken({"registered_at", "applicant"}, "01-12/4602"),
    "appeal/invalid_number_for_text": Broken({"text"}, "01-12/4603", {"text": "Ожидалась строка."}),
    # The number is an object: no id can be told, the row is still kept as failed.
    "appeal/invalid_wrong_types": Broken(
        {"registration_number", "addressee", "applicant.email", "collective"}, ""
    ),
    "appeal/invalid_nested_shapes": Broken({"applicant"}, "01-12/4611"),
    # 59-ФЗ ст. 11 ч. 1: no address for the answer — refused, not silently accepted.
    "appeal/invalid_no_answer_address": Broken(
        {"applicant.postal_address", "applicant.email"},
        "01-12/4600",
        {"applicant.postal_address": NO_ANSWER_ADDRESS, "applicant.email": NO_ANSWER_ADDRESS},
    ),
    "appeal/invalid_anonymous": Broken({"applicant.name"}, "01-12/4601"),
    # госпаблики
    **broken_common("gospublic", lambda n: f"gp-{52000 + n}", "published_at"),
    "gospublic/invalid_missing_fields": Broken(
        {"network", "page_url", "comment_url", "author", "published_at"}, "gp-52000"
    ),
    "gospublic/invalid_number_for_text": Broken(
        {"text"}, "gp-52001", {"text": "Ожидалась строка."}
    ),
    "gospublic/invalid_wrong_types": Broken(
        {"network", "page_url", "comment_url", "author.name"}, "gp-52002"
    ),
    "gospublic/invalid_nested_shapes": Broken({"author"}, "gp-52009"),
}


def channel_of(case: str) -> str:
    return case.split("/")[0]


def test_every_recorded_payload_has_one_expectation():
    recorded = {
        f"{path.parent.name}/{path.stem}" for path in FIXTURES.glob("*/*.json") if path.is_file()
    }
    assert recorded == set(VALID) | set(BROKEN)
    assert not set(VALID) & set(BROKEN)
    assert {channel_of(case) for case in recorded} == set(ADAPTERS)


def test_every_channel_is_registered_with_its_contract():
    assert {
        channel: (type(adapter).__name__, adapter.id_field, adapter.takes_answers)
        for channel, adapter in ADAPTERS.items()
    } == {
        "im": ("ImAdapter", "id", True),
        "pos": ("PosAdapter", "id", True),
        "edds": ("EddsAdapter", "card_number", False),  # the ЕДДС answers by phone
        "appeal": ("AppealAdapter", "registration_number", True),
        "gospublic": ("GospublicAdapter", "id", True),
    }


@pytest.mark.parametrize("case", sorted(VALID))
def test_valid_payload_parses_to_the_expected_message(case):
    parsed = ADAPTERS[channel_of(case)].parse(load(case))
    assert parsed == VALID[case]
    assert parsed.message.received_at.utcoffset() is not None  # aware, the instant compared above


@pytest.mark.parametrize(
    "case",
    sorted(BROKEN),
)
def test_broken_payload_names_the_fields_at_fault(case):
    expected = BROKEN[case]
    with pytest.raises(PayloadInvalid) as caught:
        ADAPTERS[channel_of(case)].parse(load(case))
    assert set(caught.value.errors) == expected.fields
    assert caught.value.external_id == expected.external_id
    assert all(caught.value.errors[field] for field in expected.fields)
    for field, message in expected.messages.items():
        assert caught.value.errors[field] == [message]


@pytest.mark.parametrize("channel", sorted(ADAPTERS))
def test_a_text_over_100_000_characters_is_refused(channel):
    payload = load(f"{channel}/valid_100kb_text")
    text_field = "description" if channel == "edds" else "text"
    assert len(payload[text_field]) == LONG_TEXT_LENGTH
    payload[text_field] += "я"
    with pytest.raises(PayloadInvalid) as caught:
        ADAPTERS[channel].parse(payload)
    assert set(caught.value.errors) == {text_field}


@pytest.mark.parametrize("channel", sorted(ADAPTERS))
def test_a_lone_surrogate_in_the_text_is_refused_by_name(channel):
    """JSON may spell a lone surrogate ("\\ud800"); PostgreSQL cannot store it as UTF-8."""
    payload = load(f"{channel}/valid_100kb_text")
    text_field = "description" if channel == "edds" else "text"
    payload[text_field] = "Яма на дороге \ud83d без пары"
    with pytest.raises(PayloadInvalid) as caught:
        ADAPTERS[channel].parse(payload)
    assert set(caught.value.errors) == {text_field}
    assert "U+D83D" in caught.value.errors[text_field][0]
    payload[text_field] = "Яма на дороге 🕳 — эмодзи в паре"  # a proper pair is fine
    assert payload[text_field] in ADAPTERS[channel].parse(payload).message.text


@pytest.mark.parametrize("channel", sorted(ADAPTERS))
def test_a_payload_that_is_not_an_object_is_refused(channel):
    with pytest.raises(PayloadInvalid) as caught:
        ADAPTERS[channel].parse(["не", "объект"])
    assert caught.value.errors == {"non_field_errors": ["Ожидался JSON-объект."]}


@pytest.mark.parametrize(
    ("topic", "topic_code"),
    [
        ("roads", "roads"),
        ("roads.potholes", "roads.potholes"),
        (" Roads.Snow ", "roads.snow"),
        ("roads.no_such_subtopic", "roads.no_such_subtopic"),  # intake finds no topic: no harm
        ("roads/potholes", None),
        ("Дороги", None),
        ("a.b.c", None),
        ("", None),
    ],
)
def test_im_topic_becomes_a_topic_only_in_the_rubricator_format(topic, topic_code):
    payload = load("im/valid_typical") | {"topic": topic}
    parsed = ADAPTERS["im"].parse(payload)
    assert (parsed.message.topic_code, parsed.category_code) == (topic_code, topic.strip())


def test_edds_sends_no_answers_and_the_others_log_theirs(caplog):
    caplog.set_level(logging.INFO, logger="mcu.integrations.outbound")
    for channel in ("edds", "appeal"):
        ADAPTERS[channel].send_answer(external_id="01-12/4471", text="Ответ дан.", endpoint=None)
    assert [record.getMessage() for record in caplog.records] == [
        "answer to appeal 01-12/4471: Ответ дан."
    ]


# ------------------------------------------------------------------ through the webhook
def post(client: Client, channel: str, payload: Any, secret: str) -> Any:
    body = json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    return client.post(
        f"/integrations/{channel}/oktyabrsky/",
        data=body,
        content_type="application/json",
        headers={
            "X-MCU-Timestamp": timestamp,
            "X-MCU-Signature": sign(secret=secret, timestamp=timestamp, body=body),
        },
    )


def process_inbox(municipality: Municipality) -> tuple[int, int]:
    with municipality_scope(municipality.pk):
        ids = list(InboundMessage.objects.values_list("pk", flat=True))
    result = inbound_process(municipality_id=municipality.pk, inbound_ids=ids)
    return result.processed, result.failed


class Term(NamedTuple):
    kind: str
    received_at: datetime
    registered_at: datetime | None
    due_at: datetime


TERMS: dict[str, Term] = {
    # Регламент Октябрьского района §2.5: ИМ — 3 hours on the clock.
    "im": Term(Kind.MESSAGE, utc(2026, 11, 22, 5, 15), None, utc(2026, 11, 22, 8, 15)),
    # Same clause: ПОС — 25 calendar days from the day after receipt (22 Nov local) to 24:00
    # local of 17 Dec.
    "pos": Term(
        Kind.MESSAGE,
        utc(2026, 11, 22, 5, 15),
        None,
        datetime(2026, 12, 18, 0, 0, tzinfo=YEKT),
    ),
    # The default ЕДДС term (the acts set none): 24 hours.
    "edds": Term(Kind.MESSAGE, utc(2026, 11, 22, 2, 48, 12), None, utc(2026, 11, 23, 2, 48, 12)),
    # 59-ФЗ ст. 12 ч. 1: 30 days from registration (24 Nov local) to 24:00 local of 24 Dec.
    "appeal": Term(Kind.APPEAL, REGISTERED, REGISTERED, datetime(2026, 12, 25, 0, 0, tzinfo=YEKT)),
    # DESIGN §5: госпаблики like ИМ — 3 hours.
    "gospublic": Term(Kind.MESSAGE, utc(2026, 11, 22, 13, 5), None, utc(2026, 11, 22, 16, 5)),
}


@pytest.mark.parametrize("channel", sorted(TERMS))
def test_each_channel_through_the_webhook_becomes_an_incident_with_its_term(
    client, municipality, channel
):
    assert municipality.timezone == "Asia/Yekaterinburg"
    with municipality_scope(municipality.pk):
        secret = channel_secret_rotate(municipality=municipality, channel=channel)
    cases = [f"{channel}/{name}" for name in ("valid_typical", "valid_emoji_html")]
    cases += [f"{channel}/valid_nul_in_text", f"{channel}/valid_100kb_text"]
    response = post(client, channel, [load(case) for case in cases], secret)
    assert response.status_code == 202
    assert [(r["status"], r["id"]) for r in response.json()["results"]] == [
        ("accepted", VALID[case].message.external_id) for case in cases
    ]
    assert process_inbox(municipality) == (4, 0)
    with municipality_scope(municipality.pk):
        incidents = {
            incident.external_id: incident
            for incident in Incident.objects.filter(channel=channel).select_related("topic")
        }
    # What is stored is what the adapter said, HTML included (escaping is the template's job).
    assert {eid: incident.text for eid, incident in incidents.items()} == {
        VALID[case].message.external_id: VALID[case].message.text for case in cases
    }
    typical = incidents[VALID[f"{channel}/valid_typical"].message.external_id]
    term = TERMS[channel]
    assert (typical.kind, typical.received_at, typical.registered_at, typical.due_at) == term
    assert typical.final_due_at == term.due_at
    expected = VALID[f"{channel}/valid_typical"].message
    assert (
        typical.citizen_name,
        typical.citizen_email,
        typical.citizen_phone,
        typical.citizen_profile_url,
        typical.citizen_postal_address,
        typical.address,
        typical.source_url,
        typical.fast_track,
        typical.topic.code if typical.topic else None,
    ) == (
        expected.citizen_name,
        expected.citizen_email,
        expected.citizen_phone,
        expected.citizen_profile_url,
        expected.citizen_postal_address,
        expected.address,
        expected.source_url,
        expected.fast_track,
        expected.topic_code,
    )


def test_appeal_due_at_is_24_00_local_of_the_thirtieth_day(client, municipality):
    """Registered late on 24 Nov local (still 24 Nov), the term ends at 24:00 of 24 Dec local —
    not a UTC day, and not 30 × 24 hours from the registration minute."""
    with municipality_scope(municipality.pk):
        secret = channel_secret_rotate(municipality=municipality, channel="appeal")
    payload = load("appeal/valid_minimal") | {"registered_at": "2026-11-24T23:30:00+05:00"}
    assert post(client, "appeal", payload, secret).status_code == 202
    assert process_inbox(municipality) == (1, 0)
    with municipality_scope(municipality.pk):
        incident = Incident.objects.get(channel="appeal", external_id="01-12/4480")
    assert incident.registered_at == utc(2026, 11, 24, 18, 30)
    assert incident.due_at == datetime(2026, 12, 25, 0, 0, tzinfo=YEKT)
    assert incident.due_at - incident.registered_at == timedelta(days=30, minutes=30)


def test_an_appeal_without_an_address_for_the_answer_fails_visibly(client, municipality):
    with municipality_scope(municipality.pk):
        secret = channel_secret_rotate(municipality=municipality, channel="appeal")
    response = post(client, "appeal", load("appeal/invalid_no_answer_address"), secret)
    assert response.status_code == 202
    (result,) = response.json()["results"]
    assert (result["status"], result["id"]) == ("invalid", "01-12/4600")
    assert result["errors"] == {
        "applicant.postal_address": [NO_ANSWER_ADDRESS],
        "applicant.email": [NO_ANSWER_ADDRESS],
    }
    with municipality_scope(municipality.pk):
        (row,) = InboundMessage.objects.all()
        assert not Incident.objects.exists()
    assert row.state == InboundMessage.State.FAILED
    assert set(row.error_fields) == {"applicant.postal_address", "applicant.email"}
