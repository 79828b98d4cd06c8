"""``stats/summary``, ``reports/weekly`` and ``kpis`` give the reports app's own figures."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from mcu.models import KpiTarget
from mcu.tenancy import municipality_scope
from reports.selectors import SUMMARY_FIELDS, SUMMARY_LABELS
from reports.tests import dataset
from roles.models import Channel

pytestmark = pytest.mark.django_db

BLOCKS = {"Все каналы": "total", **{str(c.label): c.value for c in Channel}}


@pytest.fixture
def data(seeded, time_machine, yugra, lensky):
    time_machine.move_to(dataset.NOW, tick=False)
    return dataset.build(yugra, lensky)


def workbook_figures(content: bytes) -> dict[str, dict[str, dict[str, int]]]:
    """«Сводка»: {"this"|"previous": {block: {field: value}}} as the sheet prints them."""
    sheet = load_workbook(BytesIO(content))["Сводка"]
    by_label = {str(label): name for name, label in SUMMARY_LABELS.items()}
    figures: dict[str, dict[str, dict[str, int]]] = {"this": {}, "previous": {}}
    for block, label, this_week, previous_week, *_ in sheet.iter_rows(min_row=3, values_only=True):
        key, field = BLOCKS[str(block)], by_label[str(label)]
        assert isinstance(this_week, int)
        assert isinstance(previous_week, int)
        figures["this"].setdefault(key, {})[field] = this_week
        figures["previous"].setdefault(key, {})[field] = previous_week
    return figures


def api_figures(client, slug: str, first: str, last: str) -> dict[str, dict[str, int]]:
    response = client.get(
        "/api/v1/stats/summary/", {"municipality": slug, "from": first, "to": last}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["from"] == first
    assert body["to"] == last
    return {"total": body["total"], **body["by_channel"]}


@pytest.mark.parametrize(("slug", "offset"), [("oktyabrsky", "+05:00"), ("lensky", "+09:00")])
def test_summary_equals_the_weekly_workbook(api, data, slug, offset) -> None:
    client = api(region_codes=["86", "14"])
    response = client.get("/api/v1/reports/weekly/", {"municipality": slug, "week": dataset.WEEK})
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    book = workbook_figures(response.content)
    this_week = api_figures(client, slug, "2026-11-09", "2026-11-15")
    assert this_week == book["this"]
    assert api_figures(client, slug, "2026-11-02", "2026-11-08") == book["previous"]
    assert sum(this_week["total"].values()) > 0  # the data set is not empty for either
    body = client.get(
        "/api/v1/stats/summary/",
        {"municipality": slug, "from": "2026-11-09", "to": "2026-11-15"},
    ).json()
    # The period is local days: Monday 00:00 to the next Monday 00:00 in the municipality's zone.
    assert body["period"] == {
        "start": f"2026-11-09T00:00:00{offset}",
        "end": f"2026-11-16T00:00:00{offset}",
    }
    assert set(body["total"]) == set(SUMMARY_FIELDS)


def test_summary_of_the_data_set_by_hand(api, data) -> None:
    """The hand-computed totals of reports/tests/dataset.py for Октябрьский, week 46."""
    totals = api_figures(api(region_codes=["86"]), "oktyabrsky", "2026-11-09", "2026-11-15")
    assert tuple(totals["total"][name] for name in SUMMARY_FIELDS) == (7, 5, 2, 2, 1, 4, 1, 1, 1)


def test_kpis_are_targets_and_actuals_in_the_acts_order(api, data, yugra) -> None:
    body = (
        api(region_codes=["86"])
        .get("/api/v1/kpis/", {"municipality": "oktyabrsky", "year": "2026"})
        .json()
    )
    assert [line["number"] for line in body["indicators"]] == [1, 2, 3, 4, 5, 6, 7]
    with municipality_scope(yugra.pk):
        targets = {
            t.indicator: float(t.value)
            for t in KpiTarget.objects.filter(municipality=yugra, year=2026)
        }
    assert targets  # Октябрьский, Приложение № 2: seeded
    assert {
        line["indicator"]: line["target"]
        for line in body["indicators"]
        if line["target"] is not None
    } == targets
    assert body["period"]["start"] == "2026-01-01T00:00:00+05:00"
    assert [month["month"] for month in body["months"]][:2] == ["2026-01", "2026-02"]
    assert body["months"][-1]["month"] == "2026-11"
    auto = next(line for line in body["indicators"] if line["indicator"] == "auto_delivery")
    assert auto["actual"]["denominator"] is not None
