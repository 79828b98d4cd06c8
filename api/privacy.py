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

The text and address rules live in ``incidents.masking``: an incident stores its masked text and
address when it is made, so a sync page does not mask a thousand texts per request.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from incidents.masking import (
    HIDDEN,
    coarse_address,
    public_address,
    public_text,
    scrub_text,
)

__all__ = [
    "HIDDEN",
    "MASK",
    "citizen",
    "coarse_address",
    "public_address",
    "public_text",
    "round_coordinate",
    "scrub_text",
]

MASK = "***"
COORDINATE_DECIMALS = 3
CITIZEN_KEYS = ("name", "email", "phone", "profile_url", "postal_address")


def round_coordinate(value: Decimal | float | None, *, exact: bool) -> float | None:
    if value is None:
        return None
    return float(value) if exact else round(float(value), COORDINATE_DECIMALS)


def citizen(row: dict[str, Any], *, exact: bool) -> dict[str, Any]:
    values = {key: row[f"citizen_{key}"] or "" for key in CITIZEN_KEYS}
    if exact:
        return {**values, "masked": False}
    return {**{key: MASK if value else "" for key, value in values.items()}, "masked": True}
