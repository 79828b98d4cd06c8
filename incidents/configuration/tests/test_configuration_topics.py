"""Topic → sector block / executor mapping: one table, a select per topic."""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE, DELETION

from incidents.configuration.tests.conftest import url
from incidents.configuration.tests.helpers import audit_of
from incidents.models import SectorTopic, Topic
from mcu.tenancy import municipality_scope
from roles.models import OrgUnit, Sector


def _mapping(municipality) -> dict[str, tuple[str | None, str | None]]:
    with municipality_scope(municipality.pk):
        return {
            code: (sector, unit)
            for code, sector, unit in SectorTopic.objects.filter(
                municipality=municipality
            ).values_list("topic__code", "sector__code", "org_unit__code")
        }


def _sectors(municipality) -> list[Sector]:
    with municipality_scope(municipality.pk):
        return list(Sector.objects.filter(municipality=municipality).order_by("order"))


def test_table_lists_every_topic_with_this_municipalitys_blocks_only(
    municipality, other_municipality, curator, login
):
    response = login(curator).get(url(municipality, "topics/"))
    assert response.status_code == 200
    body = response.content.decode()
    assert len(response.context["rows"]) == Topic.objects.filter(is_active=True).count()
    for sector in _sectors(municipality):
        assert f'<option value="s{sector.pk}"' in body
    for sector in _sectors(other_municipality):
        assert f'value="s{sector.pk}"' not in body
    # The curator reads the mapping; the administrator and the head change it.
    assert "disabled" in body
    assert "Сохранить сопоставление" not in body


def test_plain_post_saves_the_table_and_audits_each_change(municipality, admin, login):
    roads, potholes, waste, ecology = (
        Topic.objects.get(code=code) for code in ("roads", "roads.potholes", "waste", "ecology")
    )
    before = _mapping(municipality)
    assert (before["roads"], before["waste"], "ecology" in before) == (
        ("roads", None),
        ("waste", None),
        False,
    )
    improvement = next(s for s in _sectors(municipality) if s.code == "improvement")
    with municipality_scope(municipality.pk):
        unit = OrgUnit.objects.create(
            municipality=municipality,
            code="test-roads-dept",
            name="Отдел дорог",
            kind="structural_unit",
        )
        waste_link = SectorTopic.objects.get(municipality=municipality, topic=waste)
    response = login(admin).post(
        url(municipality, "topics/"),
        {
            f"t{roads.pk}": f"s{improvement.pk}",
            f"t{potholes.pk}": f"u{unit.pk}",
            f"t{waste.pk}": "",
            f"t{ecology.pk}": f"s{improvement.pk}",
        },
    )
    assert response.status_code == 302
    after = _mapping(municipality)
    assert {code: after.get(code) for code in ("roads", "roads.potholes", "waste", "ecology")} == {
        "roads": ("improvement", None),
        "roads.potholes": (None, "test-roads-dept"),
        "waste": None,
        "ecology": ("improvement", None),
    }
    unchanged = {k for k in before if k not in ("roads", "waste")}
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    with municipality_scope(municipality.pk):
        links = {
            link.topic_id: link
            for link in SectorTopic.objects.filter(
                municipality=municipality, topic__in=[roads, potholes, ecology]
            )
        }
    assert [flag for flag, _ in audit_of(links[roads.pk])] == [CHANGE]
    assert [flag for flag, _ in audit_of(links[potholes.pk])] == [ADDITION]
    assert [flag for flag, _ in audit_of(links[ecology.pk])] == [ADDITION]
    assert [flag for flag, _ in audit_of(waste_link)] == [DELETION]


def test_htmx_saves_one_row_and_answers_a_fragment(municipality, admin, login):
    snow = Topic.objects.get(code="roads.snow")
    sector = _sectors(municipality)[-1]
    response = login(admin).post(
        url(municipality, "topics/"), {f"t{snow.pk}": f"s{sector.pk}"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response.content.decode().strip() == '<span class="ok">Сохранено</span>'
    assert _mapping(municipality)["roads.snow"] == (sector.code, None)


def test_another_municipalitys_block_is_refused_and_nothing_saved(
    municipality, other_municipality, admin, login
):
    snow = Topic.objects.get(code="roads.snow")
    roads = Topic.objects.get(code="roads")
    foreign = _sectors(other_municipality)[0]
    own = _sectors(municipality)[-1]
    before = _mapping(municipality)
    response = login(admin).post(
        url(municipality, "topics/"),
        {f"t{roads.pk}": f"s{own.pk}", f"t{snow.pk}": f"s{foreign.pk}"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Сопоставление не сохранено: исправьте отмеченные строки." in body
    assert f'<td id="st{snow.pk}" class="status" aria-live="polite"><span class="errors">' in body
    assert _mapping(municipality) == before


def test_subtopic_shows_what_it_inherits(municipality, head, login):
    roads_sector = _mapping(municipality)["roads"][0]
    with municipality_scope(municipality.pk):
        name = Sector.objects.get(municipality=municipality, code=roads_sector).name
    body = login(head).get(url(municipality, "topics/")).content.decode()
    assert f"как у темы: {name}" in body
