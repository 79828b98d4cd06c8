"""File imports: the XLSX / CSV exports staff already download from ПОС and ИМ (DESIGN §6).

Every data row becomes one object of the channel's JSON contract and goes through
``inbox_accept`` — the webhook's own adapter validation — so an import and a webhook can never
disagree about a message. The import only translates spreadsheet conventions into the contract
(local «дд.мм.гггг чч:мм» times, Excel date cells, «Да»/«Нет», decimal commas, ids stored as
numbers); a cell it cannot translate goes to the adapter unchanged, the adapter refuses the row,
and the report explains why in the spreadsheet's own terms: row number as Excel shows it (the
header is row 1), the column's header, the reason.

Re-importing a file creates nothing new: the inbox is unique on (municipality, channel,
external id), so its rows come back as duplicates. Rows are stored in transactions of
``CHUNK`` rows, each handed to the worker after it commits (the worker starts on the first
rows while the rest are still being read); a file that cannot be read at all — not XLSX/CSV, no
header row, a required column missing — is refused before any row is stored.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.datetime import from_excel
from python_calamine import CalamineSheet, CalamineWorkbook

from incidents.exceptions import ActorLacksCapability, InvalidInput
from integrations.channels import adapter_for
from integrations.models import ImportBatch, InboundMessage
from integrations.services.inbox import PROCESS_CHUNK, ItemResult, inbox_accept, inbox_stored
from integrations.services.processing import inbound_process
from mcu.models import Municipality
from mcu.tenancy import dangerously_unscoped, municipality_scope
from roles.models import Channel, User
from roles.permissions import ActorCapabilities, Capability
from roles.selectors import actor_capabilities

logger = logging.getLogger(__name__)
CHUNK = 500  # rows per inbox_accept call and per transaction
# A background import with no sign of life this long is taken over (a chunk of 500 rows takes
# seconds; a queued task starts within seconds when a worker is up).
IMPORT_STALE_AFTER = timedelta(minutes=5)
HEADER_SEARCH_ROWS = 20  # exports put a title and a period above the header
CSV_DELIMITERS = (";", ",", "\t")  # Russian Excel writes ';'
CSV_FIELD_LIMIT = 1_000_000  # a message text may be 100 000 characters; csv's default is 131 072
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # .xls (Excel 97–2003)


class FileUnreadable(Exception):
    """The file as a whole cannot be imported; ``message`` says why, in Russian."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- columns -------------------------------------------------------------------------------


def header_key(title: str) -> str:
    """Headers compare case-, spacing- and punctuation-insensitively: «E-mail» = «email»."""
    text = title.replace("№", " номер ").casefold().replace("ё", "е")
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


# Contract field path → the reason in spreadsheet terms, for a cell the import could not
# translate (None: translated fine). Used only where the adapter refuses that field.
Hints = dict[str, str | None]


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # as in the channel's export; used when the file lacks the column
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportSpec:
    channel: str
    columns: tuple[Column, ...]
    # Each entry: the column(s) of which at least one must be present. Without them every row
    # would fail the same way, so the file is refused naming them instead.
    required: tuple[tuple[str, ...], ...]
    # Contract field path (as the adapter reports it) → the columns it came from, in order of
    # preference (the first present one is named in the report).
    paths: dict[str, tuple[str, ...]]
    build: Callable[[Row, ZoneInfo], tuple[dict[str, Any], Hints]]

    def lookup(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for column in self.columns:
            for name in (column.title, *column.synonyms):
                out.setdefault(header_key(name), column.key)
        return out

    def title(self, key: str) -> str:
        return next(column.title for column in self.columns if column.key == key)


class Row:
    """One data row: values by logical column key, strings cleaned."""

    __slots__ = ("positions", "values")

    def __init__(self, values: Sequence[Any], positions: dict[str, int]) -> None:
        self.values = [clean(value) if isinstance(value, str) else value for value in values]
        self.positions = positions

    def raw(self, key: str) -> Any:
        position = self.positions.get(key)
        if position is None or position >= len(self.values):
            return None
        return self.values[position]

    def text(self, key: str) -> str:
        return as_text(self.raw(key))


def clean(value: str) -> str:
    """NUL and the control characters XML cannot hold (what openpyxl refuses), trimmed."""
    if value.isprintable():  # holds none of them: most cells, without the regex (~4 % of a read)
        return value.strip()
    return ILLEGAL_CHARACTERS_RE.sub("", value).strip()


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Да" if value else "Нет"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id or a phone number Excel stored as a number
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return clean(str(value))


# --- cell translations: (contract value, reason if it could not be translated) --------------

LOCAL_MOMENT = re.compile(
    r"(\d{1,2})\.(\d{1,2})\.(\d{4})[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?"
)
LOCAL_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}")
TRUE_WORDS = frozenset({"да", "1", "true", "истина", "yes", "y", "д", "+"})
FALSE_WORDS = frozenset({"нет", "0", "false", "ложь", "no", "n", "н", "-", ""})
NETWORKS = {
    header_key(name): code
    for code, names in {
        "vk": ("ВКонтакте", "ВК", "VK", "vk.com", "Вконтакте"),
        "ok": ("Одноклассники", "ОК", "OK", "ok.ru"),
        "telegram": ("Telegram", "Телеграм", "Телеграмм", "TG", "t.me"),
        "max": ("MAX", "Макс"),
        "dzen": ("Дзен", "Яндекс Дзен", "dzen.ru"),
        "rutube": ("Rutube", "Рутуб"),
        "youtube": ("YouTube", "Ютуб"),
    }.items()
    for name in names
}


