"""The incident list page: who may open it, what a row shows, fixed query count, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from incidents.listing.tests.helpers import list_url, raw_incidents, topic
from incidents.models import Status
from incidents.tests.factories import make_incident, regional_analyst
from mcu.tenancy import municipality_scope
from roles.models import Role


def test_viewers_get_the_list_of_their_municipality(municipality, other_municipality, staff, login):
    own = make_incident(municipality, channel="pos", text="Яма у школы № 2")
    foreign = make_incident(other_municipality, channel="pos", text="Чужая яма на Лене")
    for user in (
        staff.head,
        staff.curator,
        staff.im_operator,
        staff.sector_owner,
        staff.sector_curator,
        staff.executor,
    ):
        response = login(user).get(list_url(municipality))
        assert response.status_code == 200, user.username
        assert "Яма у школы № 2" in response.content.decode()
        assert "Чужая яма" not in response.content.decode()
        assert f'value="{foreign.pk}:' not in response.content.decode()
    # Checkboxes only where the role may act on that incident: the operators route new ones.
    page = login(staff.im_operator).get(list_url(municipality)).content.decode()
    assert f'value="{own.pk}:{own.version}"' not in page  # a ПОС message: not the ИМ channel
    page = login(staff.head).get(list_url(municipality)).content.decode()
    assert f'value="{own.pk}:{own.version}"' in page
    page = login(staff.curator).get(list_url(municipality)).content.decode()
    assert 'name="incidents"' not in page  # the curator views, never routes


def test_regional_analyst_reads_the_list_but_may_not_export_or_act(municipality, login):
    make_incident(municipality, channel="pos", text="Текст для аналитика")
    client = login(regional_analyst(municipality))
    response = client.get(list_url(municipality))
    assert response.status_code == 200
    assert "Текст для аналитика" in response.content.decode()
    assert "Выгрузить в Excel" not in response.content.decode()
    assert 'id="id_action"' not in response.content.decode()
    assert client.get(list_url(municipality, "incident_export")).status_code == 403
    assert client.post(list_url(municipality, "incident_bulk")).status_code == 403


def test_a_member_without_incident_view_gets_403(municipality, staff, login):
    client = login(staff.tech_admin)  # Ловозерский §3.5: technical support, not messages
    assert client.get(list_url(municipality)).status_code == 403
    assert client.get(list_url(municipality, "incident_export")).status_code == 403
    assert client.post(list_url(municipality, "incident_bulk")).status_code == 403


@pytest.mark.parametrize("name", ["incident_list", "incident_export", "incident_bulk"])
def test_another_municipality_is_404(name, municipality, other_municipality, make_user, login):
    client = login(make_user(Role.HEAD, other_municipality))
    url = list_url(municipality, name)
    response = client.post(url) if name == "incident_bulk" else client.get(url)
    assert response.status_code == 404


def test_nav_link_follows_the_matrix(municipality, staff, login):
    url = list_url(municipality)
    assert (
        f'href="{url}"'
        in login(staff.head).get(reverse("roster", args=[municipality.slug])).content.decode()
    )
    roster = login(staff.tech_admin).get(reverse("roster", args=[municipality.slug]))
    assert f'href="{url}"' not in roster.content.decode()


def test_a_row_shows_local_times_topic_block_responsible_status_and_excerpt(
    municipality, staff, login
):
    # 05:15 UTC is 10:15 in Октябрьский (Asia/Yekaterinburg, UTC+5).
    received = datetime(2026, 3, 2, 5, 15, tzinfo=UTC)
    (row,) = raw_incidents(
        municipality,
        1,
        start=received,
        channel="im",
        text="Очень длинный текст обращения. " * 20,
        topic=topic("roads.potholes"),
        sector=staff.roads,
        responsible=staff.sector_owner,
        status=Status.IN_PROGRESS,
    )
    with municipality_scope(municipality.pk):
        type(row).objects.filter(pk=row.pk).update(due_at=received + timedelta(hours=3))
    page = login(staff.head).get(list_url(municipality)).content.decode()
    assert "02.03.2026 10:15" in page  # received, local
    assert "02.03.2026 13:15" in page  # due, local
    assert "Дороги → Ямы и разрушение покрытия" in page
    assert staff.sector_owner.display_name in page
    assert "В работе" in page
    assert "Инцидент Менеджмент (соцсети)" in page
    assert "просрочено на" in page  # that term is long past
    assert "Очень длинный текст обращения. " * 4 in page
    assert "Очень длинный текст обращения. " * 20 not in page  # an excerpt only


def test_time_left_hint_for_an_open_incident_due_later(municipality, staff, login):
    raw_incidents(municipality, 1, start=timezone.now(), status=Status.ASSIGNED)  # due in 25 days
    page = login(staff.head).get(list_url(municipality)).content.decode()
    assert "осталось 24 дн." in page or "осталось 25 дн." in page
    assert "просрочено" not in page


def test_rows_link_to_the_card_when_the_card_exists(municipality, staff, login):
    (row,) = raw_incidents(municipality, 1)
    page = login(staff.head).get(list_url(municipality)).content.decode()
    try:
        card = reverse(
            "incident_detail", kwargs={"municipality_slug": municipality.slug, "pk": row.pk}
        )
    except NoReverseMatch:
        assert f">{row.pk}</td>" in page  # no card page yet: the number is plain text
    else:
        assert f'href="{card}"' in page


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_rows(municipality, staff, login, django_assert_num_queries):
    roads = staff.roads
    client = login(staff.head)
    url = list_url(municipality)
    fields = {
        "topic": topic("roads.potholes"),
        "sector": roads,
        "responsible": staff.sector_owner,
        "status": Status.ASSIGNED,
    }
    raw_incidents(municipality, 3, **fields)
    client.get(url)  # warm the session and the per-process caches
    few = _count_queries(client, url)
    raw_incidents(municipality, 27, channel="im", **fields)
    with django_assert_num_queries(few):
        response = client.get(url)
    assert response.content.decode().count('name="incidents"') == 30
    # A filtered, sorted view costs the same whatever it finds.
    filtered = f"{url}?status=open&sector={roads.pk}&sort=due&topic={topic('roads').pk}"
    count = _count_queries(client, filtered)
    raw_incidents(municipality, 5, **fields)
    with django_assert_num_queries(count):
        client.get(filtered)


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "channel=fax",
        "sector=abc",
        "sector=999999999",
        "topic=-1",
        "responsible=99999999999999999999",
        "received_from=not-a-date",
        "received_from=9999-12-31",
        "received_to=0001-01-01",
        "received_from=2026-11-20&received_to=2026-11-01",
        "sort=drop_table",
        "q=" + "я" * 201,
        "q=%00",  # PostgreSQL refuses NUL in text: must be a form error, not a DataError
    ],
)
def test_bad_filter_values_show_the_error_not_a_500(query, municipality, staff, login):
    raw_incidents(municipality, 2)
    response = login(staff.head).get(f"{list_url(municipality)}?{query}")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="errorlist"' in page
    assert "В фильтре есть ошибки" in page
    assert 'name="incidents"' not in page  # no rows under a filter that did not apply


@pytest.mark.parametrize("query", ["overdue=maybe", "unknown=1", "fast_track="])
def test_values_that_mean_no_filter_are_ignored(query, municipality, staff, login):
    rows = raw_incidents(municipality, 2)
    response = login(staff.head).get(f"{list_url(municipality)}?{query}")
    assert response.status_code == 200
    assert sorted(r.incident.pk for r in response.context["rows"]) == sorted(r.pk for r in rows)


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "", "eyJ4IjoxfQ", "W10", "WyItcmVjZWl2ZWQiLCJuIiwieCIsMV0", "%00" * 50, "A" * 500],
)
def test_a_garbage_cursor_opens_the_first_page(cursor, municipality, staff, login):
    rows = raw_incidents(municipality, 3)
    response = login(staff.head).get(f"{list_url(municipality)}?cursor={cursor}")
    assert response.status_code == 200
    assert f'value="{rows[0].pk}:' in response.content.decode()


def test_htmx_gets_the_list_alone(municipality, staff, login):
    raw_incidents(municipality, 2)
    response = login(staff.head).get(
        f"{list_url(municipality)}?channel=pos", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="incident-list"')
    assert "<html" not in page
    assert "HX-Request" in response["Vary"]


def test_next_and_previous_pages_through_the_view(municipality, staff, login):
    rows = raw_incidents(municipality, 52)  # newest first: rows[0] … rows[51]
    client = login(staff.head)
    first = client.get(list_url(municipality)).context
    assert [r.incident.pk for r in first["rows"]] == [r.pk for r in rows[:50]]
    assert first["previous_url"] is None
    second = client.get(first["next_url"]).context
    assert [r.incident.pk for r in second["rows"]] == [rows[50].pk, rows[51].pk]
    assert second["next_url"] is None
    back = client.get(second["previous_url"]).context
    assert [r.incident.pk for r in back["rows"]] == [r.pk for r in rows[:50]]
    assert back["previous_url"] is None
