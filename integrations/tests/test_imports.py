"""File imports of ПОС / ИМ exports: what is imported, what is reported, and who may do it.

Files are generated here (openpyxl, csv); nothing binary is committed. The 10 000-row case stops
at the inbox (processing 10 000 incidents would only time incident_create) and processes a
sample to prove the path to incidents.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from openpyxl import Workbook

from incidents.models import Incident
from integrations.models import ImportBatch, InboundMessage
from integrations.services.imports import import_batch_process, import_file
from integrations.services.processing import inbound_process
from mcu.models import Municipality
from mcu.tenancy import municipality_scope
from roles.models import Role, User

POS_HEADER = [
    "Номер сообщения",
    "Дата создания",
    "Категория",
    "Код категории",
    "Подкатегория",
    "Фаст-трек",
    "Текст сообщения",
    "Адрес",
    "Широта",
    "Долгота",
    "Заявитель",
    "E-mail",
    "Телефон",
]
REQUIRED = "Не заполнено обязательное поле."
BAD_DATE = "Неверная дата «31.02.2026 10:00»: нужна дата и время, например 05.03.2026 14:30."
BAD_FLAG = "Ожидается «Да» или «Нет» (или 1 / 0), указано «Может быть»."


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    """Uploaded files go to a throwaway folder, not var/test/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


def pos_row(number: int, **overrides: Any) -> list[Any]:
    values = {
        "Номер сообщения": f"POS-{number}",
        "Дата создания": f"{1 + number % 28:02d}.03.2026 {number % 24:02d}:{number % 60:02d}",
        "Категория": "Дороги",
        "Код категории": "roads",
        "Подкатегория": "Ямы",
        "Фаст-трек": "Да" if number % 10 == 0 else "Нет",
        "Текст сообщения": f"Яма на дороге у дома {number}",
        "Адрес": f"пгт. Октябрьское, ул. Ленина, {number % 300}",
        "Широта": "62,45",
        "Долгота": 65.39,
        "Заявитель": "Иванов Иван",
        "E-mail": "ivanov@example.ru",
        "Телефон": 79001234567,
    }
    values.update(overrides)
    return [values[name] for name in POS_HEADER]


