"""Masking of a citizen's personal data in an incident's text and address, for readers without
the personal-data grant (the ЦУР API without ``--personal-data``, Open311; the full rules are in
``api.privacy``).

Masking a 1 000-row sync page cost ~10 ms of its ~45 ms in the server (bench/api.py), so an
incident stores its masked text and address from the moment it is made (``masked_columns``,
called by the intake's one builder) and readers take them from the row. A row that has none
(``NULL``: written before migration ``incidents/0010``, or by a path that does not fill them)
is masked when read (``public_text``, ``public_address``): a missing stored form costs time,
never privacy. When the rules below change, a data migration must refill the stored forms
(``masked_columns`` over every row, as ``0010`` does), or set them to ``NULL``.
"""

from __future__ import annotations

import re

HIDDEN = "[скрыто]"
# Stored in ``masked_text`` when masking changes nothing (most texts): the reader then takes
# ``text`` itself, and the row does not carry its text twice.
SAME_AS_TEXT = ""

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
    """E-mail addresses, phone numbers and the applicant's own name replaced by «[скрыто]»."""
    # The `in` tests run at C speed and spare most texts the regular expressions: the e-mail
    # pattern backtracks over every word of a text that has no "@" at all.
    if "@" in text:
        text = _EMAIL.sub(HIDDEN, text)
    if "8" in text or "+7" in text:
        text = _PHONE.sub(HIDDEN, text)
    name = citizen_name.strip()
    if len(name) >= 3 and name.casefold() in text.casefold():
        text = re.sub(re.escape(name), HIDDEN, text, flags=re.IGNORECASE)
    return text


def masked_columns(*, text: str, citizen_name: str, address: str) -> dict[str, str]:
    """The stored masked forms of an incident about to be written: ``masked_text`` (or
    ``SAME_AS_TEXT``) and ``masked_address``."""
    scrubbed = scrub_text(text, citizen_name=citizen_name)
    return {
        "masked_text": SAME_AS_TEXT if scrubbed == text else scrubbed,
        "masked_address": coarse_address(address),
    }


def public_text(*, text: str | None, masked_text: str | None, citizen_name: str) -> str:
    """The masked text of an incident from its columns. ``text`` may be ``None`` where the
    stored masked text makes it unnecessary (a sync page selects it only when needed:
    ``api.presenters``)."""
    if masked_text is None:
        assert text is not None  # selected whenever nothing is stored
        return scrub_text(text, citizen_name=citizen_name)
    if masked_text == SAME_AS_TEXT:
        assert text is not None  # selected whenever the masked text is the text
        return text
    return masked_text


def public_address(*, address: str | None, masked_address: str | None) -> str:
    """The masked address of an incident from its columns (``address`` as for the text)."""
    if masked_address is None:
        assert address is not None
        return coarse_address(address)
    return masked_address
