"""Reading incidents: one 404 for missing and foreign; personal data only for allowed roles,
and every view of it on record."""

from __future__ import annotations

import pytest
from django.http import Http404

from incidents.models import IncidentEvent
from incidents.selectors import incident_citizen_for_actor, incident_get_for_actor
from incidents.tests.factories import make_incident
from mcu.tenancy import municipality_scope
from roles.models import Role
from roles.selectors import actor_capabilities


@pytest.fixture
def incident(municipality):
    return make_incident(municipality, channel="pos", citizen_name="Петрова Анна")


def caps(user, municipality):
    return actor_capabilities(user=user, municipality=municipality)


@pytest.mark.parametrize("bad_id", ["0", "-5", "abc", str(2**63), "", "1e3"])
def test_malformed_ids_are_404_not_500(municipality, make_user, bad_id):
    head = make_user(Role.HEAD, municipality)
    with municipality_scope(municipality.pk), pytest.raises(Http404):
        incident_get_for_actor(
            municipality=municipality, incident_id=bad_id, capabilities=caps(head, municipality)
        )


def test_foreign_incident_is_the_same_404_as_a_missing_one(
    municipality, other_municipality, make_user
):
    foreign = make_incident(other_municipality, channel="pos")
    head = make_user(Role.HEAD, municipality)
    with municipality_scope(municipality.pk):
        for incident_id in (foreign.pk, foreign.pk + 10_000):
            with pytest.raises(Http404):
                incident_get_for_actor(
                    municipality=municipality,
                    incident_id=incident_id,
                    capabilities=caps(head, municipality),
                )


def test_a_role_without_incident_view_gets_404(municipality, make_user, incident):
    admin = make_user(Role.TECH_ADMIN, municipality)
    with municipality_scope(municipality.pk), pytest.raises(Http404):
        incident_get_for_actor(
            municipality=municipality,
            incident_id=incident.pk,
            capabilities=caps(admin, municipality),
        )


def test_personal_data_is_shown_to_the_operator_and_the_view_is_recorded(
    municipality, make_user, incident
):
    operator = make_user(Role.POS_OPERATOR, municipality, channel="pos")
    with municipality_scope(municipality.pk):
        citizen = incident_citizen_for_actor(
            incident=incident, actor=operator, capabilities=caps(operator, municipality)
        )
        views = list(
            IncidentEvent.objects.filter(
                incident=incident, kind=IncidentEvent.Kind.PERSONAL_DATA_VIEW
            ).values_list("actor__username", flat=True)
        )
    assert citizen is not None
    assert citizen.name == "Петрова Анна"
    assert views == [operator.username]


@pytest.mark.parametrize("role", [Role.REGIONAL_ANALYST, Role.COORDINATOR, Role.SUPPORT_OFFICER])
def test_personal_data_is_hidden_from_roles_without_the_grant_and_nothing_is_recorded(
    municipality, make_user, incident, role
):
    viewer = make_user(role, municipality)
    with municipality_scope(municipality.pk):
        citizen = incident_citizen_for_actor(
            incident=incident, actor=viewer, capabilities=caps(viewer, municipality)
        )
        recorded = IncidentEvent.objects.filter(
            incident=incident, kind=IncidentEvent.Kind.PERSONAL_DATA_VIEW
        ).count()
    assert citizen is None
    assert recorded == 0


def test_an_operator_of_another_channel_does_not_see_personal_data(
    municipality, make_user, incident
):
    im_operator = make_user(Role.IM_OPERATOR, municipality, channel="im")
    with municipality_scope(municipality.pk):
        assert (
            incident_citizen_for_actor(
                incident=incident, actor=im_operator, capabilities=caps(im_operator, municipality)
            )
            is None
        )


def test_auto_routing_share_counts_delivered_incidents_of_this_municipality_only(
    municipality, other_municipality, make_user, login
):
    from incidents.selectors import auto_routing_share
    from incidents.services.lifecycle import incident_assign
    from roles.models import Sector

    make_incident(municipality, channel="pos", topic_code="roads.potholes")  # auto
    make_incident(municipality, channel="pos", topic_code="waste.collection")  # auto
    by_hand = make_incident(municipality, channel="pos", topic_code="other.other")  # unrouted
    make_incident(municipality, channel="pos", topic_code="other.other")  # still waiting
    make_incident(other_municipality, channel="pos", topic_code="roads.potholes")
    operator = make_user(Role.POS_OPERATOR, municipality, channel="pos")
    with municipality_scope(municipality.pk):
        roads = Sector.objects.get(municipality=municipality, code="roads")
        incident_assign(
            incident=by_hand, actor=operator, expected_version=by_hand.version, sector=roads
        )
        share = auto_routing_share(municipality=municipality)
    assert (share.automatic, share.manual, share.percent) == (2, 1, 66.7)
    body = login(operator).get(f"/m/{municipality.slug}/").content.decode()
    assert "66,7 %" in body or "66.7 %" in body
    assert "2 из 3" in body


def test_auto_routing_share_with_nothing_delivered_says_no_data(municipality, make_user, login):
    from incidents.selectors import auto_routing_share

    with municipality_scope(municipality.pk):
        assert auto_routing_share(municipality=municipality).percent is None
    body = login(make_user(Role.HEAD, municipality)).get(f"/m/{municipality.slug}/").content
    assert "нет данных" in body.decode()