def xlsx(rows: list[list[Any]], *, header: list[str] = POS_HEADER, above: int = 0) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Сообщения")
    for number in range(above):
        sheet.append([f"Выгрузка сообщений, лист {number + 1}"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def text_file(
    rows: list[list[Any]], *, delimiter: str, encoding: str, header: list[str] = POS_HEADER
) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def run(municipality: Municipality, data: bytes, name: str = "pos.xlsx", **kw: Any) -> ImportBatch:
    return import_file(
        municipality=municipality,
        channel=kw.pop("channel", "pos"),
        file_name=name,
        data=data,
        **kw,
    )


def inbox(municipality: Municipality, **filters: Any) -> list[tuple[str, str]]:
    with municipality_scope(municipality.pk):
        return list(
            InboundMessage.objects.filter(**filters)
            .order_by("pk")
            .values_list("external_id", "state")
        )


def body(municipality: Municipality, external_id: str) -> Any:
    """The JSON the row was stored as (the inbox keeps it as text)."""
    with municipality_scope(municipality.pk):
        return json.loads(InboundMessage.objects.get(external_id=external_id).body)


# ------------------------------------------------------------------ 10 000 rows, 3 % bad

BAD_KINDS = ("date", "text", "fast_track", "id", "email", "latitude")
BAD_AT = (7, 23, 41)  # of every hundred data rows: 3 %


def bad_kind(index: int) -> str | None:
    if index % 100 not in BAD_AT:
        return None
    return BAD_KINDS[(index // 100 * 3 + BAD_AT.index(index % 100)) % len(BAD_KINDS)]


BAD_CELLS: dict[str | None, dict[str, Any]] = {
    "date": {"Дата создания": "31.02.2026 10:00"},
    "text": {"Текст сообщения": "   "},
    "fast_track": {"Фаст-трек": "Может быть"},
    "id": {"Номер сообщения": None},
    "email": {"E-mail": "не почта"},
    "latitude": {"Широта": "95,5"},
    None: {},
}


def ten_thousand() -> list[list[Any]]:
    return [pos_row(index, **BAD_CELLS[bad_kind(index)]) for index in range(10_000)]


COLUMN_OF = {
    "date": "Дата создания",
    "text": "Текст сообщения",
    "fast_track": "Фаст-трек",
    "id": "Номер сообщения",
    "email": "E-mail",
    "latitude": "Широта",
}


def test_ten_thousand_rows_with_three_percent_bad(
    municipality, make_user, django_capture_on_commit_callbacks
):
    data = xlsx(ten_thousand())
    operator = make_user(Role.POS_OPERATOR, municipality)
    with django_capture_on_commit_callbacks() as callbacks:
        batch = run(municipality, data, actor=operator)

    assert batch.state == ImportBatch.State.DONE
    assert (batch.total_rows, batch.imported, batch.duplicates) == (10_000, 9_700, 0)
    assert len(callbacks) == 20  # one hand-over to the worker per committed chunk of 500
    # Every bad row, once, at its Excel row number (header = row 1), under its own column.
    expected = [
        (index + 2, COLUMN_OF[kind])
        for index in range(10_000)
        if (kind := bad_kind(index)) is not None
    ]
    assert len(expected) == 300
    assert [(e["row"], e["column"]) for e in batch.errors] == expected
    assert batch.errors[:4] == [
        {"row": 9, "column": "Дата создания", "reason": BAD_DATE},
        {"row": 25, "column": "Текст сообщения", "reason": REQUIRED},
        {"row": 43, "column": "Фаст-трек", "reason": BAD_FLAG},
        {"row": 109, "column": "Номер сообщения", "reason": REQUIRED},
    ]
    assert all(error["reason"] for error in batch.errors)  # e-mail, latitude: the adapter's words

    with municipality_scope(municipality.pk):
        stored = InboundMessage.objects.filter(import_batch=batch)
        assert stored.filter(state=InboundMessage.State.PENDING).count() == 9_700
        # Bad rows stay in the inbox with their error, like a bad webhook payload.
        assert stored.filter(state=InboundMessage.State.FAILED).count() == 300
        assert stored.filter(source=InboundMessage.Source.IMPORT).count() == 10_000
        batch.refresh_from_db()
    assert batch.file.read() == data
    assert len(batch.sha256) == 64

    # The same file again: nothing new, every good row a duplicate, the same report.
    again = run(municipality, data, actor=operator)
    assert (again.total_rows, again.imported, again.duplicates) == (10_000, 0, 9_700)
    assert again.errors == batch.errors
    assert again.sha256 == batch.sha256
    with municipality_scope(municipality.pk):
        assert InboundMessage.objects.exclude(external_id="").count() == 9_700
        assert not InboundMessage.objects.filter(import_batch=again).exclude(external_id="")

    # A sample goes all the way to incidents, as the worker would take it after commit.
    with municipality_scope(municipality.pk):
        sample = list(
            InboundMessage.objects.filter(import_batch=batch, state="pending")
            .order_by("pk")
            .values_list("pk", flat=True)[:20]
        )
    result = inbound_process(municipality_id=municipality.pk, inbound_ids=sample)
    assert (result.processed, result.failed) == (20, 0)
    with municipality_scope(municipality.pk):
        incident = Incident.objects.get(external_id="POS-10")
    # «11.03.2026 10:10» in Октябрьский (UTC+5) is 05:10 UTC.
    assert incident.received_at == datetime(2026, 3, 11, 5, 10, tzinfo=UTC)
    assert incident.fast_track is True
    assert (incident.latitude, incident.longitude) == (Decimal("62.45"), Decimal("65.39"))
    assert incident.citizen_phone == "79001234567"
    assert incident.text == "Яма на дороге у дома 10"


# ------------------------------------------------------------------ CSV: encodings, delimiters


def test_csv_cp1251_semicolons_title_rows_and_multiline_text(municipality):
    rows = [
        pos_row(1, **{"Текст сообщения": "Первая строка\nвторая строка; с точкой с запятой"}),
        pos_row(2, **{"Фаст-трек": "нет?"}),
        pos_row(3, **{"Категория": "Благоустройство", "Код категории": ""}),
    ]
    out = io.StringIO(newline="")
    out.write("Выгрузка ПОС за март 2026\r\n\r\n")
    csv.writer(out, delimiter=";").writerows([POS_HEADER, *rows])
    batch = run(municipality, out.getvalue().encode("cp1251"), "выгрузка.csv")

    assert batch.state == ImportBatch.State.DONE, batch.error
    assert (batch.total_rows, batch.imported) == (3, 2)
    # Header on row 3; the quoted two-line text is one row in Excel, so POS-2 is row 5.
    assert batch.errors == [
        {
            "row": 5,
            "column": "Фаст-трек",
            "reason": "Ожидается «Да» или «Нет» (или 1 / 0), указано «нет?».",
        }
    ]
    assert body(municipality, "POS-1")["text"] == "Первая строка\nвторая строка; с точкой с запятой"
    # No code in the export: a stable one derived from the name, for routing rules.
    assert body(municipality, "POS-3")["category"] == {
        "code": "благоустройство",
        "name": "Благоустройство",
    }


def test_csv_utf8_bom_commas_and_synonym_headers(municipality):
    header = [
        "№ сообщения",
        " дата  создания ",
        "КАТЕГОРИЯ",
        "Фасттрек",
        "Текст",
        "ФИО заявителя",
        "Email",
        "Лишняя колонка",
    ]
    rows = [
        ["1001", "2026-03-05T14:30:00+03:00", "ЖКХ", "1", "Нет отопления", "Петров", "", "x"],
        ["1002", "2026-03-05 14:30", "ЖКХ", "true", "Течёт\x00 кры\x07ша", "Сидорова", "", ""],
    ]
    batch = run(
        municipality,
        text_file(rows, delimiter=",", encoding="utf-8-sig", header=header),
        "export.csv",
    )

    assert batch.state == ImportBatch.State.DONE, batch.error
    assert (batch.total_rows, batch.imported, batch.errors) == (2, 2, [])
    assert body(municipality, "1001")["created_at"] == "2026-03-05T14:30:00+03:00"
    assert body(municipality, "1001")["fast_track"] is True
    # No offset: local time of the municipality (Asia/Yekaterinburg), not UTC.
    assert body(municipality, "1002")["created_at"] == "2026-03-05T14:30:00+05:00"
    assert body(municipality, "1002")["text"] == "Течёт крыша"  # NUL, BEL dropped


def test_xlsx_cells_as_excel_keeps_them(municipality):
    """Real date cells, numbers for ids, phones and coordinates."""
    rows = [
        pos_row(
            5,
            **{
                "Номер сообщения": 5,
                "Дата создания": datetime(2026, 3, 5, 14, 30),
                "Широта": 62.4512345678,
            },
        ),
        pos_row(6, **{"Дата создания": "05.03.2026"}),
    ]
    batch = run(municipality, xlsx(rows, above=2))

    assert (batch.total_rows, batch.imported) == (2, 1)
    assert batch.errors == [
        {"row": 5, "column": "Дата создания", "reason": "Указана только дата, без времени."}
    ]
    stored = body(municipality, "5")
    assert stored["created_at"] == "2026-03-05T14:30:00+05:00"
    assert stored["coordinates"]["lat"] == "62.451235"
    assert stored["applicant"]["phone"] == "79001234567"


def test_duplicate_id_inside_one_file_is_one_message(municipality):
    batch = run(municipality, xlsx([pos_row(1), pos_row(2), pos_row(1)]))
    assert (batch.total_rows, batch.imported, batch.duplicates) == (3, 2, 1)
    assert inbox(municipality) == [("POS-1", "pending"), ("POS-2", "pending")]


# ------------------------------------------------------------------ files that cannot be read


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        (
            "garbage.csv",
            bytes(range(256)) * 40,
            "Не удалось прочитать файл: это не XLSX и не CSV в кодировке UTF-8 или Windows-1251.",
        ),
        (
            "garbage.txt",
            bytes(range(0x98)) * 40,  # decodes as Windows-1251, but has no header
            "Не найдена строка заголовков в первых 20 строках. Ожидаются колонки выгрузки: "
            "«Номер сообщения», «Дата создания», «Категория», «Фаст-трек», «Текст сообщения», "
            "«Заявитель».",
        ),
        (
            "no-header.csv",
            text_file([pos_row(2), pos_row(3)], delimiter=";", encoding="utf-8", header=pos_row(1)),
            "Не найдена строка заголовков в первых 20 строках. Ожидаются колонки выгрузки: "
            "«Номер сообщения», «Дата создания», «Категория», «Фаст-трек», «Текст сообщения», "
            "«Заявитель».",
        ),
        (
            "no-id.xlsx",
            xlsx([pos_row(1)[1:]], header=POS_HEADER[1:]),
            "В строке заголовков (строка 1) нет обязательных колонок: «Номер сообщения».",
        ),
        (
            "old.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
            "Формат .xls (Excel 97–2003) не поддерживается: сохраните файл как .xlsx или CSV.",
        ),
        (
            "broken.xlsx",
            b"PK\x03\x04" + b"\x00" * 300,
            "Не удалось открыть книгу Excel: файл повреждён или это не XLSX",
        ),
        ("empty.csv", b"  \r\n", "Файл пуст."),
        (
            "report.xlsx",
            "Номер сообщения;Текст".encode(),
            "Файл с расширением .xlsx — не книга Excel.",
        ),
    ],
)
def test_unreadable_file_fails_and_imports_nothing(municipality, name, data, error):
    batch = run(municipality, data, name)
    assert batch.state == ImportBatch.State.FAILED
    assert batch.error == error
    assert (batch.total_rows, batch.imported, batch.errors) == (0, 0, [])
    assert inbox(municipality) == []
    with municipality_scope(municipality.pk):
        assert ImportBatch.objects.get().file_name == name  # kept, with the file, to inspect


def test_sheet_broken_part_way_is_refused_whole_and_the_fixed_file_imports(municipality):
    """A sheet cut off mid-way: nothing of it is stored, so the fixed file imports every row."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in [POS_HEADER, *(pos_row(n) for n in range(3000))]:
        sheet.append(row)
    whole = io.BytesIO()
    workbook.save(whole)
    cut = io.BytesIO()
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(cut, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            target.writestr(name, content)

    broken = run(municipality, cut.getvalue())
    assert broken.state == ImportBatch.State.FAILED
    assert broken.error.startswith("Не удалось прочитать лист «Sheet»: ")
    assert (broken.total_rows, broken.imported) == (0, 0)
    assert inbox(municipality) == []
    fixed = run(municipality, whole.getvalue())
    assert (fixed.state, fixed.imported, fixed.duplicates) == (ImportBatch.State.DONE, 3000, 0)


# ------------------------------------------------------------------ ИМ


def test_im_export(municipality):
    header = [
        "ID",
        "Соцсеть",
        "Ссылка",
        "Автор",
        "Ссылка на автора",
        "Текст",
        "Дата публикации",
        "Адрес",
        "Тема",
    ]
    rows = [
        ["im-1", "ВКонтакте", "https://vk.com/wall-1_1", "Анна", "https://vk.com/id1",
         "Не убран снег", "05.03.2026 09:15", "ул. Мира, 3", "roads"],
        ["im-2", "Telegram", "https://t.me/c/1/2", "Олег", "https://t.me/oleg",
         "Фонарь не горит", "05.03.2026 9:20", "", ""],
        ["im-3", "ОК", "не ссылка", "Ирина", "https://ok.ru/profile/3",
         "Текст", "05.03.2026 09:30", "", ""],
    ]  # fmt: skip
    batch = run(municipality, xlsx(rows, header=header), "im.xlsx", channel="im")

    assert batch.state == ImportBatch.State.DONE, batch.error
    assert (batch.total_rows, batch.imported) == (3, 2)
    assert [(e["row"], e["column"]) for e in batch.errors] == [(4, "Ссылка")]
    assert body(municipality, "im-1")["network"] == "vk"
    assert body(municipality, "im-2")["published_at"] == "2026-03-05T09:20:00+05:00"
    with municipality_scope(municipality.pk):
        ids = list(InboundMessage.objects.filter(state="pending").values_list("pk", flat=True))
    assert inbound_process(municipality_id=municipality.pk, inbound_ids=ids).processed == 2
    with municipality_scope(municipality.pk):
        incident = Incident.objects.get(external_id="im-1")
    assert incident.received_at == datetime(2026, 3, 5, 4, 15, tzinfo=UTC)
    assert incident.source_url == "https://vk.com/wall-1_1"


# ------------------------------------------------------------------ pages


@pytest.fixture
def operator(municipality: Municipality, make_user: Callable[..., User]) -> User:
    return make_user(Role.POS_OPERATOR, municipality)


def upload(
    client: Client, municipality: Municipality, data: bytes, name: str, channel: str = "pos"
):
    handle = io.BytesIO(data)
    handle.name = name
    return client.post(f"/m/{municipality.slug}/imports/", {"channel": channel, "file": handle})


def test_page_upload_and_batch_report(municipality, operator, login):
    client = login(operator)
    page = client.get(f"/m/{municipality.slug}/imports/")
    assert page.status_code == 200
    choices = page.context["form"].fields["channel"].choices
    assert choices == [("pos", "Платформа обратной связи")]  # the ПОС operator: ПОС only

    rows = [pos_row(1), pos_row(2, **{"Фаст-трек": "Может быть"})]
    data = xlsx(rows)
    response = upload(client, municipality, data, "март.xlsx")
    with municipality_scope(municipality.pk):
        batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/m/{municipality.slug}/imports/{batch.pk}/"
    assert (batch.imported, batch.created_by, batch.file_name) == (1, operator, "март.xlsx")

    detail = client.get(response["Location"])
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "Загружено новых сообщений: 1, повторов: 0, строк с ошибками: 1." in html
    assert "<td>3</td><td>Фаст-трек</td><td>Ожидается «Да» или «Нет»" in html
    listing = client.get(f"/m/{municipality.slug}/imports/").content.decode()
    assert "март.xlsx" in listing

    again = client.get(upload(client, municipality, data, "март (2).xlsx")["Location"])
    assert (
        "Загружено новых сообщений: 0, повторов: 1, строк с ошибками: 1." in again.content.decode()
    )
    assert (
        f'Этот же файл уже загружали: <a href="/m/{municipality.slug}/imports/{batch.pk}/">'
        f"загрузка № {batch.pk}</a>"
    ) in again.content.decode()


def test_page_refuses_a_channel_the_role_does_not_import(municipality, operator, login):
    client = login(operator)
    response = upload(client, municipality, xlsx([pos_row(1)]), "im.xlsx", channel="im")
    assert response.status_code == 400
    assert "Выберите корректный вариант" in response.content.decode()
    assert inbox(municipality) == []


def test_page_file_size_limit(municipality, operator, login, settings):
    settings.MCU_IMPORT_MAX_BYTES = 1024 * 1024
    client = login(operator)
    response = upload(client, municipality, b"x" * (1024 * 1024 + 1), "big.csv")
    assert response.status_code == 400
    assert "Файл больше 1 МБ" in response.content.decode()
    huge = upload(client, municipality, b"x" * (2 * 1024 * 1024 + 1), "huge.csv")
    assert huge.status_code == 413
    with municipality_scope(municipality.pk):
        assert not ImportBatch.objects.exists()


def test_page_upload_needs_csrf(municipality, operator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    response = upload(client, municipality, xlsx([pos_row(1)]), "a.xlsx")
    assert response.status_code == 403
    assert inbox(municipality) == []


def test_page_failed_file(municipality, operator, login):
    client = login(operator)
    response = upload(client, municipality, b"\x00\x01garbage", "x.csv")
    detail = client.get(response["Location"])
    assert "Файл не загружен:" in detail.content.decode()


@pytest.mark.parametrize("role", [Role.TECH_ADMIN, Role.HEAD, Role.IM_OPERATOR])
def test_page_open_to_registering_and_inbox_roles(municipality, make_user, login, role):
    assert (
        login(make_user(role, municipality)).get(f"/m/{municipality.slug}/imports/").status_code
        == 200
    )


@pytest.mark.parametrize("role", [Role.EXECUTOR, Role.SECTOR_CURATOR, Role.SUPPORT_OFFICER])
def test_page_forbidden_without_the_capability(municipality, make_user, login, role):
    client = login(make_user(role, municipality))
    assert client.get(f"/m/{municipality.slug}/imports/").status_code == 403
    response = upload(client, municipality, xlsx([pos_row(1)]), "a.xlsx")
    assert response.status_code == 403
    assert inbox(municipality) == []


def test_other_municipality_page_and_batch_are_404(
    municipality, other_municipality, operator, make_user, login
):
    foreign = run(other_municipality, xlsx([pos_row(1)]))
    client = login(operator)
    assert client.get(f"/m/{other_municipality.slug}/imports/").status_code == 404
    assert client.get(f"/m/{other_municipality.slug}/imports/{foreign.pk}/").status_code == 404
    # Even through the user's own municipality, another's batch does not exist.
    assert client.get(f"/m/{municipality.slug}/imports/{foreign.pk}/").status_code == 404
    assert client.get(f"/m/{municipality.slug}/imports/999999/").status_code == 404
    assert "POS-1" not in client.get(f"/m/{municipality.slug}/imports/").content.decode()


# ------------------------------------------------------------------ the command


def test_command_prints_summary_and_bad_rows(municipality, tmp_path):
    path = tmp_path / "pos.csv"
    rows = [pos_row(1), pos_row(2, **{"Текст сообщения": ""}), pos_row(3)]
    path.write_bytes(text_file(rows, delimiter=";", encoding="cp1251"))
    out = io.StringIO()
    call_command("import_messages", "oktyabrsky", "pos", str(path), "--process", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[1:] == [
        "Строк с данными: 3",
        "Загружено новых: 2",
        "Уже были загружены (повторы): 0",
        "Строк с ошибками: 1",
        "  строка 3, «Текст сообщения»: Не заполнено обязательное поле.",
        "Обработка:",
        "  создано инцидентов: 2",
        "  инцидент уже существовал: 0",
        "  ошибок обработки: 0",
    ]
    with municipality_scope(municipality.pk):
        assert sorted(Incident.objects.values_list("external_id", flat=True)) == ["POS-1", "POS-3"]

    again = io.StringIO()
    call_command("import_messages", "oktyabrsky", "pos", str(path), stdout=again)
    assert "Загружено новых: 0\nУже были загружены (повторы): 2\n" in again.getvalue()


def test_command_unreadable_file_exits_1(municipality, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"just; some; words\n1;2;3\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match="Файл не загружен: Не найдена строка заголовков"):
        call_command("import_messages", "oktyabrsky", "pos", str(path), stdout=out)
    assert "Строк с данными: 0" in out.getvalue()


def test_batch_process_counts(municipality):
    batch = run(municipality, xlsx([pos_row(1), pos_row(2)]))
    summary = import_batch_process(batch=batch)
    assert (summary.processed, summary.duplicates, summary.failed, summary.pending) == (2, 0, 0, 0)
