"""Dashboard, «Мои задачи» and manual registration, as the people who use them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.dashboard import dashboard
from incidents.models import Incident, IncidentEvent, Status
from incidents.my_tasks import my_tasks
from incidents.tests.factories import NOW, POTHOLE, Staff, incident_at, make_incident
from incidents.tests.oktyabrsky import (  # noqa: F401 - pytest fixtures by name
    OKTYABRSKY,
    _seed_once,
    frozen,
    local,
    scope,
    seeded,
    staff,
)
from integrations.models import RoutingRule
from mcu.models import Municipality
from roles.models import Channel, Role, User

S = Status


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def reasons(tasks) -> dict[int, str]:
    return {t.incident.pk: t.reason for t in tasks}


@pytest.mark.django_db
class TestDashboard:
    def test_counts_right_now_by_channel_and_block(self, staff: Staff, frozen):
        incident_at(S.NEW, staff)
        incident_at(S.ASSIGNED, staff)  # ИМ: due in 3 hours
        incident_at(S.IN_PROGRESS, staff, channel=Channel.POS)  # 25 days
        incident_at(S.ANSWERED, staff)
        board = dashboard(municipality=staff.municipality)
        assert (board.total.new, board.in_work, board.total.overdue) == (1, 2, 0)
        assert board.total.due_24h == 2  # the two ИМ messages (3 hours)
        assert board.total.due_1h == 0
        assert board.answered_today == 1
        channels = {code: b.open for code, _, b in board.by_channel}
        assert channels == {Channel.IM: 2, Channel.POS: 1}
        sectors = {s.code if s else None: b.open for s, b in board.by_sector}
        assert sectors == {"roads": 2, None: 1}
        # Two hours and a half later the ИМ ones are within the hour; at four hours, overdue.
        frozen.move_to(NOW + timedelta(hours=2, minutes=30), tick=False)
        assert dashboard(municipality=staff.municipality).total.due_1h == 2
        frozen.move_to(NOW + timedelta(hours=4), tick=False)
        board = dashboard(municipality=staff.municipality)
        assert board.total.overdue == 2
        assert {s.code if s else None: b.overdue for s, b in board.by_sector} == {
            "roads": 1,
            None: 1,
        }

    def test_eight_weeks_in_local_weeks(self, staff: Staff):
        # Sunday 22 Nov 23:30 local is last week; Monday 23 Nov 00:30 local is this week —
        # although both are the same UTC date (22 Nov).
        make_incident(staff.municipality, received_at=local(2026, 11, 22, 23, 30))
        make_incident(staff.municipality, received_at=local(2026, 11, 23, 0, 30))
        make_incident(staff.municipality, received_at=local(2026, 10, 1, 12, 0))  # 8+ weeks ago
        weeks = dashboard(municipality=staff.municipality).weeks
        assert len(weeks) == 8
        assert weeks[-1].monday.isoformat() == "2026-11-23"
        assert [w.received for w in weeks[-2:]] == [1, 1]
        assert sum(w.received for w in weeks) == 2

    def test_page_shows_local_time_and_links_into_the_list(self, staff: Staff):
        incident_at(S.NEW, staff)
        html = client_for(staff.head).get(reverse("home", args=["oktyabrsky"])).content.decode()
        assert "Asia/Yekaterinburg" in html
        assert "23 ноября 2026, 10:15" in html
        assert "/m/oktyabrsky/incidents/?status=new" in html
        assert "<svg" in html

    def test_dashboard_queries_do_not_grow_with_rows(self, staff: Staff):
        client = client_for(staff.head)
        url = reverse("home", args=["oktyabrsky"])
        counts = []
        for n in (1, 12):
            for i in range(n):
                make_incident(staff.municipality, topic_code=POTHOLE, external_id=f"q{n}-{i}")
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_cannot_count_another_municipalitys_incidents(
        self, staff: Staff, other_municipality: Municipality
    ):
        make_incident(other_municipality)
        board = dashboard(municipality=staff.municipality)
        assert board.total.open == 0
        assert board.answered_today == 0


@pytest.mark.django_db
class TestMyTasks:
    def test_each_role_sees_its_own_work(self, staff: Staff, make_user):
        new = incident_at(S.NEW, staff)
        assigned = incident_at(S.ASSIGNED, staff)
        on_approval = incident_at(S.ON_APPROVAL, staff)
        approved = incident_at(S.APPROVED, staff)
        other_block = make_incident(staff.municipality, topic_code="transport.routes")
        m = staff.municipality

        assert reasons(my_tasks(municipality=m, user=staff.im_operator)) == {
            new.pk: "route",
            approved.pk: "publish",
        }
        assert reasons(my_tasks(municipality=m, user=staff.sector_owner)) == {assigned.pk: "answer"}
        assert reasons(my_tasks(municipality=m, user=staff.sector_curator)) == {
            on_approval.pk: "approve_sector"
        }
        assert other_block.pk in reasons(my_tasks(municipality=m, user=staff.transport_owner))
        # After the curator, the social answer waits for the head.
        from incidents.tests.factories import approve

        approve(on_approval, staff.sector_curator)
        assert reasons(my_tasks(municipality=m, user=staff.head)) == {
            on_approval.pk: "approve_head"
        }
        assert my_tasks(municipality=m, user=staff.sector_curator) == []
        coordinator = make_user(Role.COORDINATOR, m)
        assert my_tasks(municipality=m, user=coordinator) == []

    def test_overdue_first_then_by_time_left_and_the_head_sees_all_overdue(
        self, staff: Staff, frozen
    ):
        pos = incident_at(S.ASSIGNED, staff, channel=Channel.POS)  # due in 25 days
        late = incident_at(S.ASSIGNED, staff)  # due in 3 hours
        frozen.move_to(NOW + timedelta(hours=1), tick=False)
        sooner = incident_at(S.ASSIGNED, staff)  # due in 3 hours from now
        frozen.move_to(NOW + timedelta(hours=3, minutes=30), tick=False)
        tasks = my_tasks(municipality=staff.municipality, user=staff.sector_owner)
        assert [t.incident.pk for t in tasks] == [late.pk, sooner.pk, pos.pk]
        assert [t.overdue for t in tasks] == [True, False, False]
        head = my_tasks(municipality=staff.municipality, user=staff.head)
        assert reasons(head) == {late.pk: "overdue"}

    def test_page_lists_tasks_with_links_and_is_empty_for_others(
        self, staff: Staff, other_municipality: Municipality, make_user
    ):
        incident = incident_at(S.NEW, staff)
        url = reverse("tasks", args=["oktyabrsky"])
        html = client_for(staff.im_operator).get(url).content.decode()
        assert f"/m/oktyabrsky/incidents/{incident.pk}/" in html
        assert "Распределить" in html
        stranger = make_user(Role.IM_OPERATOR, other_municipality)
        assert my_tasks(municipality=other_municipality, user=stranger) == []
        assert client_for(stranger).get(url).status_code == 404


def register_url() -> str:
    return reverse("incident_register", args=["oktyabrsky"])


def form(**fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "token": str(uuid.uuid4()),
        "channel": Channel.POS,
        "received_at": "2026-11-23T09:40",
        "text": "Звонок: на ул. Ленина, 5 яма на проезжей части.",
        "topic": "",
        "citizen_name": "Петров Пётр",
        "citizen_phone": "+7 900 111-22-33",
    }
    data.update(fields)
    return data


@pytest.mark.django_db
class TestManualRegistration:
    def test_registers_routes_and_sets_the_deadline_in_local_time(self, staff: Staff):
        from incidents.models import Topic

        topic = Topic.objects.get(code=POTHOLE)
        response = client_for(staff.pos_operator).post(
            register_url(), form(topic=topic.pk, fast_track="on")
        )
        assert response.status_code == 302
        incident = Incident.objects.get(municipality=staff.municipality, channel=Channel.POS)
        assert incident.sector == staff.roads
        assert incident.status == S.ASSIGNED
        assert incident.received_at == local(2026, 11, 23, 9, 40)
        assert incident.fast_track is True
        # Fast track: 10 calendar days from 23 Nov → 24:00 local on 3 Dec.
        assert incident.due_at == local(2026, 12, 4)
        assert incident.external_id.startswith("manual-")
        created = IncidentEvent.objects.get(incident=incident, kind=IncidentEvent.Kind.CREATED)
        assert created.actor == staff.pos_operator

    def test_the_administrators_routing_rules_apply(self, staff: Staff):
        RoutingRule.objects.create(
            municipality=staff.municipality,
            keywords="яма, выбоина",
            sector=staff.transport,
            priority=1,
        )
        client_for(staff.pos_operator).post(register_url(), form())
        incident = Incident.objects.get(municipality=staff.municipality, channel=Channel.POS)
        assert incident.sector == staff.transport

    def test_submitting_the_same_form_twice_makes_one_incident(self, staff: Staff):
        data = form()
        client = client_for(staff.pos_operator)
        first = client.post(register_url(), data)
        second = client.post(register_url(), data, follow=True)
        assert first.status_code == 302
        assert "уже зарегистрировано" in second.content.decode()
        assert Incident.objects.filter(municipality=staff.municipality).count() == 1

    def test_errors_are_shown_beside_their_fields(self, staff: Staff):
        response = client_for(staff.pos_operator).post(
            register_url(),
            form(text="", received_at="2030-01-01T10:00", citizen_email="not-an-email"),
        )
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert set(errors) == {"text", "received_at", "citizen_email"}
        assert "Время поступления не может быть в будущем." in response.content.decode()
        assert not Incident.objects.filter(municipality=staff.municipality).exists()

    def test_an_appeal_needs_an_applicant_and_an_address(self, staff: Staff):
        response = client_for(staff.pos_operator).post(
            register_url(), form(channel=Channel.APPEAL, citizen_name="")
        )
        assert response.status_code == 400
        assert "citizen_postal_address" in response.context["form"].errors

    def test_channel_the_role_may_not_register_is_refused(self, staff: Staff):
        # The ПОС operator of Октябрьский is also the appeals officer; ЕДДС is not theirs.
        response = client_for(staff.pos_operator).post(register_url(), form(channel=Channel.EDDS))
        assert response.status_code == 400
        assert "channel" in response.context["form"].errors
        assert not Incident.objects.filter(municipality=staff.municipality).exists()

    def test_who_may_open_the_form(self, staff: Staff, other_municipality: Municipality, make_user):
        assert client_for(staff.pos_operator).get(register_url()).status_code == 200
        assert client_for(staff.sector_owner).get(register_url()).status_code == 403
        stranger = make_user(Role.HEAD, other_municipality)
        assert client_for(stranger).get(register_url()).status_code == 404

    def test_garbage_never_500s(self, staff: Staff):
        client = client_for(staff.pos_operator)
        for data in (
            {},
            form(token="nope"),
            form(topic="999999999999999999999"),
            form(settlement="abc"),
            form(received_at="31.02.2026 10:00"),
            form(text="\x00" * 10),
        ):
            assert client.post(register_url(), data).status_code == 400, data
