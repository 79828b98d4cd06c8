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

from incidents.masking import public_address, public_text, scrub_text

__all__ = ["MASK", "citizen", "public_address", "public_text", "round_coordinate", "scrub_text"]

MASK = "***"
COORDINATE_DECIMALS = 3


def round_coordinate(value: Decimal | float | None, *, exact: bool) -> float | None:
    if value is None:
        return None
    return float(value) if exact else round(float(value), COORDINATE_DECIMALS)


def citizen(
    name: str, email: str, phone: str, profile_url: str, postal_address: str, *, exact: bool
) -> dict[str, Any]:
    # Spelled out rather than looped over the keys: a sync page builds a thousand of these,
    # and the loops and merges were ~1 ms of it (bench/api.py).
    if exact:
        return {
            "name": name or "",
            "email": email or "",
            "phone": phone or "",
            "profile_url": profile_url or "",
            "postal_address": postal_address or "",
            "masked": False,
        }
    return {
        "name": MASK if name else "",
        "email": MASK if email else "",
        "phone": MASK if phone else "",
        "profile_url": MASK if profile_url else "",
        "postal_address": MASK if postal_address else "",
        "masked": True,
    }
