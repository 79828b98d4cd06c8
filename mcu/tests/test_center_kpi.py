"""Indicators fed by the center's registries, on fixed data with hand-computed values, and the
roadmaps' «before / after» windows (issue 8 items 2–3)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mcu.center.hearings import IndicatorActual, hearings_kpi_actuals
from mcu.center.roadmaps import measure_add, measure_link_incident
from mcu.center.selectors import roadmap_effect, roadmaps_kpi_actual
from mcu.models import MeasureStatus, PublicHearing, Roadmap
from mcu.tenancy import municipality_scope
from mcu.tests.center_factories import make_hearing, make_incident, make_roadmap

H, D, P = PublicHearing.Kind.HEARING, PublicHearing.Kind.DISCUSSION, PublicHearing.Kind.POLL
HELD, PLANNED, CANCELLED = (
    PublicHearing.State.HELD,
    PublicHearing.State.PLANNED,
    PublicHearing.State.CANCELLED,
)


def _hearing(
    municipality,
    n,
    kind,
    *,
    on_pos,
    decision="",
    informed=False,
    state=HELD,
    starts=date(2025, 3, 1),
    ends=date(2025, 3, 10),
):
    make_hearing(
        municipality,
        title=f"#{n}",
        kind=kind,
        on_pos=on_pos,
        decision=decision,
        residents_informed=informed,
        state=state,
        starts_on=starts,
        ends_on=ends,
    )


def test_indicators_4_and_7_on_a_fixed_data_set(municipality, other_municipality):
    m = municipality
    _hearing(m, 1, H, on_pos=True, decision="Утвердить", informed=True)  # 4: n/d   7: n/d
    _hearing(m, 2, H, on_pos=False, decision="Утвердить", informed=True)  # 4: —   7: d
    _hearing(m, 3, D, on_pos=True)  # no decision                          4: —   7: n/d
    _hearing(m, 4, P, on_pos=True, decision="Включить")  # not informed     4: d   7: — (poll)
    _hearing(m, 5, P, on_pos=True, decision="Включить", informed=True)  #  4: n/d 7: —
    _hearing(m, 6, H, on_pos=True, decision="x", informed=True, state=PLANNED)  # not held
    _hearing(m, 7, H, on_pos=True, decision="x", informed=True, state=CANCELLED)  # not held
    _hearing(m, 8, H, on_pos=True, starts=date(2024, 12, 20), ends=date(2024, 12, 31))  # 2024
    _hearing(m, 9, H, on_pos=True, decision="x", starts=date(2025, 12, 20), ends=date(2026, 1, 10))
    _hearing(m, 10, D, on_pos=False)  # 7: d
    _hearing(other_municipality, 11, H, on_pos=True, decision="x", informed=True)  # elsewhere

    with municipality_scope(m.pk):
        y2025 = hearings_kpi_actuals(municipality=m, year=2025)
        y2024 = hearings_kpi_actuals(municipality=m, year=2024)
        y2026 = hearings_kpi_actuals(municipality=m, year=2026)
        y2023 = hearings_kpi_actuals(municipality=m, year=2023)

    # 2025, indicator 4: decisions of held ПОС records = #1, #4, #5; informed = #1, #5 → 2/3.
    assert (
        y2025["pos_decisions_informed"].percent,
        y2025["pos_decisions_informed"].numerator,
        y2025["pos_decisions_informed"].denominator,
    ) == (66.7, 2, 3)
    # 2025, indicator 7: held hearings/discussions = #1, #2, #3, #10; on ПОС = #1, #3 → 2/4.
    assert (
        y2025["public_hearings_pos"].percent,
        y2025["public_hearings_pos"].numerator,
        y2025["public_hearings_pos"].denominator,
    ) == (50.0, 2, 4)
    # 2024: #8 only — a hearing on the ПОС without a decision.
    assert y2024["pos_decisions_informed"].percent is None
    assert (y2024["public_hearings_pos"].percent, y2024["public_hearings_pos"].denominator) == (
        100.0,
        1,
    )
    # 2026: #9 ended in January 2026, decision not told to residents → 0 of 1.
    assert y2026["pos_decisions_informed"].percent == 0.0
    assert y2026["public_hearings_pos"].percent == 100.0
    # Nothing at all: «нет данных», not 0 %.
    assert y2023["pos_decisions_informed"] == IndicatorActual(
        None, None, None, "нет проведённых на ПОС опросов и слушаний с принятым решением"
    )
    assert y2023["public_hearings_pos"].percent is None


def test_roadmap_windows_before_and_after_approval(municipality, other_municipality):
    roadmap = make_roadmap(municipality, topic_code="roads")  # roads and its subtopics
    with municipality_scope(municipality.pk):
        Roadmap.objects.filter(pk=roadmap.pk).update(
            state=Roadmap.State.APPROVED, approved_on=date(2025, 3, 1)
        )
        roadmap.refresh_from_db()

    def at(y, mo, d, h=0, mi=0):  # local time in Yekaterinburg (UTC+5), as UTC
        return datetime(y, mo, d, h, mi, tzinfo=UTC) - __import__("datetime").timedelta(hours=5)

    # Today 10.04.2025 local: «after» = 01.03–10.04 (41 days), «before» = 19.01–28.02 (41 days).
    make_incident(municipality, received_at=at(2025, 1, 18, 23, 59))  # a minute too early
    make_incident(municipality, received_at=at(2025, 1, 19))  # before: first minute
    make_incident(municipality, received_at=at(2025, 2, 28, 23, 59), topic="roads.snow")  # before
    make_incident(municipality, received_at=at(2025, 3, 1))  # after: first minute
    make_incident(municipality, received_at=at(2025, 4, 10, 23, 59))  # after: last minute
    make_incident(municipality, received_at=at(2025, 3, 5), topic="zhkh.heating")  # other topic
    make_incident(other_municipality, received_at=at(2025, 3, 5))  # other municipality
    with municipality_scope(municipality.pk):
        effect = roadmap_effect(roadmap=roadmap, today=date(2025, 4, 10))
    assert (effect.before.first_day, effect.before.last_day, effect.before.count) == (
        date(2025, 1, 19),
        date(2025, 2, 28),
        2,
    )
    assert effect.after is not None
    assert (effect.after.first_day, effect.after.last_day, effect.after.count) == (
        date(2025, 3, 1),
        date(2025, 4, 10),
        2,
    )
    assert (effect.before.days, effect.after.days, effect.change) == (41, 41, 0)

    # Long after: «after» stops at 90 days, «before» is the 90 days before approval.
    with municipality_scope(municipality.pk):
        effect = roadmap_effect(roadmap=roadmap, today=date(2025, 12, 31))
    assert effect.after is not None
    assert (effect.after.first_day, effect.after.last_day) == (date(2025, 3, 1), date(2025, 5, 29))
    assert (effect.before.first_day, effect.before.days) == (date(2024, 12, 1), 90)

    # Not approved: the last 90 days up to today, no «after».
    with municipality_scope(municipality.pk):
        Roadmap.objects.filter(pk=roadmap.pk).update(state=Roadmap.State.DRAFT, approved_on=None)
        roadmap.refresh_from_db()
        effect = roadmap_effect(roadmap=roadmap, today=date(2025, 3, 1))
    assert (effect.before.first_day, effect.before.last_day, effect.after) == (
        date(2024, 12, 2),
        date(2025, 3, 1),
        None,
    )
    assert effect.before.count == 4  # 18.01 23:59, 19.01, 28.02 (snow), 01.03


def test_indicator_5_counts_incidents_linked_to_done_measures(municipality):
    roadmap = make_roadmap(municipality)
    received = datetime(2025, 5, 1, 5, 0, tzinfo=UTC)
    incidents = [make_incident(municipality, received_at=received) for _ in range(4)]
    with municipality_scope(municipality.pk):
        done = measure_add(roadmap=roadmap, actor=None, title="A", due_date=date(2025, 6, 1))
        planned = measure_add(roadmap=roadmap, actor=None, title="B", due_date=date(2025, 6, 1))
        done.status = MeasureStatus.DONE
        done.save(update_fields=["status"])
        measure_link_incident(measure=done, actor=None, incident=incidents[0])
        measure_link_incident(measure=planned, actor=None, incident=incidents[1])
        delivered = sum(1 for i in incidents if i.auto_routed is not None)
        actual = roadmaps_kpi_actual(municipality=municipality, year=2025)["roadmaps"]
        nothing = roadmaps_kpi_actual(municipality=municipality, year=2024)["roadmaps"]
    assert delivered == 4  # pothole messages reach the roads block automatically
    assert (actual.percent, actual.numerator, actual.denominator) == (25.0, 1, 4)
    assert nothing.percent is None
