"""Each municipality's local time of one fixed UTC instant (store UTC, show local)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mcu.models import Municipality

INSTANT = datetime(2026, 11, 22, 20, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("slug", "timezone", "local"),
    [
        ("lensky", "Asia/Yakutsk", "2026-11-23 05:30 +0900"),
        ("askiz", "Asia/Krasnoyarsk", "2026-11-23 03:30 +0700"),
        ("sosnovoborsk", "Asia/Krasnoyarsk", "2026-11-23 03:30 +0700"),
        ("lovozero", "Europe/Moscow", "2026-11-22 23:30 +0300"),
        ("oktyabrsky", "Asia/Yekaterinburg", "2026-11-23 01:30 +0500"),
    ],
)
def test_local_time_of_a_fixed_instant(seeded, slug, timezone, local):
    municipality = Municipality.objects.get(slug=slug)
    assert municipality.timezone == timezone
    assert municipality.local_time(INSTANT).strftime("%Y-%m-%d %H:%M %z") == local


def test_home_page_shows_local_time_and_zone(seeded, make_user, login, time_machine):
    time_machine.move_to(INSTANT, tick=False)
    lensky = Municipality.objects.get(slug="lensky")
    response = login(make_user("head", lensky)).get("/m/lensky/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Asia/Yakutsk" in body
    assert "23.11.2026 05:30" in body  # the header clock, local time
    assert "05:30" in body
    assert "+0900" in body
