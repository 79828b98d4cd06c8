"""Masking of citizens' personal data for tokens without the grant (and always for Open311).

Personal data here (152-ФЗ «О персональных данных»): the applicant's name, contacts (e-mail,
phone, profile link, postal address) and the exact address of the problem — a house number
often is the applicant's home. Without the grant the API keeps what the ЦУР needs for figures
and maps — the settlement and street, coordinates to ~100 m — and drops the rest:

- ``citizen``: every non-empty value becomes ``"***"`` (so "there was an e-mail" is still
  visible) and ``masked`` is true;
- ``address``: house, building and flat numbers are cut off («пгт. Октябрьское, ул. Ленина, 5»
  → «пгт. Октябрьское, ул. Ленина»);
- ``coordinates``: rounded to 3 decimals (about 110 m of latitude);
- ``text``: e-mail addresses, phone numbers and the applicant's own name (where the message
  repeats it verbatim) are replaced by «[скрыто]». Other names in a free text cannot be found
  reliably; the grant exists for the systems that may see them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

HIDDEN = "[скрыто]"
MASK = "***"
COORDINATE_DECIMALS = 3

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Russian phone numbers as people type them: +7 (914) 123-45-67, 8 914 1234567, 89141234567…
_PHONE = re.compile(r"(?<!\d)(?:\+7|8)[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}(?!\d)")
# A part of an address that names a house, building or flat rather than a street.
_HOUSE_PART = re.compile(
    r"^(?:д|дом|кв|квартира|корп|корпус|к|стр|строение|лит|литера|офис|оф|пом|помещение)\b\.?"
    r"|^№?\s*\d+[\w/-]*$",
    re.IGNORECASE,
)
# The first characters a house part can start with (the pattern above, case-insensitive): a
# part starting otherwise («ул. Ленина», «г. Ленск») is a street or a place without running the
# pattern, which was a quarter of a 1 000-row sync page's time (bench/api.py).
_HOUSE_PART_STARTS = frozenset("дкслопДКСЛОП№")
_TRAILING_NUMBER = re.compile(r"[\s,]+(?:д\.?\s*)?№?\s*\d+[\w/-]*$", re.IGNORECASE)
CITIZEN_KEYS = ("name", "email", "phone", "profile_url", "postal_address")


def coarse_address(address: str) -> str:
    """The address down to its street: parts naming a house, building or flat are dropped."""
    kept: list[str] = []
    for part in (p.strip() for p in address.split(",")):
        if not part:
            continue
        starts = part[0] in _HOUSE_PART_STARTS or part[0].isdecimal()  # \d is any Nd digit
        if starts and _HOUSE_PART.match(part):
            break  # everything after the house number is more exact still (flat, entrance)
        kept.append(_TRAILING_NUMBER.sub("", part).strip())
    return ", ".join(p for p in kept if p)


def scrub_text(text: str, *, citizen_name: str = "") -> str:
    # The `in` tests run at C speed and spare most texts the regular expressions, which were
    # most of a 1 000-row sync page's cost (bench/api.py): the e-mail pattern backtracks over
    # every word of a text that has no "@" at all.
    if "@" in text:
        text = _EMAIL.sub(HIDDEN, text)
    if "8" in text or "+7" in text:
        text = _PHONE.sub(HIDDEN, text)
    name = citizen_name.strip()
    if len(name) >= 3 and name.casefold() in text.casefold():
        text = re.sub(re.escape(name), HIDDEN, text, flags=re.IGNORECASE)
    return text


def round_coordinate(value: Decimal | float | None, *, exact: bool) -> float | None:
    if value is None:
        return None
    return float(value) if exact else round(float(value), COORDINATE_DECIMALS)


def citizen(row: dict[str, Any], *, exact: bool) -> dict[str, Any]:
    values = {key: row[f"citizen_{key}"] or "" for key in CITIZEN_KEYS}
    if exact:
        return {**values, "masked": False}
    return {**{key: MASK if value else "" for key, value in values.items()}, "masked": True}