def moment(value: Any, tz: ZoneInfo) -> tuple[Any, str | None]:
    """A time as the contract wants it: ISO 8601 with an offset. A time without one is local
    time of the municipality (that is what staff see in the export), never UTC."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=tz)
        return aware.isoformat(), None
    if isinstance(value, date):
        # A date cell holding a whole day: Excel shows it as midnight in a date-time column,
        # and calamine cannot tell the column's format from the value.
        return datetime(value.year, value.month, value.day, tzinfo=tz).isoformat(), None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 36526 <= value < 73051:
        # A date cell that lost its date format: Excel's day number (years 2000–2099 only —
        # any other number in a date column is a mistake, not a date).
        converted = from_excel(value)
        if isinstance(converted, datetime):
            return converted.replace(tzinfo=tz).isoformat(), None
    text = as_text(value)
    if not text:
        return "", _("Не заполнено обязательное поле.")
    if LOCAL_DATE.fullmatch(text):
        return text, _("Указана только дата, без времени.")
    match = LOCAL_MOMENT.fullmatch(text)
    if match:
        day, month, year, hour, minute, second = (int(part or 0) for part in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=tz).isoformat(), None
        except ValueError:
            return text, _bad_moment(text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text, _bad_moment(text)
    if len(text) <= 10:  # "2026-03-05": a date alone
        return text, _("Указана только дата, без времени.")
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).isoformat(), None


def _bad_moment(text: str) -> str:
    return _("Неверная дата «{value}»: нужна дата и время, например 05.03.2026 14:30.").format(
        value=text
    )


def flag(value: Any) -> tuple[Any, str | None]:
    """«Фаст-трек»: Да/Нет, 1/0, true/false. An empty cell is «Нет» — the export leaves the
    flag blank on ordinary messages."""
    if isinstance(value, bool):
        return value, None
    word = as_text(value).casefold()
    if word in TRUE_WORDS:
        return True, None
    if word in FALSE_WORDS:
        return False, None
    return as_text(value), _("Ожидается «Да» или «Нет» (или 1 / 0), указано «{value}».").format(
        value=as_text(value)
    )


def coordinate(value: Any) -> tuple[Any, str | None]:
    """Degrees with a decimal point or comma, to the 6 decimals (~10 cm) the contract keeps."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = Decimal(str(value))
    else:
        text = as_text(value).replace(",", ".").replace(" ", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            return as_text(value), _("Ожидается число, указано «{value}».").format(
                value=as_text(value)
            )
    if not number.is_finite():
        return as_text(value), _("Ожидается число, указано «{value}».").format(value=as_text(value))
    return str(number.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)), None


def derived_code(name: str) -> str:
    """A category code where the export has only the name: the name itself, lower-cased and
    with single spaces — the same name always gives the same code, and an administrator can
    type it into a routing rule."""
    return " ".join(name.casefold().split())[:100]


# --- ПОС -----------------------------------------------------------------------------------

POS_COLUMNS = (
    Column(
        "id",
        "Номер сообщения",
        ("№ сообщения", "Номер", "ID", "ID сообщения", "Идентификатор", "Номер обращения"),
    ),
    Column(
        "created_at",
        "Дата создания",
        ("Дата и время создания", "Создано", "Дата поступления", "Дата сообщения", "Дата и время"),
    ),
    Column("category", "Категория", ("Категория сообщения", "Рубрика")),
    Column("category_code", "Код категории", ("Код рубрики",)),
    Column("subcategory", "Подкатегория", ("Подрубрика",)),
    Column("subcategory_code", "Код подкатегории", ("Код подрубрики",)),
    Column("fast_track", "Фаст-трек", ("Фасттрек", "Fast-track", "Fast track")),
    Column("text", "Текст сообщения", ("Текст", "Текст обращения", "Сообщение", "Содержание")),
    Column("address", "Адрес", ("Адрес проблемы", "Адрес места")),
    Column("lat", "Широта", ("Latitude", "lat")),
    Column("lon", "Долгота", ("Longitude", "lon", "lng")),
    Column("applicant", "Заявитель", ("ФИО заявителя", "ФИО", "Автор", "Автор сообщения")),
    Column(
        "email",
        "E-mail",
        ("Email", "Эл. почта", "Электронная почта", "Адрес электронной почты", "Почта"),
    ),
    Column("phone", "Телефон", ("Телефон заявителя", "Контактный телефон", "Номер телефона")),
)


