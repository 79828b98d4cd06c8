"""Heat map, problemator and ratings on the hand-computed data set of ``dataset.py``."""

from __future__ import annotations

import pytest

from incidents.models import Topic
from mcu.models import Municipality
from mcu.tenancy import municipality_scope
from reports.heatmap import HeatCell, HeatmapAxis, heatmap, heatmap_cell_incidents
from reports.periods import parse_week
from reports.problemator import problemator
from reports.tests import dataset
from roles.models import Sector


@pytest.fixture
def data(seeded, time_machine):
    time_machine.move_to(dataset.NOW, tick=False)
    oktyabrsky = Municipality.objects.get(slug="oktyabrsky")
    lensky = Municipality.objects.get(slug="lensky")
    return oktyabrsky, lensky, dataset.build(oktyabrsky, lensky)


def test_heatmap_by_sector_counts_and_overdue_shares(data):
    oktyabrsky, _lensky, made = data
    roads_topic = Topic.objects.get(code="roads").pk
    transport_topic = Topic.objects.get(code="transport").pk
    with municipality_scope(oktyabrsky.pk):
        roads = Sector.objects.get(municipality=oktyabrsky, code="roads").pk
        transport = Sector.objects.get(municipality=oktyabrsky, code="transport").pk
        week = parse_week(dataset.WEEK, oktyabrsky.tz)
        result = heatmap(municipality=oktyabrsky, period=week, axis=HeatmapAxis.SECTOR)
        # roads × Дороги: o1, o2 (late), o3, o12 (merged); transport × Транспорт: o4 (open,
        # past due); none × none: o5 (due after Sunday 24:00), o13 (answered late).
        assert result.cells == {
            (roads_topic, roads): HeatCell(4, 1),
            (transport_topic, transport): HeatCell(1, 1),
            (None, None): HeatCell(2, 1),
        }
        assert result.max_count == 4
        assert result.cells[(roads_topic, roads)].overdue_percent == 25.0
        assert [name for _id, name in result.rows] == ["Дороги", "Транспорт", "Тема не определена"]
        assert [name for _id, name in result.columns] == ["Дороги", "Транспорт", "Без блока"]
        behind = heatmap_cell_incidents(
            municipality=oktyabrsky,
            period=week,
            axis=HeatmapAxis.SECTOR,
            topic_id=roads_topic,
            column_id=roads,
        )
        assert {i.pk for i in behind} == {made[k].pk for k in ("o1", "o2", "o3", "o12")}
        by_settlement = heatmap(municipality=oktyabrsky, period=week, axis=HeatmapAxis.SETTLEMENT)
        assert [name for _id, name in by_settlement.columns] == ["Поселение не указано"]


def test_problemator_counts_and_trend(data):
    oktyabrsky, _lensky, _made = data
    with municipality_scope(oktyabrsky.pk):
        rows = problemator(municipality=oktyabrsky, period=parse_week(dataset.WEEK, oktyabrsky.tz))
    assert [
        (
            r.topic,
            r.settlement,
            r.count,
            r.repeats,
            r.overdue,
            r.previous_week,
            r.previous_average,
            r.trend,
        )
        for r in rows
    ] == [
        ("Дороги → Ямы и разрушение покрытия", "Поселение не указано", 4, 1, 0, 1, 0.25, "рост"),
        ("Тема не определена", "Поселение не указано", 2, 0, 1, 3, 0.75, "рост"),
        ("Транспорт", "Поселение не указано", 1, 1, 1, 1, 0.25, "рост"),
    ]


def test_other_municipality_sees_nothing_of_these(data):
    _oktyabrsky, lensky, _made = data
    with municipality_scope(lensky.pk):
        week = parse_week(dataset.WEEK, lensky.tz)
        cells = heatmap(municipality=lensky, period=week, axis=HeatmapAxis.SECTOR).cells
        rows = problemator(municipality=lensky, period=week)
    assert sum(cell.count for cell in cells.values()) == 3  # l1, l2, l4
    assert sum(row.count for row in rows) == 3
