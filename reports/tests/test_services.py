"""The schedule (Monday 08:00 local, exactly once), generation, the archive, the e-mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from django.db import IntegrityError, transaction
from openpyxl import load_workbook

from mcu.models import Municipality
from mcu.tenancy import municipality_scope
from reports import services
from reports.models import ReportRun
from reports.periods import parse_week
from reports.services import report_run_generate, report_run_request, reports_schedule
from roles.models import Role, User
from roles.selectors import role_holders

# Monday 23 November 2026, 00:30 UTC: 09:30 in Yakutsk, 07:30 in Krasnoyarsk, 05:30 in
# Yekaterinburg, 03:30 in Moscow.
MONDAY = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def queued(monkeypatch):
    """Task ids handed to the broker (after commit), instead of a real broker."""
    sent: list[dict[str, int]] = []
    monkeypatch.setattr(
        "reports.tasks.report_generate_task.delay", lambda **kwargs: sent.append(kwargs)
    )
    return sent


def _scheduled() -> set[tuple[str, str, str]]:
    from mcu.tenancy import dangerously_unscoped

    with dangerously_unscoped(reason="test assertions across tenants"):
        return set(
            ReportRun.objects.filter(trigger="schedule").values_list(
                "municipality__slug", "kind", "period_code"
            )
        )


def test_each_municipality_on_its_own_monday_morning_exactly_once(
    seeded, time_machine, queued, django_capture_on_commit_callbacks
):
    time_machine.move_to(MONDAY, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        first = reports_schedule()
        again = reports_schedule()  # beat fires twice
    kpi = {(slug, "kpi_monthly", "2026-10") for slug in
           ("lensky", "askiz", "sosnovoborsk", "lovozero", "oktyabrsky")}  # fmt: skip
    # Only Yakutsk has reached 08:00; the October KPI report was due everywhere since 1 Nov.
    assert _scheduled() == kpi | {
        ("lensky", "weekly_summary", "2026-W47"),
        ("lensky", "problemator", "2026-W47"),
    }
    assert again == []
    assert len(first) == len(queued) == 7

    time_machine.move_to(MONDAY + timedelta(hours=2, minutes=30), tick=False)  # 08:00 +05
    with django_capture_on_commit_callbacks(execute=True):
        reports_schedule()
    weekly = {slug for slug, kind, _code in _scheduled() if kind == "weekly_summary"}
    assert weekly == {"lensky", "askiz", "sosnovoborsk", "oktyabrsky"}

    time_machine.move_to(MONDAY + timedelta(hours=4, minutes=30), tick=False)  # 08:00 Moscow
    with django_capture_on_commit_callbacks(execute=True):
        reports_schedule()
        reports_schedule()
    assert len(_scheduled()) == 5 * 3
    assert len(queued) == 15  # each run queued once, however often beat fired


def test_the_database_refuses_a_second_scheduled_run(seeded):
    municipality = Municipality.objects.get(slug="lensky")
    fields = {
        "municipality": municipality,
        "kind": "weekly_summary",
        "period_code": "2026-W47",
        "period_start": datetime(2026, 11, 16).date(),
        "period_end": datetime(2026, 11, 23).date(),
    }
    with municipality_scope(municipality.pk):
        ReportRun.objects.create(trigger="schedule", **fields)
        ReportRun.objects.create(trigger="manual", **fields)  # on demand: allowed again
        with pytest.raises(IntegrityError), transaction.atomic():
            ReportRun.objects.create(trigger="schedule", **fields)


def test_generation_files_the_workbook_and_mails_head_and_curator_once(
    seeded, time_machine, queued, media, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.CSRF_TRUSTED_ORIGINS = ["https://mcu.example.ru"]
    time_machine.move_to(MONDAY, tick=False)
    lensky = Municipality.objects.get(slug="lensky")
    with municipality_scope(lensky.pk):
        people = role_holders(municipality=lensky, roles=[Role.HEAD, Role.CURATOR])
    assert people, "the act names Ленский's head and curator"
    for number, person in enumerate(people):
        User.objects.filter(pk=person.pk).update(email=f"person{number}@lensky.example")
    with django_capture_on_commit_callbacks(execute=True):
        reports_schedule()
    weekly = next(q for q in queued if _kind(q["run_id"]) == "weekly_summary")

    run = report_run_generate(**weekly)
    assert run is not None
    assert run.state == ReportRun.State.DONE
    assert run.progress == 100
    assert run.file_name == "Сводка_Ленский район_2026-W47.xlsx"
    book = load_workbook(BytesIO(run.file.read()))
    assert book.sheetnames[0] == "Сводка"
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert sorted(mail.to) == sorted(f"person{n}@lensky.example" for n in range(len(people)))
    assert f"https://mcu.example.ru/m/lensky/reports/runs/{run.pk}/download/" in mail.body

    assert report_run_generate(**weekly) is None  # a redelivered task: nothing twice
    assert len(mailoutbox) == 1


def _kind(run_id: int) -> str:
    from mcu.tenancy import dangerously_unscoped

    with dangerously_unscoped(reason="test lookup"):
        return ReportRun.objects.get(pk=run_id).kind


def test_on_demand_run_is_queued_after_commit_and_may_repeat(
    municipality, make_user, queued, media, django_capture_on_commit_callbacks
):
    head = make_user(Role.HEAD, municipality)
    period = parse_week("2026-W40", municipality.tz)
    with municipality_scope(municipality.pk), django_capture_on_commit_callbacks(execute=True):
        one = report_run_request(
            municipality=municipality, kind="problemator", period=period, user=head
        )
        two = report_run_request(
            municipality=municipality, kind="problemator", period=period, user=head
        )
    assert queued == [
        {"run_id": one.pk, "municipality_id": municipality.pk},
        {"run_id": two.pk, "municipality_id": municipality.pk},
    ]
    done = report_run_generate(run_id=one.pk, municipality_id=municipality.pk)
    assert done is not None
    assert done.state == "done"
    assert done.notified_at is None
    with pytest.raises(ValueError, match="cannot be built"):
        report_run_request(municipality=municipality, kind="kpi_monthly", period=period, user=head)


def test_a_failing_build_is_recorded_not_lost(municipality, make_user, media, monkeypatch):
    head = make_user(Role.HEAD, municipality)
    with municipality_scope(municipality.pk):
        run = report_run_request(
            municipality=municipality,
            kind="weekly_summary",
            period=parse_week("2026-W40", municipality.tz),
            user=head,
        )

    def broken(**_kwargs):
        raise RuntimeError("диск переполнен")

    monkeypatch.setitem(
        services.SPECS,
        "weekly_summary",
        services.ReportSpec("x", "x", services.SPECS["weekly_summary"].period_kind, broken),
    )
    failed = report_run_generate(run_id=run.pk, municipality_id=municipality.pk)
    assert failed is not None
    assert failed.state == "failed"
    assert failed.error == "диск переполнен"


def test_a_run_lost_with_its_worker_is_taken_over(municipality, make_user, media, time_machine):
    head = make_user(Role.HEAD, municipality)
    time_machine.move_to(MONDAY, tick=False)
    with municipality_scope(municipality.pk):
        run = report_run_request(
            municipality=municipality,
            kind="problemator",
            period=parse_week("2026-W40", municipality.tz),
            user=head,
        )
        ReportRun.objects.filter(pk=run.pk).update(state="running", started_at=MONDAY)
    assert report_run_generate(run_id=run.pk, municipality_id=municipality.pk) is None
    time_machine.move_to(MONDAY + timedelta(minutes=31), tick=False)
    taken = report_run_generate(run_id=run.pk, municipality_id=municipality.pk)
    assert taken is not None
    assert taken.state == "done"