def _required(item: dict[str, Any], hints: Hints, paths: Sequence[str]) -> None:
    for path in paths:
        value: Any = item
        for part in path.split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        if value == "":
            hints[path] = _("Не заполнено обязательное поле.")


def _pos_item(row: Row, tz: ZoneInfo) -> tuple[dict[str, Any], Hints]:
    hints: Hints = {}
    item: dict[str, Any] = {"id": row.text("id")}
    item["created_at"], hints["created_at"] = moment(row.raw("created_at"), tz)
    name, code = row.text("category"), row.text("category_code")
    item["category"] = {"code": code or derived_code(name), "name": name}
    sub_name, sub_code = row.text("subcategory"), row.text("subcategory_code")
    if sub_name or sub_code:
        item["subcategory"] = {"code": sub_code or derived_code(sub_name), "name": sub_name}
    item["fast_track"], hints["fast_track"] = flag(row.raw("fast_track"))
    item["text"] = row.text("text")
    if row.text("address"):
        item["address"] = row.text("address")
    lat, lon = row.raw("lat"), row.raw("lon")
    if as_text(lat) or as_text(lon):
        coordinates: dict[str, Any] = {}
        for key, value in (("lat", lat), ("lon", lon)):
            if as_text(value):
                coordinates[key], hints[f"coordinates.{key}"] = coordinate(value)
            else:
                hints[f"coordinates.{key}"] = _("Координаты нужны обе: широта и долгота.")
        item["coordinates"] = coordinates
    applicant: dict[str, Any] = {"name": row.text("applicant")}
    for key in ("email", "phone"):
        if row.text(key):
            applicant[key] = row.text(key)
    item["applicant"] = applicant
    _required(item, hints, ("id", "category.code", "text", "applicant.name"))
    return item, hints


POS = ImportSpec(
    channel=Channel.POS.value,
    columns=POS_COLUMNS,
    required=(
        ("id",),
        ("created_at",),
        ("category", "category_code"),
        ("fast_track",),
        ("text",),
        ("applicant",),
    ),
    paths={
        "id": ("id",),
        "created_at": ("created_at",),
        "category": ("category_code", "category"),
        "category.code": ("category_code", "category"),
        "category.name": ("category",),
        "subcategory": ("subcategory_code", "subcategory"),
        "subcategory.code": ("subcategory_code", "subcategory"),
        "subcategory.name": ("subcategory",),
        "fast_track": ("fast_track",),
        "text": ("text",),
        "address": ("address",),
        "coordinates": ("lat", "lon"),
        "coordinates.lat": ("lat",),
        "coordinates.lon": ("lon",),
        "applicant": ("applicant",),
        "applicant.name": ("applicant",),
        "applicant.email": ("email",),
        "applicant.phone": ("phone",),
    },
    build=_pos_item,
)

# --- ИМ ------------------------------------------------------------------------------------

IM_COLUMNS = (
    Column("id", "ID", ("Номер", "Идентификатор", "ID сообщения", "Номер сообщения")),
    Column("network", "Соцсеть", ("Социальная сеть", "Сеть", "Площадка", "Источник")),
    Column("url", "Ссылка", ("Ссылка на сообщение", "Ссылка на публикацию", "URL")),
    Column("author", "Автор", ("Имя автора", "Автор сообщения")),
    Column("profile_url", "Ссылка на автора", ("Ссылка на профиль", "Профиль автора")),
    Column("text", "Текст", ("Текст сообщения", "Текст публикации", "Сообщение")),
    Column(
        "published_at",
        "Дата публикации",
        ("Дата и время публикации", "Опубликовано", "Дата создания", "Дата"),
    ),
    Column("address", "Адрес", ()),
    Column("topic", "Тема", ("Рубрика", "Категория")),
)


