"""Report pages: who may open them (403 without the capability, 404 for another
municipality), and bad input answered with a clear 400, never a 500."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from mcu.models import Municipality
from mcu.tenancy import municipality_scope
from reports.models import ReportRun
from reports.tests import dataset
from roles.models import Role


@pytest.fixture
def queued(monkeypatch):
    sent: list[dict[str, int]] = []
    monkeypatch.setattr(
        "reports.tasks.report_generate_task.delay", lambda **kwargs: sent.append(kwargs)
    )
    return sent


def _url(name: str, municipality: Municipality, **kwargs: object) -> str:
    return reverse(name, kwargs={"municipality_slug": municipality.slug, **kwargs})


def _done_run(municipality: Municipality, settings, tmp_path) -> ReportRun:
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    with municipality_scope(municipality.pk):
        run = ReportRun.objects.create(
            municipality=municipality,
            kind="weekly_summary",
            period_code="2026-W46",
            period_start=date(2026, 11, 9),
            period_end=date(2026, 11, 16),
            trigger="schedule",
            state="done",
            file_name="Сводка_тест_2026-W46.xlsx",
        )
        run.file.save(f"{municipality.slug}-test.xlsx", ContentFile(b"PK-xlsx"), save=True)
    return run


PAGES = ["reports", "report_heatmap", "report_heatmap_cell"]


@pytest.mark.parametrize("page", PAGES)
def test_members_with_reports_view_open_every_page(page, municipality, make_user, login):
    client = login(make_user(Role.HEAD, municipality))
    response = client.get(_url(page, municipality), {"topic": "none", "column": "none"})
    assert response.status_code == 200


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", [Role.TECH_ADMIN, Role.EXECUTOR])
def test_members_without_the_capability_get_403(page, role, municipality, make_user, login):
    client = login(make_user(role, municipality))
    assert client.get(_url(page, municipality)).status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_another_municipality_is_404(page, municipality, other_municipality, make_user, login):
    client = login(make_user(Role.HEAD, other_municipality))
    assert client.get(_url(page, municipality)).status_code == 404


def test_download_own_run_and_404_for_a_foreign_one(
    municipality, other_municipality, make_user, login, settings, tmp_path
):
    own = _done_run(municipality, settings, tmp_path)
    foreign = _done_run(other_municipality, settings, tmp_path)
    client = login(make_user(Role.SUPPORT_OFFICER, municipality))
    response = client.get(_url("report_download", municipality, run_id=own.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK-xlsx"
    assert "filename*=utf-8''" in response["Content-Disposition"]
    # The foreign run's id under our own municipality, and under its own: both 404.
    assert client.get(_url("report_download", municipality, run_id=foreign.pk)).status_code == 404
    url = _url("report_download", other_municipality, run_id=foreign.pk)
    assert client.get(url).status_code == 404
    assert client.get(_url("report_download", municipality, run_id=10**12)).status_code == 404


def test_download_needs_reports_view(municipality, make_user, login, settings, tmp_path):
    own = _done_run(municipality, settings, tmp_path)
    client = login(make_user(Role.TECH_ADMIN, municipality))
    assert client.get(_url("report_download", municipality, run_id=own.pk)).status_code == 403


def test_archive_lists_only_own_runs(
    municipality, other_municipality, make_user, login, settings, tmp_path
):
    _done_run(municipality, settings, tmp_path)
    foreign = _done_run(other_municipality, settings, tmp_path)
    client = login(make_user(Role.HEAD, municipality))
    page = client.get(_url("reports", municipality)).content.decode()
    assert "Сводка_тест_2026-W46.xlsx" in page
    assert f"/runs/{foreign.pk}/" not in page
    partial = client.get(
        _url("reports", municipality), {"partial": "archive"}, HTTP_HX_REQUEST="true"
    )
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()


def test_generate_queues_a_run(
    municipality, make_user, login, queued, django_capture_on_commit_callbacks
):
    client = login(make_user(Role.SUPPORT_OFFICER, municipality))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("report_generate", municipality), {"kind": "weekly_summary", "week": "2026-W40"}
        )
    assert response.status_code == 302
    with municipality_scope(municipality.pk):
        run = ReportRun.objects.get(municipality=municipality)
    assert (run.kind, run.period_code, run.trigger, run.state) == (
        "weekly_summary",
        "2026-W40",
        "manual",
        "queued",
    )
    assert queued == [{"run_id": run.pk, "municipality_id": municipality.pk}]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"kind": "weekly_summary", "week": "неделя 5"}, "ГГГГ-Wнн"),
        ({"kind": "weekly_summary", "week": "2026-W99"}, "нет недели 99"),
        ({"kind": "weekly_summary", "week": "9" * 10000}, "ГГГГ-Wнн"),
        ({"kind": "weekly_summary", "week": "2099-W01"}, "ещё не начался"),
        ({"kind": "kpi_monthly", "month": "2026-13"}, "ГГГГ-ММ"),
        ({"kind": "kpi_monthly", "month": "\x00"}, "ГГГГ-ММ"),
        ({"kind": "drop table"}, "Выберите отчёт"),
        ({}, "Выберите отчёт"),
    ],
)
def test_generate_bad_input_is_a_clear_400(form, message, municipality, make_user, login, queued):
    client = login(make_user(Role.HEAD, municipality))
    response = client.post(_url("report_generate", municipality), form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert queued == []


def test_generate_needs_reports_generate(municipality, make_user, login, queued):
    owner = make_user(Role.SECTOR_OWNER, municipality)  # may view reports, not generate them
    client = login(owner)
    assert client.get(_url("reports", municipality)).status_code == 200
    response = client.post(
        _url("report_generate", municipality), {"kind": "problemator", "week": "2026-W40"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-13-01"},
        {"to": "вчера"},
        {"from": "2026-11-15", "to": "2026-11-01"},
        {"from": "1999-01-01", "to": "2026-01-01"},
        {"by": "oktmo"},
        {"colour": "<script>"},
        {"from": "2026-11-01\x00"},
    ],
)
def test_heatmap_bad_parameters_are_400(params, municipality, make_user, login):
    client = login(make_user(Role.HEAD, municipality))
    response = client.get(_url("report_heatmap", municipality), params)
    assert response.status_code == 400
    assert "<script>" not in response.content.decode()


@pytest.mark.parametrize("topic", ["abc", "-1", str(2**63), "0"])
def test_heatmap_cell_bad_ids_are_400(topic, municipality, make_user, login):
    client = login(make_user(Role.HEAD, municipality))
    response = client.get(_url("report_heatmap_cell", municipality), {"topic": topic})
    assert response.status_code == 400


def test_heatmap_shows_own_data_and_links_cells(
    seeded, municipality, other_municipality, make_user, login, time_machine
):
    time_machine.move_to(dataset.NOW, tick=False)
    made = dataset.build(municipality, other_municipality)
    client = login(make_user(Role.HEAD, municipality))
    page = client.get(
        _url("report_heatmap", municipality),
        {"from": "2026-11-09", "to": "2026-11-15", "by": "sector", "colour": "overdue"},
    ).content.decode()
    assert "Дороги" in page
    assert "Производственный блок" not in page
    assert "(25,0 %)" in page
    assert "(100,0 %)" in page
    assert "/reports/heatmap/cell/?from=2026-11-09&amp;to=2026-11-15&amp;by=sector" in page
    cell = client.get(
        _url("report_heatmap_cell", municipality),
        {
            "from": "2026-11-09",
            "to": "2026-11-15",
            "by": "sector",
            "topic": "none",
            "column": "none",
        },
    ).content.decode()
    assert "Сообщение o5" in cell
    assert "Сообщение o13" in cell
    assert "Ленский" not in cell
    assert "Сообщение o1<" not in cell
    assert made["o13"].citizen_name == ""  # no personal data columns on this page anyway


def test_regional_analyst_reads_reports(municipality, login):
    from incidents.tests.factories import regional_analyst

    client = login(regional_analyst(municipality))
    assert client.get(_url("reports", municipality)).status_code == 200
    response = client.post(
        _url("report_generate", municipality), {"kind": "problemator", "week": "2026-W40"}
    )
    assert response.status_code == 403


def test_nav_link_follows_the_capability(municipality, make_user, login):
    head = login(make_user(Role.HEAD, municipality)).get(_url("home", municipality))
    assert _url("reports", municipality) in head.content.decode()


def test_nav_link_hidden_without_capability(municipality, make_user, login):
    admin = login(make_user(Role.TECH_ADMIN, municipality)).get(_url("home", municipality))
    assert _url("reports", municipality) not in admin.content.decode()
