"""«Выгрузить в Excel»: the filtered list whole, safe cells, personal data only where allowed
and each disclosure on record."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from incidents.listing.tests.helpers import list_url, raw_incidents
from incidents.models import IncidentEvent, Status
from incidents.tests.factories import incident_at, make_incident
from mcu.tenancy import municipality_scope

HEADER = [
    "Номер",
    "Канал",
    "Поступило",
    "Тема",
    "Отраслевой блок",
    "Ответственный",
    "Статус",
    "Срок",
    "Дан ответ",
    "Текст",
    "Адрес",
]
PERSONAL = ["Заявитель", "E-mail", "Телефон", "Профиль", "Почтовый адрес"]


def download(client, municipality, query: str = ""):
    response = client.get(f"{list_url(municipality, 'incident_export')}?{query}")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    caption, header, *data = rows
    return caption, header, data


def pd_views(municipality) -> list[tuple[int, str]]:
    with municipality_scope(municipality.pk):
        return sorted(
            IncidentEvent.objects.filter(
                municipality=municipality, kind=IncidentEvent.Kind.PERSONAL_DATA_VIEW
            ).values_list("incident_id", "actor__username")
        )


def test_exports_every_filtered_row_not_just_the_page(municipality, staff, login):
    pos = raw_incidents(municipality, 60, channel="pos")
    raw_incidents(municipality, 4, channel="im")
    _caption, header, data = download(login(staff.curator), municipality, "channel=pos")
    assert header == HEADER  # the curator may not see personal data: no such columns
    assert [row[0] for row in data] == [row.pk for row in pos]  # newest first, as listed
    assert {row[1] for row in data} == {"Платформа обратной связи"}


def test_a_row_in_local_time_with_its_classification(municipality, staff, login):
    received = datetime(2026, 3, 2, 5, 15, tzinfo=UTC)  # 10:15 in Октябрьский (UTC+5)
    incident = incident_at(Status.ANSWERED, staff, channel="pos", received_at=received)
    caption, _header, data = download(login(staff.curator), municipality)
    assert "Октябрьский" in caption[0]
    (row,) = data
    assert row[:7] == [
        incident.pk,
        "Платформа обратной связи",
        datetime(2026, 3, 2, 10, 15),
        "Дороги → Ямы и разрушение покрытия",
        "Дороги",
        staff.sector_owner.display_name,
        "Дан ответ",
    ]
    with municipality_scope(municipality.pk):
        incident.refresh_from_db()
    local = municipality.tz
    assert incident.due_at is not None
    assert row[7] == incident.due_at.astimezone(local).replace(tzinfo=None, microsecond=0)
    assert row[8] is not None
    assert row[9] == incident.text


def test_personal_data_for_allowed_roles_and_every_disclosure_recorded(municipality, staff, login):
    first = make_incident(municipality, channel="pos", citizen_name="Петрова Анна")
    second = make_incident(
        municipality, channel="pos", citizen_name="Сидоров Пётр", citizen_email="p@example.ru"
    )
    anonymous = make_incident(municipality, channel="pos", citizen_name="", citizen_profile_url="")
    _caption, header, data = download(login(staff.head), municipality)
    assert header == HEADER + PERSONAL
    by_id = {row[0]: row for row in data}
    assert by_id[first.pk][11] == "Петрова Анна"
    assert by_id[second.pk][11:13] == ["Сидоров Пётр", "p@example.ru"]
    # One view per incident whose citizen's data went into the file; nothing to disclose, no record.
    assert pd_views(municipality) == sorted(
        [(first.pk, staff.head.username), (second.pk, staff.head.username)]
    )
    assert anonymous.pk in by_id


def test_personal_data_follows_the_sector_of_each_incident(municipality, staff, login):
    roads = incident_at(Status.ASSIGNED, staff, channel="pos", citizen_name="Петрова Анна")
    transport = make_incident(
        municipality, channel="pos", topic_code="transport.stops", citizen_name="Иванов Иван"
    )
    _caption, header, data = download(login(staff.sector_owner), municipality)  # «Дороги» owner
    assert header == HEADER + PERSONAL
    by_id = {row[0]: row for row in data}
    assert by_id[roads.pk][11] == "Петрова Анна"
    assert by_id[transport.pk][11] == "скрыто"
    assert "Иванов" not in str(by_id[transport.pk])
    assert pd_views(municipality) == [(roads.pk, staff.sector_owner.username)]


def test_no_personal_data_no_record_for_roles_without_it(municipality, staff, login):
    make_incident(municipality, channel="pos", citizen_name="Петрова Анна")
    _caption, header, data = download(login(staff.curator), municipality)
    assert header == HEADER
    assert "Петрова" not in str(data)
    assert pd_views(municipality) == []


def test_text_stays_text(municipality, staff, login):
    make_incident(
        municipality,
        channel="pos",
        text='=HYPERLINK("http://evil.example","жми")',
        address="@SUM(1+1)\x07\x1b",  # control characters XML cannot carry
    )
    response = login(staff.curator).get(list_url(municipality, "incident_export"))
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert workbook.active is not None
    (row,) = list(workbook.active.iter_rows(min_row=3))
    assert row[9].value == '=HYPERLINK("http://evil.example","жми")'
    assert row[9].data_type == "s"
    assert row[10].value == "@SUM(1+1)"


def test_never_another_municipality(municipality, other_municipality, staff, login):
    own = raw_incidents(municipality, 2)
    raw_incidents(other_municipality, 3)
    _caption, _header, data = download(login(staff.head), municipality)
    assert sorted(row[0] for row in data) == sorted(row.pk for row in own)


def test_a_filter_with_errors_goes_back_to_the_page(municipality, staff, login):
    response = login(staff.head).get(
        f"{list_url(municipality, 'incident_export')}?status=bogus&channel=pos"
    )
    assert response.status_code == 302
    assert response["Location"] == f"{list_url(municipality)}?status=bogus&channel=pos"


@pytest.mark.parametrize("who", ["executor", "tech_admin"])
def test_roles_without_export_get_403(who, municipality, staff, login):
    client = login(getattr(staff, who))
    assert client.get(list_url(municipality, "incident_export")).status_code == 403


def test_export_link_carries_the_filter(municipality, staff, login):
    page = login(staff.head).get(f"{list_url(municipality)}?channel=pos&sort=due&cursor=abc")
    assert page.context["export_url"] == (
        f"{list_url(municipality, 'incident_export')}?channel=pos&sort=due"
    )
    assert login(staff.executor).get(list_url(municipality)).context["export_url"] is None