def _im_item(row: Row, tz: ZoneInfo) -> tuple[dict[str, Any], Hints]:
    hints: Hints = {}
    network = row.text("network")
    item: dict[str, Any] = {
        "id": row.text("id"),
        "network": NETWORKS.get(header_key(network), network.casefold()),
        "url": row.text("url"),
        "author": {"name": row.text("author"), "profile_url": row.text("profile_url")},
        "text": row.text("text"),
    }
    item["published_at"], hints["published_at"] = moment(row.raw("published_at"), tz)
    for key in ("address", "topic"):
        if row.text(key):
            item[key] = row.text(key)
    _required(item, hints, ("id", "network", "url", "author.name", "author.profile_url", "text"))
    return item, hints


IM = ImportSpec(
    channel=Channel.IM.value,
    columns=IM_COLUMNS,
    required=(
        ("id",),
        ("network",),
        ("url",),
        ("author",),
        ("profile_url",),
        ("text",),
        ("published_at",),
    ),
    paths={
        "id": ("id",),
        "network": ("network",),
        "url": ("url",),
        "author": ("author",),
        "author.name": ("author",),
        "author.profile_url": ("profile_url",),
        "text": ("text",),
        "published_at": ("published_at",),
        "address": ("address",),
        "topic": ("topic",),
    },
    build=_im_item,
)

SPECS: dict[str, ImportSpec] = {spec.channel: spec for spec in (POS, IM)}


def import_channels() -> list[str]:
    """Channels whose exports can be imported: a column map here and an adapter registered."""
    return [channel for channel in SPECS if adapter_for(channel) is not None]


def import_channels_for(caps: ActorCapabilities) -> list[str]:
    """What a user may import: a channel's operator (or the head) registers the channel's
    messages; the technical administrator manages the inbox of every channel
    (Ловозерский §3.5)."""
    return [
        channel
        for channel in import_channels()
        if caps.can(Capability.INBOX_MANAGE)
        or caps.can_on(Capability.INCIDENT_REGISTER, sector_id=None, channel=channel)
    ]


# --- reading a file ------------------------------------------------------------------------


@dataclass
class Table:
    """The data rows of a file after its header: ``(row number as Excel shows it, values)``."""

    rows: Iterator[tuple[int, Sequence[Any]]]
    header_row: int
    positions: dict[str, int]  # column key → position in the row
    titles: dict[str, str]  # column key → the header as written in the file
    close: Callable[[], None] = lambda: None

    def column_for(self, spec: ImportSpec, path: str) -> str:
        keys = spec.paths.get(path, ())
        for key in keys:
            if key in self.titles:
                return self.titles[key]
        if keys:
            return spec.title(keys[0])
        return "" if path == "non_field_errors" else path

    def position_for(self, spec: ImportSpec, path: str) -> int:
        for key in spec.paths.get(path, ()):
            if key in self.positions:
                return self.positions[key]
        return len(self.positions)


def open_table(spec: ImportSpec, file_name: str, data: bytes) -> Table:
    """Detect the format and the header row, or say in Russian why the file cannot be read."""
    suffix = PurePath(file_name).suffix.casefold()
    if not data.strip():
        raise FileUnreadable(_("Файл пуст."))
    if data.startswith(OLE_MAGIC) or suffix == ".xls":
        raise FileUnreadable(
            _("Формат .xls (Excel 97–2003) не поддерживается: сохраните файл как .xlsx или CSV.")
        )
    if data.startswith(ZIP_MAGIC):
        return _xlsx_table(spec, data)
    if suffix in (".xlsx", ".xlsm"):
        raise FileUnreadable(
            _("Файл с расширением {suffix} — не книга Excel.").format(suffix=suffix)
        )
    return _csv_table(spec, data)


def _xlsx_table(spec: ImportSpec, data: bytes) -> Table:
    _check_unpacked(data)
    try:
        # calamine (Rust) reads a sheet's values — those a formula last computed, not the
        # formula — at about twice the speed of an expat parse in Python (bench/import.py).
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as error:  # untrusted input: any parser failure is "unreadable"
        # calamine's reasons are technical and English («Cannot detect file format»).
        logger.info("import: workbook refused: %s", _describe(error))
        raise FileUnreadable(
            _("Не удалось открыть книгу Excel: {error}").format(
                error=_("файл повреждён или это не XLSX")
            )
        ) from None
    try:
        for name in book.sheet_names:
            try:
                sheet = book.get_sheet_by_name(name)
            except Exception as error:  # as above: a broken sheet is an unreadable file
                raise FileUnreadable(
                    _("Не удалось прочитать лист «{name}»: {error}").format(
                        name=name, error=_describe(error)
                    )
                ) from None
            table = _with_header(spec, _sheet_rows(sheet))
            if table is not None:
                table.close = book.close
                return table
    except FileUnreadable:
        book.close()
        raise
    book.close()
    raise FileUnreadable(_no_header(spec))


