"""Bulk assign / reject: through the lifecycle services one incident at a time; what failed is
reported with its reason, and nothing outside the municipality is ever touched."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from incidents.listing.tests.helpers import list_url
from incidents.models import Incident, IncidentEvent, RejectReason, Status
from incidents.tests.factories import fresh, incident_at, make_incident, snapshot
from mcu.tenancy import municipality_scope


def token(incident: Incident) -> str:
    return f"{incident.pk}:{incident.version}"


def post(client, municipality, *, follow: bool = False, **data):
    return client.post(list_url(municipality, "incident_bulk"), data, follow=follow)


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_assign_to_a_block_and_a_person(municipality, staff, login):
    first = incident_at(Status.NEW, staff)
    second = incident_at(Status.NEW, staff)
    response = post(
        login(staff.head),
        municipality,
        action="assign",
        incidents=[token(first), token(second)],
        sector=staff.roads.pk,
        responsible=staff.executor.pk,
        query="channel=im&sort=due&cursor=zzz",
    )
    assert response.status_code == 302
    assert response["Location"] == f"{list_url(municipality)}?channel=im&sort=due"
    assert texts(response) == ["Назначено: 2 из 2."]
    for incident in (first, second):
        row = fresh(incident)
        assert (row.status, row.sector_id, row.responsible_id) == (
            Status.ASSIGNED,
            staff.roads.pk,
            staff.executor.pk,
        )
        with municipality_scope(municipality.pk):
            assert IncidentEvent.objects.filter(
                incident=row, kind=IncidentEvent.Kind.ASSIGNED, actor=staff.head
            ).exists()


def test_a_stale_version_fails_alone(municipality, staff, login):
    stale = incident_at(Status.NEW, staff)
    fine = incident_at(Status.NEW, staff)
    seen = token(stale)
    with municipality_scope(municipality.pk):  # someone else routes it meanwhile
        from incidents.services.lifecycle import incident_assign

        incident_assign(
            incident=stale,
            actor=staff.im_operator,
            expected_version=stale.version,
            sector=staff.transport,
        )
    response = post(
        login(staff.head),
        municipality,
        action="assign",
        incidents=[seen, token(fine)],
        sector=staff.roads.pk,
    )
    assert texts(response) == [
        "Назначено: 1 из 2.",
        f"№ {stale.pk}: Инцидент уже изменил другой сотрудник. Обновите карточку и повторите "
        "действие.",
    ]
    assert fresh(stale).sector_id == staff.transport.pk
    assert fresh(fine).sector_id == staff.roads.pk


def test_reject_with_a_reason_and_a_forbidden_transition_reported(municipality, staff, login):
    spam = incident_at(Status.NEW, staff)
    already = incident_at(Status.REJECTED, staff)
    response = post(
        login(staff.im_operator),
        municipality,
        action="reject",
        incidents=[token(spam), token(already)],
        reason=RejectReason.SPAM,
        note="реклама",
    )
    assert texts(response) == [
        "Отклонено: 1 из 2.",
        f"№ {already.pk}: Нельзя отклонить: инцидент в статусе «Не является инцидентом».",
    ]
    row = fresh(spam)
    assert (row.status, row.reject_reason) == (Status.REJECTED, RejectReason.SPAM)


def test_the_role_is_checked_per_incident(municipality, staff, login):
    """The «Дороги» owner may route the block's incidents, not «Транспорт»'s."""
    roads = incident_at(Status.ASSIGNED, staff)
    transport = make_incident(municipality, topic_code="transport.stops")
    before = snapshot(transport)
    response = post(
        login(staff.sector_owner),
        municipality,
        action="assign",
        incidents=[token(roads), token(transport)],
        responsible=staff.executor.pk,
    )
    assert texts(response) == [
        "Назначено: 1 из 2.",
        f"№ {transport.pk}: Ваша роль в МЦУ не позволяет выполнить это действие с этим инцидентом.",
    ]
    assert fresh(roads).responsible_id == staff.executor.pk
    assert snapshot(transport) == before


def test_a_foreign_incident_is_never_touched(municipality, other_municipality, staff, login):
    own = incident_at(Status.NEW, staff)
    foreign = make_incident(other_municipality, channel="pos")
    before = snapshot(foreign)
    response = post(
        login(staff.head),
        municipality,
        action="reject",
        incidents=[token(foreign), token(own)],
        reason=RejectReason.SPAM,
    )
    assert texts(response) == ["Отклонено: 1 из 2.", f"№ {foreign.pk}: инцидент не найден"]
    assert snapshot(foreign) == before
    assert fresh(own).status == Status.REJECTED


def test_a_foreign_person_or_block_is_not_a_choice(
    municipality, other_municipality, staff, make_user, login
):
    incident = incident_at(Status.NEW, staff)
    outsider = make_user("head", other_municipality)
    before = snapshot(incident)
    response = post(
        login(staff.head),
        municipality,
        action="assign",
        incidents=[token(incident)],
        responsible=outsider.pk,
    )
    assert response.status_code == 302
    assert any(text.startswith("Ответственный:") for text in texts(response))
    assert snapshot(incident) == before


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            {"action": "reject", "incidents": ["1:1"]},
            "Причина отклонения: Выберите причину из списка.",
        ),
        (
            {"action": "assign", "incidents": ["1:1"]},
            "Отраслевой блок: Укажите отраслевой блок или ответственного.",
        ),
        ({"action": "reject", "reason": "spam"}, "Инциденты: Отметьте хотя бы один инцидент."),
        (
            {"action": "reject", "reason": "spam", "incidents": ["x:1"]},
            "Инциденты: Неверный выбор инцидентов.",
        ),
        (
            {"action": "reject", "reason": "spam", "incidents": ["1"]},
            "Инциденты: Неверный выбор инцидентов.",
        ),
        (
            {"action": "reject", "reason": "spam", "incidents": ["99999999999999999999:1"]},
            "Инциденты: Неверный выбор инцидентов.",
        ),
        ({"action": "reject", "reason": "made-up", "incidents": ["1:1"]}, None),
        ({"action": "explode", "incidents": ["1:1"]}, None),
        ({"action": "reject", "reason": "spam", "incidents": ["1:1"], "note": "\x00"}, None),
    ],
)
def test_bad_input_is_a_message_not_a_500(data, error, municipality, staff, login):
    incident = incident_at(Status.NEW, staff)
    before = snapshot(incident)
    response = post(login(staff.head), municipality, **data)
    assert response.status_code == 302
    messages = texts(response)
    assert messages
    if error:
        assert error in messages
    assert snapshot(incident) == before


def test_too_many_at_once(municipality, staff, login):
    response = post(
        login(staff.head),
        municipality,
        action="reject",
        reason="spam",
        incidents=[f"{pk}:1" for pk in range(1, 102)],
    )
    assert texts(response) == ["Инциденты: Не больше 100 инцидентов за раз."]


def test_roles_that_may_not_act_get_403(municipality, staff, login):
    incident = incident_at(Status.NEW, staff)
    before = snapshot(incident)
    # The executor and the curator hold neither routing nor rejecting.
    for user in (staff.executor, staff.curator):
        response = post(
            login(user), municipality, action="reject", reason="spam", incidents=[token(incident)]
        )
        assert response.status_code == 403
    # A sector owner routes, but rejecting is the channel operators' (Регламент §2.4).
    response = post(
        login(staff.sector_owner),
        municipality,
        action="reject",
        reason="spam",
        incidents=[token(incident)],
    )
    assert response.status_code == 403
    assert snapshot(incident) == before


def test_get_is_not_allowed(municipality, staff, login):
    assert login(staff.head).get(list_url(municipality, "incident_bulk")).status_code == 405


def test_htmx_gets_the_refreshed_list_with_the_result(municipality, staff, login):
    incident = incident_at(Status.NEW, staff)
    response = login(staff.head).post(
        list_url(municipality, "incident_bulk"),
        {
            "action": "reject",
            "reason": "spam",
            "incidents": [token(incident)],
            "query": "status=rejected",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="incident-list"')
    assert "Отклонено: 1 из 1." in page
    assert [row.incident.pk for row in response.context["rows"]] == [incident.pk]


def test_the_form_offers_only_what_the_role_may_do(municipality, staff, login):
    page = login(staff.sector_owner).get(list_url(municipality)).content.decode()
    assert 'value="assign"' in page
    assert 'value="reject"' not in page
    page = login(staff.im_operator).get(list_url(municipality)).content.decode()
    assert 'value="assign"' in page
    assert 'value="reject"' in page
