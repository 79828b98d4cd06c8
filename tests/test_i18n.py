"""The English interface: Russian msgids, an English catalog, and the header's language switch.

Russian is the default and needs no catalog (the msgids are Russian). English is chosen either by
the browser (``Accept-Language``) or by the switch in the header (``/i18n/setlang/``, a cookie).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from roles.models import Role

CATALOG = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOG.with_suffix(".mo")

LOGIN_RU = ("Вход в MCU Desk", "Имя пользователя", "Пароль", "Войти")
LOGIN_EN = ("Log in to MCU Desk", "Username", "Password", "Log in")
ROSTER_RU = ("<h1>Состав МЦУ</h1>", "История изменений", "Роль в МЦУ", "Руководитель МЦУ")
ROSTER_EN = ("<h1>MCU roster</h1>", "Change history", "MCU role", "MCU head")


@pytest.fixture(autouse=True)
def _back_to_default_language() -> Iterator[None]:
    # LocaleMiddleware activates the request's language on the test thread; don't leak it.
    yield
    translation.deactivate()


def _roster_url(slug: str) -> str:
    return reverse("roster", kwargs={"municipality_slug": slug})


def _assert_all_in(body: str, texts: tuple[str, ...]) -> None:
    for text in texts:
        assert text in body, text


def _assert_none_in(body: str, texts: tuple[str, ...]) -> None:
    for text in texts:
        assert text not in body, text


# --- Russian by default ---------------------------------------------------------------------


def test_login_page_is_russian_by_default(db, client):
    body = client.get(reverse("login")).content.decode()
    assert '<html lang="ru">' in body
    _assert_all_in(body, LOGIN_RU)
    _assert_none_in(body, ("Log in to MCU Desk", "Skip to content"))


def test_roster_is_russian_by_default(municipality, make_user, login):
    client = login(make_user(Role.HEAD, municipality))
    response = client.get(_roster_url(municipality.slug))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="ru">' in body
    _assert_all_in(body, ROSTER_RU)
    _assert_none_in(body, ROSTER_EN)


# --- English from the browser ---------------------------------------------------------------


def test_login_page_in_english_from_accept_language(db, client):
    body = client.get(reverse("login"), headers={"accept-language": "en"}).content.decode()
    assert '<html lang="en">' in body
    _assert_all_in(body, LOGIN_EN)
    _assert_none_in(body, LOGIN_RU)


def test_roster_in_english_from_accept_language(municipality, make_user, login):
    client = login(make_user(Role.HEAD, municipality))
    response = client.get(_roster_url(municipality.slug), headers={"accept-language": "en-GB,en"})
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="en">' in body
    _assert_all_in(body, ROSTER_EN)
    _assert_none_in(body, ROSTER_RU)


# --- English from the switch in the header --------------------------------------------------


def test_switch_to_english_and_back(municipality, make_user, login):
    client = login(make_user(Role.HEAD, municipality))
    roster = _roster_url(municipality.slug)

    response = client.post(reverse("set_language"), {"language": "en", "next": roster})
    assert response.status_code == 302
    assert response["Location"] == roster
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    body = client.get(roster).content.decode()
    _assert_all_in(body, ROSTER_EN)
    _assert_none_in(body, ROSTER_RU)

    client.post(reverse("set_language"), {"language": "ru", "next": roster})
    body = client.get(roster).content.decode()
    _assert_all_in(body, ROSTER_RU)
    _assert_none_in(body, ROSTER_EN)


def test_anonymous_login_page_after_switch_to_english(db, client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("login")}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("login")
    body = response.content.decode()
    _assert_all_in(body, LOGIN_EN)
    _assert_none_in(body, LOGIN_RU)


def test_switch_outranks_the_browser(db, client):
    client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    body = client.get(reverse("login"), headers={"accept-language": "en"}).content.decode()
    _assert_all_in(body, LOGIN_RU)


def test_django_own_messages_follow_the_language(seeded, client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.post(reverse("login"), {"username": "nobody", "password": "nope"})
    assert "Please enter a correct username and password" in response.content.decode()


def test_header_has_a_no_script_language_switch(municipality, make_user, login):
    client = login(make_user(Role.HEAD, municipality))
    roster = _roster_url(municipality.slug)
    body = client.get(f"{roster}?x=1").content.decode()
    form = re.search(
        r'<form method="post" action="/i18n/setlang/".*?</form>', body, flags=re.DOTALL
    )
    assert form, "language switch missing from the header"
    html = form.group(0)
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'<input type="hidden" name="next" value="{roster}?x=1">' in html
    assert re.search(r'<button type="submit" name="language" value="ru"[^>]*>.*Русский', html)
    assert re.search(r'<button type="submit" name="language" value="en"[^>]*>English', html)
    assert 'aria-current="true"' in html  # the current language is marked


# --- The catalog ----------------------------------------------------------------------------


def _catalog_entries() -> list[tuple[str, str, str]]:
    """(flags, msgid, msgstr) of every entry but the header, read straight from the .po file."""

    def unquote(lines: list[str]) -> str:
        parts = [re.fullmatch(r'(?:msgid |msgstr )?"(.*)"', line).group(1) for line in lines]  # type: ignore[union-attr]
        return "".join(parts).replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")

    entries = []
    for block in CATALOG.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#~")]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        starts = [i for i, line in enumerate(lines) if line.startswith(("msgid ", "msgstr "))]
        if len(starts) != 2:
            continue
        (i, j) = starts
        msgid, msgstr = unquote(lines[i:j]), unquote(lines[j:])
        if msgid:
            entries.append((flags, msgid, msgstr))
    return entries


def test_catalog_is_complete_and_compiled():
    entries = _catalog_entries()
    assert len(entries) > 100
    assert "fuzzy" not in CATALOG.read_text(encoding="utf-8")
    for _flags, msgid, msgstr in entries:
        assert msgstr, f"untranslated: {msgid}"
        assert re.findall(r"%\(\w+\)s", msgid) == re.findall(r"%\(\w+\)s", msgstr), msgid
    # The committed .mo matches the .po: every translation is what Django serves.
    assert COMPILED.stat().st_size > 0
    with translation.override("en"):
        stale = [m for _f, m, s in entries if translation.gettext(m) != s]
    assert not stale, f"django.mo is stale, run compilemessages: {stale[:5]}"