def _check_unpacked(data: bytes) -> None:
    """Refuse a workbook whose parts unpack to more than ``MCU_IMPORT_MAX_UNPACKED_BYTES``.

    calamine holds a whole sheet's cells in memory while it is read (about the size of its
    XML), and its zip reader inflates a part for as long as the compressed data goes on,
    whatever size the archive declares. So each part is inflated here first, counting, with
    the declared size not trusted either: a zip bomb costs a pass of zlib (~0.3 s per 100 MB),
    never the worker's memory. A file that is not a zip is left to calamine to refuse.
    """
    limit = settings.MCU_IMPORT_MAX_UNPACKED_BYTES
    total = 0
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    with archive:
        for info in archive.infolist():
            total += _unpacked_size(data, info, limit - total)
            if total > limit:
                raise FileUnreadable(
                    _(
                        "Книга Excel слишком велика: в распакованном виде больше {limit} МБ. "
                        "Разделите выгрузку на несколько файлов."
                    ).format(limit=limit // (1024 * 1024))
                )


_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # a zip member's local file header
_INFLATE_CHUNK = 1 << 20  # bytes of a zip member inflated at a time


def _unpacked_size(data: bytes, info: zipfile.ZipInfo, budget: int) -> int:
    """A member's real unpacked size, or a number over ``budget`` once it exceeds it."""
    if info.compress_type == zipfile.ZIP_STORED:
        return info.compress_size
    if info.compress_type != zipfile.ZIP_DEFLATED:
        return info.file_size  # calamine reads neither: it will refuse the file
    try:
        header = _LOCAL_HEADER.unpack_from(data, info.header_offset)
    except struct.error:
        return 0  # a broken archive: calamine refuses it
    if header[0] != ZIP_MAGIC:
        return 0
    start = info.header_offset + _LOCAL_HEADER.size + header[9] + header[10]
    compressed = memoryview(data)[start : start + info.compress_size]
    inflate = zlib.decompressobj(-zlib.MAX_WBITS)
    size = 0
    for offset in range(0, len(compressed), _INFLATE_CHUNK):
        pending: bytes | memoryview = compressed[offset : offset + _INFLATE_CHUNK]
        while not inflate.eof:
            # Output bounded per call: a bomb never has more than a chunk inflated at once.
            try:
                out = inflate.decompress(pending, _INFLATE_CHUNK)
            except zlib.error:
                return size  # broken data: calamine refuses the file
            size += len(out)
            if size > budget:
                return size
            pending = inflate.unconsumed_tail
            if not pending and len(out) < _INFLATE_CHUNK:
                break  # this input is used up and nothing of it is held back
    return size


def _sheet_rows(sheet: CalamineSheet) -> Iterator[tuple[int, Sequence[Any]]]:
    """A sheet's rows numbered as Excel shows them. Values as calamine gives them: an empty
    cell ``""``, a number ``float``, a date cell ``datetime`` — or ``date`` when it holds a
    whole day (see ``moment``)."""
    if sheet.start is None:  # an empty sheet
        return
    # python-calamine's iter_rows begins at row 1 whatever the first row holding a value (it
    # leaves out empty leading columns, not rows); the row-number test holds it to that.
    yield from enumerate(sheet.iter_rows(), start=1)


def _csv_table(spec: ImportSpec, data: bytes) -> Table:
    text = _decode(data).replace("\x00", "")
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    candidates = list(CSV_DELIMITERS)
    try:
        sniffed = csv.Sniffer().sniff(text[:65536], delimiters="".join(CSV_DELIMITERS))
        candidates.remove(sniffed.delimiter)
        candidates.insert(0, sniffed.delimiter)
    except csv.Error:
        pass  # no consistent delimiter in the sample: the header decides below
    # The delimiter whose header row names the most of the channel's columns.
    best: Table | None = None
    refusal: FileUnreadable | None = None
    for delimiter in candidates:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            table = _with_header(spec, _guarded(enumerate(reader, start=1)))
        except FileUnreadable as error:
            refusal = refusal or error
            continue
        if table is not None and (best is None or len(table.positions) > len(best.positions)):
            best = table
    if best is not None:
        return best
    raise refusal or FileUnreadable(_no_header(spec))


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM («Юникод-текст» of Excel), else Windows-1251
    — decoded strictly, so a wrong guess fails instead of turning into mojibake."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileUnreadable(
        _("Не удалось прочитать файл: это не XLSX и не CSV в кодировке UTF-8 или Windows-1251.")
    )


