"""KPI targets from the act (Октябрьский, Приложение № 2) and the actuals the data can measure."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from incidents.models import Incident
from incidents.selectors import auto_routing_share
from mcu.kpi_seed import kpi_targets_seed
from mcu.models import KpiTarget, Municipality
from mcu.seeding import SeedLog
from mcu.tenancy import municipality_scope
from reports.kpi import kpi_actuals, kpi_lines
from reports.periods import parse_month
from reports.workbooks.kpi import kpi_monthly_workbook
from reports.xlsx import workbook_bytes

# The act's table as printed: № п/п, «Единица измерения» cell, the cells under 2025 … 2030.
ACT_TABLE = [
    (1, "Процент", ("90", "90", "90", "90", "90", "90")),
    (2, "Процент", ("72", "74", "76", "78", "80", "80")),
    (3, "Процент", ("90", "90", "90", "90", "90", "90")),
    (4, "Процент", ("100", "100", "100", "100", "100", "100")),
    (5, "Процент", ("72", "74", "76", "78", "80", "80")),
    (6, "Процент", ("55", "60", "65", "70", "75", "80")),
    (7, "70", ("80", "80", "80", "80", "80", "80")),  # the unit cell holds «70», see kpi_seed
]
# A copy of the act (shared/seeds/004_…txt, Октябрьский) kept with the tests, so CI checks the
# transcription against the act itself on a fresh clone.
ACT = Path(__file__).resolve().parent / "fixtures" / "oktyabrsky_act.txt"
INDICATORS = [
    "fast_track",
    "auto_delivery",
    "social_informing",
    "pos_decisions_informed",
    "roadmaps",
    "control_mechanisms",
    "public_hearings_pos",
]


def _act_rows(text: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """Rows of Приложение № 2 from the act's text: each row starts with its number; its last six
    cells are the years and the one before them the unit column."""
    start = text.index("Перечень плановых значений целевых показателей")
    cells = [line.strip() for line in text[start:].splitlines() if line.strip()]
    cells = cells[cells.index("2030") + 2 :]  # after the header «2030 / год»
    rows: list[list[str]] = []
    current: list[str] = []
    for cell in cells:
        # A row starts at the next number, once the previous row has its 9 cells at least.
        if cell == str(len(rows) + 1 + (1 if current else 0)) and (not current or len(current) > 7):
            if current:
                rows.append(current)
            current = [cell]
        else:
            current.append(cell)
    rows.append(current)
    return [(int(row[0]), row[-7], tuple(row[-6:])) for row in rows]


def test_transcription_matches_the_act_file():
    assert _act_rows(ACT.read_text(encoding="utf-8")) == ACT_TABLE


def test_seeded_targets_equal_the_act_cell_for_cell(municipality):
    with municipality_scope(municipality.pk):
        stored = {
            (t.indicator, t.year): t for t in KpiTarget.objects.filter(municipality=municipality)
        }
    assert len(stored) == 7 * 6
    for (number, unit, cells), indicator in zip(ACT_TABLE, INDICATORS, strict=True):
        for year, cell in zip(range(2025, 2031), cells, strict=True):
            target = stored[(indicator, year)]
            assert target.value == Decimal(cell), (number, year)
            assert target.number == number
            assert target.unit == ("Процент" if number == 7 else unit)
            assert (
                target.source == f"Октябрьский район, Положение о МЦУ, Приложение № 2, п. {number}"
            )
    assert "70" in stored[("public_hearings_pos", 2025)].note


def test_seed_is_idempotent_and_only_for_oktyabrsky(seeded, unscoped):
    log = SeedLog()
    kpi_targets_seed(log=log)
    assert not log.changed_anything
    assert set(KpiTarget.objects.values_list("municipality__slug", flat=True)) == {"oktyabrsky"}


def _incident(municipality: Municipality, key: str, received: datetime, **flags) -> None:
    Incident.objects.create(
        municipality=municipality,
        channel="pos",
        external_id=key,
        text="…",
        received_at=received,
        **flags,
    )


@pytest.fixture
def november(municipality, other_municipality):
    """Октябрьский, November 2026 (local): four delivered, one not yet; one in October."""
    nov = datetime(2026, 11, 10, 5, 0, tzinfo=UTC)
    with municipality_scope(municipality.pk):
        _incident(municipality, "a", nov, auto_routed=True, fast_track=True,
                  has_geo_confirmation=True)  # fmt: skip
        _incident(municipality, "b", nov, auto_routed=True, has_geo_confirmation=True)
        _incident(municipality, "c", nov, auto_routed=True)
        _incident(municipality, "d", nov, auto_routed=False)
        _incident(municipality, "e", nov, auto_routed=None, fast_track=True)  # not delivered
        # 1 Nov 00:30 local (+05) is 31 Oct in UTC: November.
        _incident(municipality, "f", datetime(2026, 10, 31, 19, 30, tzinfo=UTC), auto_routed=True)
        # 31 Oct 23:30 local: October.
        _incident(municipality, "g", datetime(2026, 10, 31, 18, 30, tzinfo=UTC), auto_routed=False)
    with municipality_scope(other_municipality.pk):
        _incident(other_municipality, "x", nov, auto_routed=False, fast_track=True)
    return municipality


def test_actuals_on_a_fixed_data_set(november):
    with municipality_scope(november.pk):
        month = parse_month("2026-11", november.tz)
        actuals = kpi_actuals(municipality=november, period=month)
        # Delivered in November: a, b, c, d, f = 5.
        assert (actuals["fast_track"].numerator, actuals["fast_track"].denominator) == (1, 5)
        assert actuals["fast_track"].percent == 20.0
        assert actuals["auto_delivery"].percent == 80.0  # a, b, c, f
        assert actuals["control_mechanisms"].percent == 40.0  # a, b
        for unmeasured in ("social_informing", "pos_decisions_informed", "roadmaps",
                           "public_hearings_pos"):  # fmt: skip
            assert actuals[unmeasured].percent is None
            assert actuals[unmeasured].note
        share = auto_routing_share(municipality=november, since=month.start, until=month.end)
        assert share.percent == actuals["auto_delivery"].percent


def test_lines_say_no_data_where_no_target(november, other_municipality):
    with municipality_scope(other_municipality.pk):
        month = parse_month("2026-11", other_municipality.tz)
        lines = kpi_lines(municipality=other_municipality, period=month)
    assert [line.target for line in lines] == [None] * 7
    assert {line.verdict for line in lines} == {"нет данных"}
    # Its own one delivered message (fast-track), nothing of Октябрьский's five.
    assert (lines[0].actual.numerator, lines[0].actual.denominator) == (1, 1)
    assert lines[0].actual.percent == 100.0


def test_monthly_workbook(november):
    with municipality_scope(november.pk):
        month = parse_month("2026-11", november.tz)
        book = load_workbook(BytesIO(workbook_bytes(
            kpi_monthly_workbook(municipality=november, period=month))))  # fmt: skip
    assert book.sheetnames == ["Показатели", "По месяцам"]
    rows = list(book["Показатели"].iter_rows(min_row=3, values_only=True))
    no = "нет данных"
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert [r[3] for r in rows] == [90, 74, 90, 100, 74, 60, 80]
    assert [r[4] for r in rows] == [20.0, 80.0, no, no, no, 40.0, no]
    assert [(r[5], r[6]) for r in rows[:2]] == [(1, 5), (4, 5)]
    assert [r[8] for r in rows] == ["не достигнут", "достигнут", no, no, no, "не достигнут", no]
    months = list(book["По месяцам"].iter_rows(min_row=2, values_only=True))
    assert months[0][3:] == ("Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль",
                             "Август", "Сентябрь", "Октябрь", "Ноябрь")  # fmt: skip
    auto = months[2]
    assert auto[:3] == (2, months[2][1], 74)
    assert auto[3:12] == (no,) * 9  # nothing delivered January … September
    assert auto[12:] == (0.0, 80.0)  # October: g (by hand); November: a, b, c, f of 5
