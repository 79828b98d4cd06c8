"""Strict parsing of query parameters: a wrong value is a 400 that names the parameter.

Django's and django-filter's stock fields are lenient where the API must not be: a
``NullBooleanField`` reads «maybe» as «no filter», an integer field passes 2^63 on to the
database (PostgreSQL: out of range → 500), and a naive datetime would be read in the server's
zone. These parsers refuse all of that with a message in Russian.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_VALUE_LENGTH = 1000
MAX_BIGINT = 2**63 - 1
# A "+05:00" typed into a URL unencoded arrives as " 05:00" ('+' is a space in a query string).
_SPACE_FOR_PLUS = re.compile(r" (\d{2}:?\d{2})$")
TRUE_VALUES = {"true", "1"}
FALSE_VALUES = {"false", "0"}


def parse_datetime(value: str) -> datetime:
    text = _SPACE_FOR_PLUS.sub(r"+\1", value.strip())
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            _("Ожидается дата и время ISO 8601 со смещением, например 2026-11-22T10:15:00+05:00.")
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(
            _("Укажите смещение часового пояса, например 2026-11-22T10:15:00+05:00 или …Z.")
        )
    if not 2000 <= moment.year <= 2100:
        raise ValidationError(_("Год должен быть между 2000 и 2100."))
    return moment


def parse_date(value: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(_("Ожидается дата ГГГГ-ММ-ДД, например 2026-11-16.")) from None
    if not 2000 <= day.year <= 2100:
        raise ValidationError(_("Год должен быть между 2000 и 2100."))
    return day


def parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in TRUE_VALUES:
        return True
    if lowered in FALSE_VALUES:
        return False
    raise ValidationError(_("Ожидается true или false."))


def parse_int(value: str, *, minimum: int, maximum: int) -> int:
    text = value.strip()
    if not re.fullmatch(r"[+-]?\d{1,25}", text):
        raise ValidationError(_("Ожидается целое число."))
    number = int(text)
    if not minimum <= number <= maximum:
        raise ValidationError(
            _("Ожидается целое число от %(min)s до %(max)s.") % {"min": minimum, "max": maximum}
        )
    return number