def _guarded(
    rows: Iterator[tuple[int, Sequence[Any]]],
) -> Iterator[tuple[int, Sequence[Any]]]:
    """A CSV that breaks part-way (a broken quote, a field over the limit) says where it broke
    (an XLSX sheet is read whole by calamine first: a broken one is refused before any row)."""
    number = 0
    while True:
        try:
            number, values = next(rows)
        except StopIteration:
            return
        except FileUnreadable:
            raise
        except Exception as error:  # untrusted input: any parser failure is "unreadable"
            raise FileUnreadable(
                _("Файл повреждён после строки {row}: {error}").format(
                    row=number, error=_describe(error)
                )
            ) from None
        yield number, values


def _with_header(spec: ImportSpec, rows: Iterator[tuple[int, Sequence[Any]]]) -> Table | None:
    """The header is the first of the top rows naming at least two of the channel's columns."""
    lookup = spec.lookup()
    for number, values in rows:
        if number > HEADER_SEARCH_ROWS:
            return None
        positions: dict[str, int] = {}
        titles: dict[str, str] = {}
        for position, value in enumerate(values):
            title = as_text(value)
            key = lookup.get(header_key(title)) if title else None
            if key is not None and key not in positions:  # a repeated column: the first wins
                positions[key] = position
                titles[key] = title
        if len(positions) < 2:
            continue
        missing = [group for group in spec.required if not any(k in positions for k in group)]
        if missing:
            names = ", ".join(f"«{spec.title(group[0])}»" for group in missing)
            raise FileUnreadable(
                _("В строке заголовков (строка {row}) нет обязательных колонок: {names}.").format(
                    row=number, names=names
                )
            )
        return Table(rows=rows, header_row=number, positions=positions, titles=titles)
    return None


def _no_header(spec: ImportSpec) -> str:
    names = ", ".join(f"«{spec.title(group[0])}»" for group in spec.required)
    return _(
        "Не найдена строка заголовков в первых {count} строках. Ожидаются колонки выгрузки: "
        "{names}."
    ).format(count=HEADER_SEARCH_ROWS, names=names)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:300]


# --- the import ----------------------------------------------------------------------------


def _blank(values: Sequence[Any]) -> bool:
    return all(value is None or (isinstance(value, str) and not clean(value)) for value in values)


def import_file(
    *,
    municipality: Municipality,
    channel: str,
    file_name: str,
    data: bytes,
    actor: User | None = None,
) -> ImportBatch:
    """Import one export file into the inbox now; its rows become incidents after commit, by
    task.

    Returns the batch: DONE with its counts and every bad row (row, column, reason), or FAILED
    with ``error`` when the file cannot be read (nothing stored then, unless it broke part-way:
    the rows before the break stay, and importing the fixed file again skips them).
    Not to be called inside a transaction: each chunk of rows commits on its own.
    """
    spec = _spec(channel)
    with municipality_scope(municipality.pk):
        batch = _new_batch(
            municipality, spec, file_name, data, actor, state=ImportBatch.State.RUNNING
        )
        return _run(batch, spec, data)


def import_file_enqueue(
    *,
    municipality: Municipality,
    channel: str,
    file_name: str,
    data: bytes,
    actor: User | None = None,
) -> ImportBatch:
    """Store the file and hand the import to the worker: a 100 000-row export takes longer
    than a web request may (gunicorn's 30 s). The batch page shows its progress — rows read,
    imported, duplicates — as each chunk commits."""
    spec = _spec(channel)
    with municipality_scope(municipality.pk), transaction.atomic():
        batch = _new_batch(
            municipality, spec, file_name, data, actor, state=ImportBatch.State.PENDING
        )
        municipality_id, batch_id = municipality.pk, batch.pk

        def enqueue() -> None:
            from integrations.tasks import import_batch_task

            import_batch_task.delay(municipality_id=municipality_id, batch_id=batch_id)

        transaction.on_commit(enqueue)
    return batch


def import_batch_run(*, municipality_id: int, batch_id: int) -> ImportBatch | None:
    """The worker's side of ``import_file_enqueue``. Idempotent: a finished batch is left as
    it is, and so is a batch another worker is importing (its heartbeat is fresh); a batch a
    killed worker left running starts over — its stored rows come back as its own (counted
    imported, not duplicates) and its refused rows are reported afresh."""
    with municipality_scope(municipality_id):
        with transaction.atomic():
            # Claimed under the row lock: two deliveries of the task (the sweeper's and a late
            # original) must not both import the file.
            batch = (
                ImportBatch.objects.select_for_update()
                .filter(municipality_id=municipality_id, pk=batch_id)
                .first()
            )
            if batch is None or batch.state in (ImportBatch.State.DONE, ImportBatch.State.FAILED):
                return batch
            now = timezone.now()
            resumed = batch.state == ImportBatch.State.RUNNING
            if resumed and batch.heartbeat_at and batch.heartbeat_at > now - IMPORT_STALE_AFTER:
                return batch  # alive elsewhere
            spec = _spec(batch.channel)
            if resumed:
                InboundMessage.objects.filter(
                    municipality_id=municipality_id, import_batch=batch, external_id=""
                ).delete()
            batch.state = ImportBatch.State.RUNNING
            batch.total_rows = batch.imported = batch.duplicates = 0
            batch.heartbeat_at = now
            batch.save(
                update_fields=["state", "total_rows", "imported", "duplicates", "heartbeat_at"]
            )
        try:
            with batch.file.open("rb") as handle:
                data = handle.read()
        except OSError as error:
            return _finish(
                batch, [], error=_("Файл загрузки не найден: {error}").format(error=error)
            )
        return _run(batch, spec, data, resumed=resumed)


