"""Pages under /m/<slug>/center/ (issue 8): forms, capabilities, tenancy, the printable protocol.

Every new model's objects are reached only inside the URL's municipality: another
municipality's id is 404, a member of another municipality is 404, a member lacking the
section's capability is 403.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse

from mcu.center import roadmaps as roadmap_services
from mcu.models import Assignment, MeasureIncident, Meeting, PublicHearing, Region, Roadmap
from mcu.seeding import SeedLog
from mcu.tenancy import dangerously_unscoped, municipality_scope
from mcu.tests.center_factories import (
    make_assignment,
    make_hearing,
    make_incident,
    make_meeting,
    make_roadmap,
)
from roles.models import Role, RoleAssignment, Sector


@pytest.fixture(autouse=True)
def _no_email_tasks(monkeypatch):
    monkeypatch.setattr("incidents.tasks.notifications_email_task.delay", lambda **kwargs: None)


def url(name: str, municipality, *args) -> str:
    return reverse(name, args=[municipality.slug, *args])


@pytest.fixture
def foreign(other_municipality, make_user):
    """One object of every new model in another municipality (Ленский)."""
    owner = make_user(Role.SECTOR_OWNER, other_municipality)
    meeting, decision = make_meeting(other_municipality)
    assignment = make_assignment(decision, owner, date(2030, 1, 1))
    roadmap = make_roadmap(other_municipality, sector_code="production")
    with municipality_scope(other_municipality.pk):
        measure = roadmap_services.measure_add(
            roadmap=roadmap, actor=None, title="Ремонт", due_date=date(2030, 1, 1)
        )
    from datetime import UTC, datetime

    incident = make_incident(other_municipality, received_at=datetime(2025, 4, 1, tzinfo=UTC))
    with municipality_scope(other_municipality.pk):
        link = roadmap_services.measure_link_incident(
            measure=measure, actor=None, incident=incident
        )
    hearing = make_hearing(other_municipality)
    return {
        "meeting": meeting,
        "decision": decision,
        "assignment": assignment,
        "roadmap": roadmap,
        "measure": measure,
        "link": link,
        "hearing": hearing,
        "incident": incident,
    }


def test_another_municipalitys_objects_are_404(municipality, make_user, login, foreign):
    user = make_user(Role.HEAD, municipality)
    with municipality_scope(municipality.pk):  # and the curator: every center capability
        RoleAssignment.objects.create(municipality=municipality, user=user, role=Role.CURATOR)
    client = login(user)
    m, d, r = foreign["meeting"].pk, foreign["decision"].pk, foreign["roadmap"].pk
    gets = [
        url("center_meeting", municipality, m),
        url("center_meeting_edit", municipality, m),
        url("center_decision_edit", municipality, m, d),
        url("center_assignment_create", municipality, m, d),
        url("center_protocol_print", municipality, m),
        url("center_protocol_docx", municipality, m),
        url("center_assignment", municipality, foreign["assignment"].pk),
        url("center_assignment_edit", municipality, foreign["assignment"].pk),
        url("center_roadmap", municipality, r),
        url("center_roadmap_edit", municipality, r),
        url("center_measure_edit", municipality, r, foreign["measure"].pk),
        url("center_hearing", municipality, foreign["hearing"].pk),
    ]
    for address in gets:
        assert client.get(address).status_code == 404, address
    posts = [
        url("center_decision_add", municipality, m),
        url("center_protocol_sign", municipality, m),
        url("center_roadmap_approve", municipality, r),
        url("center_measure_add", municipality, r),
        url("center_measure_link", municipality, r, foreign["measure"].pk),
        url("center_measure_unlink", municipality, r, foreign["link"].pk),
        url("center_assignment", municipality, foreign["assignment"].pk),
    ]
    for address in posts:
        assert client.post(address, {"text": "x"}).status_code == 404, address
    with dangerously_unscoped(reason="test assertions across tenants"):
        assert MeasureIncident.objects.filter(pk=foreign["link"].pk).exists()
        assert Roadmap.objects.get(pk=r).state == Roadmap.State.DRAFT


def test_a_member_of_another_municipality_gets_404(
    municipality, other_municipality, make_user, login, foreign
):
    client = login(make_user(Role.HEAD, municipality))
    for name in (
        "center_index",
        "center_meetings",
        "center_roadmaps",
        "center_hearings",
        "center_assignments",
    ):
        assert client.get(url(name, other_municipality)).status_code == 404, name
    assert (
        client.get(url("center_meeting", other_municipality, foreign["meeting"].pk)).status_code
        == 404
    )


def test_a_member_without_the_capability_gets_403(municipality, make_user, login):
    _, decision = make_meeting(municipality)
    owner = make_user(Role.SECTOR_OWNER, municipality)
    assignment = make_assignment(decision, owner, date(2030, 1, 1))
    client = login(make_user(Role.SUPPORT_OFFICER, municipality))  # none of the center's rights
    for name in (
        "center_index",
        "center_meetings",
        "center_roadmaps",
        "center_hearings",
        "center_assignments",
        "center_meeting_create",
        "center_hearing_create",
    ):
        assert client.get(url(name, municipality)).status_code == 403, name
    assert client.get(url("center_assignment", municipality, assignment.pk)).status_code == 403
    # The ПОС operator keeps the hearings registry but does not run meetings.
    client = login(make_user(Role.POS_OPERATOR, municipality))
    assert client.get(url("center_hearings", municipality)).status_code == 200
    assert client.get(url("center_meetings", municipality)).status_code == 403
    assert client.get(url("center_roadmaps", municipality)).status_code == 403
    # Another sector owner may not report on someone else's assignment.
    client = login(make_user(Role.SECTOR_OWNER, municipality))
    assert client.get(url("center_assignment", municipality, assignment.pk)).status_code == 403


def test_the_head_runs_a_meeting_from_form_to_printed_protocol(
    municipality, other_municipality, make_user, login
):
    head = make_user(Role.HEAD, municipality)
    owner = make_user(Role.SECTOR_OWNER, municipality)
    client = login(head)
    mine = make_incident(
        municipality,
        received_at=__import__("datetime").datetime(2025, 4, 1, tzinfo=__import__("datetime").UTC),
    )
    theirs = make_incident(other_municipality, received_at=mine.received_at)

    # Errors beside the fields, never a 500: empty title, a year no one means, a foreign incident.
    response = client.post(
        url("center_meeting_create", municipality),
        {
            "title": "",
            "held_on": "20255-01-01",
            "form": "in_person",
            "agenda": "А",
            "incident_numbers": f"{mine.pk}, {theirs.pk}",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"title", "held_on", "incident_numbers"}
    assert str(theirs.pk) in form.errors["incident_numbers"][0]
    response = client.post(
        url("center_meeting_create", municipality),
        {"title": "Т", "held_on": "3000-01-01", "form": "in_person", "agenda": "А"},
    )
    assert response.status_code == 400
    assert "2100" in response.context["form"].errors["held_on"][0]

    response = client.post(
        url("center_meeting_create", municipality),
        {
            "title": "Заседание о ямах",
            "held_on": "2025-04-01",
            "form": "in_absentia",
            "agenda": "Ямы",
            "participants": [head.pk, owner.pk],
            "chair": head.pk,
            "incident_numbers": f"№{mine.pk}",
        },
    )
    assert response.status_code == 302
    with municipality_scope(municipality.pk):
        meeting = Meeting.objects.get(title="Заседание о ямах")
        assert list(meeting.incidents.values_list("pk", flat=True)) == [mine.pk]
        assert meeting.form == Meeting.Form.IN_ABSENTIA
    assert (
        client.post(
            url("center_decision_add", municipality, meeting.pk), {"text": "Отремонтировать дорогу"}
        ).status_code
        == 302
    )
    with municipality_scope(municipality.pk):
        decision = meeting.decisions.get()
    response = client.post(
        url("center_assignment_create", municipality, meeting.pk, decision.pk),
        {"text": "Ямочный ремонт на ул. Ленина", "executor": owner.pk, "due_date": "2025-03-01"},
    )
    assert response.status_code == 400  # before the meeting
    assert "due_date" in response.context["form"].errors
    response = client.post(
        url("center_assignment_create", municipality, meeting.pk, decision.pk),
        {"text": "Ямочный ремонт на ул. Ленина", "executor": owner.pk, "due_date": "2025-04-15"},
    )
    assert response.status_code == 302
    response = client.post(
        url("center_protocol_sign", municipality, meeting.pk),
        {"number": "7", "signed_on": "2025-04-02"},
    )
    assert response.status_code == 302
    # A signed protocol is a document: its decisions no longer change.
    response = client.post(url("center_decision_add", municipality, meeting.pk), {"text": "Ещё"})
    assert response.status_code == 400
    assert "подписан" in response.content.decode()

    page = client.get(url("center_protocol_print", municipality, meeting.pk))
    text = page.content.decode()
    assert page.status_code == 200
    assert "ПРОТОКОЛ" in text
    assert "№ 7" in text
    assert "Ямочный ремонт на ул. Ленина" in text
    assert "до 15.04.2025" in text
    assert "заочная" in text

    docx_response = client.get(url("center_protocol_docx", municipality, meeting.pk))
    assert docx_response.status_code == 200
    assert docx_response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    import docx

    document = docx.Document(io.BytesIO(docx_response.content))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "ПРОТОКОЛ № 7" in paragraphs
    assert "1. Отремонтировать дорогу" in paragraphs
    assert "Ямочный ремонт на ул. Ленина" in cells
    assert "до 15.04.2025" in cells


def test_the_executor_sees_the_assignment_in_my_tasks_and_reports(municipality, make_user, login):
    owner = make_user(Role.SECTOR_OWNER, municipality)
    _, decision = make_meeting(municipality)
    assignment = make_assignment(decision, owner, date(2030, 1, 1), text="Провести обход дворов")
    client = login(owner)
    page = client.get(reverse("tasks", args=[municipality.slug]))
    assert page.status_code == 200
    assert [t.assignment.pk for t in page.context["assignments"]] == [assignment.pk]
    assert "Провести обход дворов" in page.content.decode()

    address = url("center_assignment", municipality, assignment.pk)
    assert client.post(address, {"report": "  "}).status_code == 400
    assert client.post(address, {"report": "Обход проведён"}).status_code == 302
    with municipality_scope(municipality.pk):
        assert Assignment.objects.get(pk=assignment.pk).status == "done"
    page = client.get(reverse("tasks", args=[municipality.slug]))
    assert page.context["assignments"] == []


def test_roadmaps_follow_the_block_of_the_seat(municipality, make_user, login):
    with municipality_scope(municipality.pk):
        roads = Sector.objects.get(municipality=municipality, code="roads")
        waste = Sector.objects.get(municipality=municipality, code="waste")
    from incidents.models import Topic

    roads_topic = Topic.objects.get(code="roads")
    owner = make_user(Role.SECTOR_OWNER, municipality, sector=roads)
    client = login(owner)
    form = {"title": "Ямы", "sector": waste.pk, "topics": [roads_topic.pk], "goal": "Меньше"}
    response = client.post(url("center_roadmap_create", municipality), form)
    assert response.status_code == 400
    assert "sector" in response.context["form"].errors
    response = client.post(url("center_roadmap_create", municipality), {**form, "topics": []})
    assert "topics" in response.context["form"].errors
    response = client.post(url("center_roadmap_create", municipality), {**form, "sector": roads.pk})
    assert response.status_code == 302
    with municipality_scope(municipality.pk):
        roadmap = Roadmap.objects.get(title="Ямы")
    assert (
        client.post(
            url("center_measure_add", municipality, roadmap.pk),
            {"title": "Ремонт", "due_date": "2025-05-01", "status": "planned"},
        ).status_code
        == 302
    )

    # The waste block's curator may not approve the roads block's roadmap; the roads one may.
    client = login(make_user(Role.SECTOR_CURATOR, municipality, sector=waste))
    client.post(url("center_roadmap_approve", municipality, roadmap.pk))
    with municipality_scope(municipality.pk):
        assert Roadmap.objects.get(pk=roadmap.pk).state == Roadmap.State.DRAFT
    curator = make_user(Role.SECTOR_CURATOR, municipality, sector=roads)
    client = login(curator)
    assert client.get(url("center_roadmap", municipality, roadmap.pk)).status_code == 200
    client.post(url("center_roadmap_approve", municipality, roadmap.pk))
    with municipality_scope(municipality.pk):
        approved = Roadmap.objects.get(pk=roadmap.pk)
    assert (approved.state, approved.approved_by_id) == (Roadmap.State.APPROVED, curator.pk)
    # The curator approves but does not edit (roadmaps.manage is the owners').
    assert client.get(url("center_roadmap_edit", municipality, roadmap.pk)).status_code == 403


def test_linking_an_incident_to_a_measure(
    municipality, other_municipality, make_user, login, foreign
):
    from datetime import UTC, datetime

    roadmap = make_roadmap(municipality)
    with municipality_scope(municipality.pk):
        measure = roadmap_services.measure_add(
            roadmap=roadmap, actor=None, title="Ремонт", due_date=date(2025, 5, 1)
        )
    incident = make_incident(municipality, received_at=datetime(2025, 4, 1, tzinfo=UTC))
    client = login(make_user(Role.HEAD, municipality))
    address = url("center_measure_link", municipality, roadmap.pk, measure.pk)
    response = client.post(address, {"incident": str(foreign["incident"].pk)})
    assert response.status_code == 400
    assert "не найдены" in response.context["link_form"].errors["incident"][0]
    assert client.post(address, {"incident": "abc"}).status_code == 400
    assert client.post(address, {"incident": str(incident.pk)}).status_code == 302
    response = client.post(address, {"incident": str(incident.pk)})
    assert response.status_code == 400  # already linked
    with municipality_scope(municipality.pk):
        assert list(MeasureIncident.objects.values_list("incident_id", flat=True)) == [incident.pk]


def test_the_hearings_form_checks_the_dates(municipality, make_user, login):
    client = login(make_user(Role.POS_OPERATOR, municipality))
    data = {
        "kind": "hearing",
        "title": "Сквер",
        "starts_on": "2025-03-10",
        "ends_on": "2025-03-01",
        "state": "held",
        "on_pos": "on",
    }
    response = client.post(url("center_hearing_create", municipality), data)
    assert response.status_code == 400
    assert "ends_on" in response.context["form"].errors
    response = client.post(
        url("center_hearing_create", municipality),
        {**data, "url": "javascript:alert(1)", "ends_on": "2025-03-12"},
    )
    assert "url" in response.context["form"].errors
    response = client.post(
        url("center_hearing_create", municipality),
        {
            **data,
            "ends_on": "2025-03-12",
            "decision": "Утвердить",
            "residents_informed": "on",
            "participants_count": "120",
        },
    )
    assert response.status_code == 302
    page = client.get(url("center_hearings", municipality) + "?year=2025")
    assert page.context["indicators"]["public_hearings_pos"].percent == 100.0
    assert client.get(url("center_hearings", municipality) + "?year=99999").status_code == 200


def test_the_nav_link_shows_only_with_a_center_capability(municipality, make_user, login):
    link = url("center_index", municipality)
    page = login(make_user(Role.HEAD, municipality)).get(reverse("home", args=[municipality.slug]))
    assert link in page.content.decode()
    page = login(make_user(Role.SUPPORT_OFFICER, municipality)).get(
        reverse("home", args=[municipality.slug])
    )
    assert link not in page.content.decode()


def test_seed_demo_creates_the_center_demo_once(municipality):
    call_command("seed_demo", verbosity=0, stdout=io.StringIO())
    with municipality_scope(municipality.pk):
        counts = (
            Meeting.objects.count(),
            Assignment.objects.count(),
            Roadmap.objects.count(),
            PublicHearing.objects.count(),
        )
    assert counts == (1, 3, 1, 2)
    assert set(Region.objects.values_list("cur_contact_email", flat=True)) >= {
        "cur-yugra@example.invalid"
    }
    log = SeedLog()
    from mcu.center.demo import center_demo_seed

    center_demo_seed(log=log)
    assert not log.changed_anything


def test_every_page_renders_on_the_demo_data(municipality, client, time_machine):
    """The demo data of ``seed_demo`` through every page, as the demo head (no 500s)."""
    from datetime import UTC, datetime

    # Mid-year, so both demo hearings (20 and 50 days ago) end in this year.
    time_machine.move_to(datetime(2025, 6, 15, 6, 0, tzinfo=UTC), tick=False)
    call_command("seed_demo", verbosity=0, stdout=io.StringIO())
    from roles.models import User

    client.force_login(User.objects.get(username="oktyabrsky-head"))
    with municipality_scope(municipality.pk):
        meeting = Meeting.objects.get()
        decision = meeting.decisions.order_by("number")[0]
        assignment = Assignment.objects.filter(status="open").order_by("pk")[0]
        roadmap = Roadmap.objects.get()
        measure = roadmap.measures.order_by("number")[0]
        hearing = PublicHearing.objects.order_by("pk")[0]
    pages = [
        url("center_index", municipality),
        url("center_meetings", municipality),
        url("center_meeting_create", municipality),
        url("center_meeting", municipality, meeting.pk),
        url("center_decision_edit", municipality, meeting.pk, decision.pk),
        url("center_assignment_create", municipality, meeting.pk, decision.pk),
        url("center_protocol_print", municipality, meeting.pk),
        url("center_assignments", municipality) + "?who=all&status=all",
        url("center_assignments", municipality) + "?status=nonsense",
        url("center_assignment", municipality, assignment.pk),
        url("center_assignment_edit", municipality, assignment.pk),
        url("center_roadmaps", municipality),
        url("center_roadmap_create", municipality),
        url("center_roadmap", municipality, roadmap.pk),
        url("center_roadmap_edit", municipality, roadmap.pk),
        url("center_measure_edit", municipality, roadmap.pk, measure.pk),
        url("center_hearings", municipality),
        url("center_hearing_create", municipality),
        url("center_hearing", municipality, hearing.pk),
    ]
    for address in pages:
        assert client.get(address).status_code == 200, address
    # A signed protocol's meeting is not edited: back to the meeting with a message.
    assert client.get(url("center_meeting_edit", municipality, meeting.pk)).status_code == 302
    # The demo hearings: the public hearing informed, the poll not → indicator 4 is 50 %.
    page = client.get(url("center_hearings", municipality))
    assert page.context["indicators"]["pos_decisions_informed"].percent == 50.0
