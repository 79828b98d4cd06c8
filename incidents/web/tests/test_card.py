"""The incident card in the browser's terms: what each role sees and may do, the whole answer
flow through its forms, conflicts, errors beside fields, personal data, and tenancy."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import AnswerTemplate, IncidentEvent, Status, Topic
from incidents.tests.factories import (
    POTHOLE,
    Staff,
    fresh,
    incident_at,
    make_incident,
    snapshot,
)
from incidents.tests.oktyabrsky import (  # noqa: F401 - pytest fixtures by name
    _seed_once,
    frozen,
    scope,
    seeded,
    staff,
)
from mcu.models import Municipality
from roles.models import Channel, Role, User

S = Status


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def card_url(incident) -> str:
    return reverse("incident_detail", args=[incident.municipality.slug, incident.pk])


def act_url(incident, action: str) -> str:
    return reverse("incident_act", args=[incident.municipality.slug, incident.pk, action])


def offered(response) -> list[str]:
    return [action.key for action, _form in response.context["action_forms"]]


def act(user: User, incident, action: str, **data):
    data.setdefault("version", fresh(incident).version)
    return client_for(user).post(act_url(incident, action), data)


@pytest.mark.django_db
class TestWhatEachRoleMayDo:
    def test_im_operator_on_a_new_message_routes_rejects_forwards(self, staff: Staff):
        incident = incident_at(S.NEW, staff)
        response = client_for(staff.im_operator).get(card_url(incident))
        assert response.status_code == 200
        assert {"assign", "reject", "forward", "merge"} <= set(offered(response))
        assert not {"draft", "approve", "publish"} & set(offered(response))

    def test_sector_owner_takes_and_drafts_but_does_not_reject(self, staff: Staff):
        incident = incident_at(S.ASSIGNED, staff)
        keys = offered(client_for(staff.sector_owner).get(card_url(incident)))
        # The owner may re-route within the block (triage), not declare it a non-incident.
        assert {"take", "draft", "assign"} <= set(keys)
        assert "reject" not in keys
        assert "publish" not in keys

    def test_owner_of_another_block_may_look_but_not_draft(self, staff: Staff):
        incident = incident_at(S.ASSIGNED, staff)
        response = client_for(staff.transport_owner).get(card_url(incident))
        assert response.status_code == 200
        assert "draft" not in offered(response)
        assert act(staff.transport_owner, incident, "draft", text="Не мой блок").status_code == 403

    def test_on_approval_the_block_curator_approves_then_the_head(self, staff: Staff):
        incident = incident_at(S.ON_APPROVAL, staff)
        assert {"approve", "return"} <= set(
            offered(client_for(staff.sector_curator).get(card_url(incident)))
        )
        # An executor of the block drafts answers but approves none.
        before = snapshot(incident)
        assert act(staff.executor, incident, "approve").status_code == 403
        assert snapshot(incident) == before

    def test_coordinator_reads_only(self, staff: Staff, make_user):
        coordinator = make_user(Role.COORDINATOR, staff.municipality)
        incident = incident_at(S.NEW, staff)
        response = client_for(coordinator).get(card_url(incident))
        assert response.status_code == 200
        assert offered(response) == []
        assert "Для вашей роли действий" in response.content.decode()
        before = snapshot(incident)
        assert act(coordinator, incident, "reject", reason="spam").status_code == 403
        assert snapshot(incident) == before


@pytest.mark.django_db
def test_the_social_network_flow_through_the_card(staff: Staff):
    """ИМ operator assigns → owner takes, drafts, submits → curator approves → head approves →
    ИМ operator publishes; answered on time, every step on the timeline."""
    incident = incident_at(S.NEW, staff)
    steps: list[tuple[User, str, dict[str, object]]] = [
        (staff.im_operator, "assign", {"sector": staff.roads.pk, "topic": ""}),
        (staff.sector_owner, "take", {}),
        (staff.sector_owner, "draft", {"text": "Яму засыплют до пятницы."}),
        (staff.sector_owner, "draft", {"text": "Яму засыплют щебнем до пятницы, 27 ноября."}),
        (staff.sector_owner, "submit", {}),
        (staff.sector_curator, "approve", {"comment": "Согласовано"}),
        (staff.head, "approve", {}),
        (staff.im_operator, "publish", {}),
    ]
    for user, action, data in steps:
        response = act(user, incident, action, **data)
        assert response.status_code == 302, (action, response.content.decode()[:2000])
    done = fresh(incident)
    assert done.status == S.ANSWERED
    assert done.answered_late is False
    page = client_for(staff.head).get(card_url(done)).content.decode()
    assert "Яму засыплют щебнем до пятницы, 27 ноября." in page
    assert "Все версии текста (2)" in page  # both texts kept
    assert "Яму засыплют до пятницы." in page
    assert "в срок" in page


@pytest.mark.django_db
def test_stale_version_is_a_clear_conflict_and_changes_nothing(staff: Staff):
    incident = incident_at(S.NEW, staff)
    seen = fresh(incident).version
    assert act(staff.im_operator, incident, "assign", sector=staff.roads.pk).status_code == 302
    before = snapshot(incident)
    response = act(staff.head, incident, "reject", reason="spam", version=seen)
    assert response.status_code == 409
    assert "изменил другой сотрудник" in response.content.decode()
    assert snapshot(incident) == before


@pytest.mark.django_db
def test_errors_are_shown_next_to_their_field(staff: Staff):
    incident = incident_at(S.IN_PROGRESS, staff)
    response = act(staff.head, incident, "postpone", until="2020-01-01", interim_answer="")
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'field invalid">\s*<label for="id_postpone_interim_answer"', html)
    # The date passes the form and is refused by the service, beside the same form's field.
    response = act(staff.head, incident, "postpone", until="2020-01-01", interim_answer="Ждём")
    assert response.status_code == 400
    assert "Дата решения должна быть позже сегодняшней." in response.content.decode()
    assert fresh(incident).status == S.IN_PROGRESS


@pytest.mark.django_db
def test_garbage_input_never_500s(staff: Staff):
    incident = incident_at(S.NEW, staff)
    for data in (
        {"version": "abc"},
        {"version": "1", "sector": "99999999999999999999"},
        {"version": "-5", "reason": "\x00"},
        {"version": str(2**70), "into": "x"},
    ):
        for action in ("assign", "reject", "merge"):
            response = client_for(staff.im_operator).post(act_url(incident, action), data)
            assert response.status_code in (400, 409), (action, data, response.status_code)
    assert client_for(staff.im_operator).post(act_url(incident, "fly")).status_code == 404
    assert client_for(staff.im_operator).get(act_url(incident, "assign")).status_code == 405


@pytest.mark.django_db
def test_merge_into_an_incident_of_another_municipality_is_not_found(
    staff: Staff, other_municipality: Municipality
):
    incident = incident_at(S.NEW, staff)
    foreign = make_incident(other_municipality)
    response = act(staff.im_operator, incident, "merge", into=foreign.pk)
    assert response.status_code == 400
    assert "Инцидента с таким номером нет." in response.content.decode()
    assert fresh(incident).merged_into_id is None


@pytest.mark.django_db
def test_personal_data_is_revealed_on_request_and_recorded(staff: Staff, make_user):
    incident = incident_at(S.NEW, staff, citizen_phone="+7 900 000-00-01")
    operator = client_for(staff.im_operator)
    page = operator.get(card_url(incident)).content.decode()
    assert "Иванова Мария Петровна" not in page
    assert "+7 900 000-00-01" not in page
    assert "Показать персональные данные" in page
    url = reverse("incident_citizen", args=[staff.municipality.slug, incident.pk])
    revealed = operator.post(url).content.decode()
    assert "Иванова Мария Петровна" in revealed
    assert "+7 900 000-00-01" in revealed
    views = IncidentEvent.objects.filter(
        incident_id=incident.pk, kind=IncidentEvent.Kind.PERSONAL_DATA_VIEW
    )
    assert list(views.values_list("actor__username", flat=True)) == [staff.im_operator.username]

    coordinator = client_for(make_user(Role.COORDINATOR, staff.municipality))
    assert (
        "Показать персональные данные" not in coordinator.get(card_url(incident)).content.decode()
    )
    assert coordinator.post(url).status_code == 403
    assert views.count() == 1


@pytest.mark.django_db
def test_citizens_text_is_shown_as_text(staff: Staff):
    incident = make_incident(
        staff.municipality, text='<script>alert("x")</script> яма', topic_code=POTHOLE
    )
    html = client_for(staff.im_operator).get(card_url(incident)).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; яма" in html


@pytest.mark.django_db
def test_answer_templates_of_the_topic_are_offered(staff: Staff):
    incident = incident_at(S.IN_PROGRESS, staff)
    topic = Topic.objects.get(code=POTHOLE)
    AnswerTemplate.objects.create(
        municipality=staff.municipality, topic=topic, title="Ямочный ремонт", text="Уважаемый…"
    )
    AnswerTemplate.objects.create(
        municipality=staff.municipality,
        topic=Topic.objects.get(code="zhkh.heating"),
        title="Шаблон про отопление",
        text="…",
    )
    html = client_for(staff.sector_owner).get(card_url(incident)).content.decode()
    assert "Ямочный ремонт" in html
    assert "Шаблон про отопление" not in html


@pytest.mark.django_db
def test_card_costs_the_same_number_of_queries_however_long_its_history(staff: Staff):
    short = incident_at(S.IN_PROGRESS, staff)
    long = incident_at(S.ANSWERED, staff)
    for n in range(5):
        act(staff.im_operator, long, "link_repeat", original=short.pk if n % 2 == 0 else "")
    client = client_for(staff.head)
    counts = []
    for incident in (short, long):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(card_url(incident)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] or abs(counts[0] - counts[1]) <= 2, counts


@pytest.mark.django_db
def test_another_municipalitys_incident_is_404(
    staff: Staff, other_municipality: Municipality, make_user
):
    foreign = make_incident(other_municipality)
    client = client_for(staff.head)
    # Asked for under one's own municipality: the same 404 as a missing number.
    url = reverse("incident_detail", args=[staff.municipality.slug, foreign.pk])
    assert client.get(url).status_code == 404
    assert client.post(act_url_for(staff.municipality, foreign.pk, "reject")).status_code == 404
    # Asked for under the other municipality: its scope refuses a non-member.
    assert client.get(card_url(foreign)).status_code == 404
    stranger = client_for(make_user(Role.HEAD, other_municipality))
    incident = incident_at(S.NEW, staff)
    assert stranger.get(card_url(incident)).status_code == 404


def act_url_for(municipality: Municipality, pk: int, action: str) -> str:
    return reverse("incident_act", args=[municipality.slug, pk, action])


@pytest.mark.django_db
def test_pos_fast_track_card_shows_ten_days(staff: Staff):
    incident = make_incident(
        staff.municipality,
        channel=Channel.POS,
        fast_track=True,
        topic_code=POTHOLE,
        external_id="pos-ft-1",
    )
    html = client_for(staff.pos_operator).get(card_url(incident)).content.decode()
    assert "фаст-трек" in html
    # Received Monday 23 Nov 10:15 local: ten calendar days end at 24:00 on 3 Dec.
    assert "до <time" in html
    assert "04.12.2026 00:00" in html