def import_batches_stale(*, now: datetime | None = None) -> list[tuple[int, int]]:
    """(municipality id, batch id) of the background imports no worker is finishing: still
    pending a while after the upload (the broker was down when it was queued) or running
    without a recent heartbeat (the worker was killed)."""
    now = now or timezone.now()
    cutoff = now - IMPORT_STALE_AFTER
    with dangerously_unscoped(reason="import sweeper: unfinished batches of every municipality"):
        return list(
            ImportBatch.objects.filter(
                Q(state=ImportBatch.State.PENDING, created_at__lt=cutoff)
                | Q(state=ImportBatch.State.RUNNING, heartbeat_at__lt=cutoff)
                | Q(state=ImportBatch.State.RUNNING, heartbeat_at__isnull=True)
            )
            .order_by("created_at")
            .values_list("municipality_id", "pk")
        )


def import_batches_requeue_stale(*, now: datetime | None = None) -> int:
    """Hand the stale imports (``import_batches_stale``) to the worker again; beat runs it with
    the inbox sweeper, every minute. ``import_batch_run`` claims a batch under its row lock,
    so a late original task and the sweeper's copy never both import it."""
    from integrations.tasks import import_batch_task

    stale = import_batches_stale(now=now)
    for municipality_id, batch_id in stale:
        try:
            import_batch_task.delay(municipality_id=municipality_id, batch_id=batch_id)
        except Exception:  # any broker failure: the next minute's sweep is the retry
            logger.warning("broker unavailable: import batch %s left for the next sweep", batch_id)
            break
    return len(stale)


def _spec(channel: str) -> ImportSpec:
    spec = SPECS.get(channel)
    if spec is None or adapter_for(channel) is None:
        raise InvalidInput(_("Файлы этого канала не загружаются."), field="channel")
    return spec


def _new_batch(
    municipality: Municipality,
    spec: ImportSpec,
    file_name: str,
    data: bytes,
    actor: User | None,
    *,
    state: str,
) -> ImportBatch:
    if actor is not None and spec.channel not in import_channels_for(
        actor_capabilities(user=actor, municipality=municipality)
    ):
        raise ActorLacksCapability(
            _("Ваша роль в МЦУ не позволяет загружать сообщения этого канала.")
        )
    digest = hashlib.sha256(data).hexdigest()
    batch = ImportBatch(
        municipality=municipality,
        channel=spec.channel,
        file_name=file_name[:300],
        sha256=digest,
        state=state,
        created_by=actor,
    )
    # Stored under its checksum: the user's file name stays in ``file_name`` only.
    suffix = PurePath(file_name).suffix.casefold()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""
    batch.file.save(f"{digest[:16]}{suffix}", ContentFile(data), save=False)
    batch.save()
    return batch


def _run(
    batch: ImportBatch, spec: ImportSpec, data: bytes, *, resumed: bool = False
) -> ImportBatch:
    try:
        table = open_table(spec, batch.file_name, data)
    except FileUnreadable as error:
        return _finish(batch, [], error=error.message)
    errors: list[dict[str, Any]] = []
    try:
        _load(batch, spec, table, batch.municipality, errors, resumed=resumed)
    except FileUnreadable as error:
        return _finish(batch, errors, error=error.message)
    except BaseException:
        _finish(batch, errors, error=_("Внутренняя ошибка при загрузке; сообщите администратору."))
        raise
    finally:
        table.close()
    return _finish(batch, errors)


def _load(
    batch: ImportBatch,
    spec: ImportSpec,
    table: Table,
    municipality: Municipality,
    errors: list[dict[str, Any]],
    *,
    resumed: bool = False,
) -> None:
    tz = municipality.tz
    pending: list[tuple[int, dict[str, Any], Hints]] = []
    try:
        for number, values in table.rows:
            if _blank(values):
                continue
            item, hints = spec.build(Row(values, table.positions), tz)
            pending.append((number, item, hints))
            if len(pending) >= CHUNK:
                _store(batch, spec, table, municipality, pending, errors, resumed=resumed)
                pending = []
    except FileUnreadable:
        # A CSV broken part-way: every whole row before the break is kept, so the report's
        # "after row N" is true and importing the fixed file adds only the rest.
        if pending:
            _store(batch, spec, table, municipality, pending, errors, resumed=resumed)
        raise
    if pending:
        _store(batch, spec, table, municipality, pending, errors, resumed=resumed)


def _store(
    batch: ImportBatch,
    spec: ImportSpec,
    table: Table,
    municipality: Municipality,
    pending: list[tuple[int, dict[str, Any], Hints]],
    errors: list[dict[str, Any]],
    *,
    resumed: bool = False,
) -> None:
    with transaction.atomic():
        results = inbox_accept(
            municipality=municipality,
            channel=spec.channel,
            items=[item for _number, item, _hints in pending],
            headers={},
            received_at=timezone.now(),
            source=InboundMessage.Source.IMPORT,
            import_batch_id=batch.pk,
            plain_items=True,  # the translation above writes strings and booleans only
        )
        ours = _stored_by(batch, results) if resumed else set()
        for result in results:
            number, _item, hints = pending[result.index]
            if result.status == "accepted" or result.external_id in ours:
                batch.imported += 1
            elif result.status == "duplicate":
                batch.duplicates += 1
            else:
                errors.extend(
                    {
                        "row": number,
                        "column": table.column_for(spec, path),
                        "reason": hints.get(path) or " ".join(messages),
                    }
                    for path, messages in sorted(
                        result.errors.items(), key=lambda pair: table.position_for(spec, pair[0])
                    )
                )
        batch.total_rows += len(pending)
        batch.heartbeat_at = timezone.now()
        batch.save(update_fields=["total_rows", "imported", "duplicates", "heartbeat_at"])


def _stored_by(batch: ImportBatch, results: Sequence[ItemResult]) -> set[str]:
    """Of the rows reported duplicate, those this very batch stored (before a restart)."""
    duplicates = [r.external_id for r in results if r.status == "duplicate"]
    if not duplicates:
        return set()
    stored = inbox_stored(
        municipality_id=batch.municipality_id,
        channel=batch.channel,
        external_ids=duplicates,
        columns=("external_id",),
        import_batch_id=batch.pk,
    )
    return {external_id for (external_id,) in stored}


def _finish(batch: ImportBatch, errors: list[dict[str, Any]], *, error: str = "") -> ImportBatch:
    batch.state = ImportBatch.State.FAILED if error else ImportBatch.State.DONE
    batch.error = error
    batch.errors = errors
    batch.finished_at = timezone.now()
    batch.save(update_fields=["state", "error", "errors", "finished_at"])
    return batch


def import_rows_invalid(batch: ImportBatch) -> int:
    """Rows the adapter refused (each has one or more entries in ``batch.errors``)."""
    return batch.total_rows - batch.imported - batch.duplicates


# --- processing in-process (the command's --process, the bench) -----------------------------


@dataclass
class ProcessSummary:
    processed: int = 0  # new incidents
    duplicates: int = 0  # the incident already existed (e.g. came by webhook)
    failed: int = 0
    pending: int = 0  # still with the worker
    failures: list[tuple[str, str]] = field(default_factory=list)  # (external id, error)


def import_batch_process(*, batch: ImportBatch, chunk: int = PROCESS_CHUNK) -> ProcessSummary:
    """Turn the batch's pending inbox rows into incidents now, in this process — what the
    worker would do after commit. A worker that picks the same rows meanwhile is harmless:
    ``inbound_process`` skips rows another holds and rows already done."""
    with municipality_scope(batch.municipality_id):
        rows = InboundMessage.objects.filter(import_batch=batch).exclude(external_id="")
        ids = list(
            rows.filter(state=InboundMessage.State.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for start in range(0, len(ids), chunk):
            inbound_process(
                municipality_id=batch.municipality_id, inbound_ids=ids[start : start + chunk]
            )
        summary = ProcessSummary()
        for state, count in _state_counts(rows).items():
            if state == InboundMessage.State.PROCESSED:
                summary.processed = count
            elif state == InboundMessage.State.DUPLICATE:
                summary.duplicates = count
            elif state == InboundMessage.State.FAILED:
                summary.failed = count
            else:
                summary.pending = count
        summary.failures = list(
            rows.filter(state=InboundMessage.State.FAILED)
            .order_by("pk")
            .values_list("external_id", "error")[:100]
        )
        return summary


def _state_counts(rows: QuerySet[InboundMessage]) -> dict[str, int]:
    return dict(rows.values_list("state").annotate(count=Count("pk")).order_by())
