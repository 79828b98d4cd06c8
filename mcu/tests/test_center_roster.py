"""A change of the responsible person tells the regional ЦУР by e-mail (issue 8 item 5;
Октябрьский Регламент §1.4) and keeps the roster's history."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.db import transaction

from mcu.models import Region
from mcu.tasks import roster_change_notify_task
from mcu.tenancy import municipality_scope
from roles.models import Role, RoleAssignment, User
from roles.selectors import roster_for_municipality
from roles.services import role_assignment_replace


@pytest.fixture
def run_tasks_inline(monkeypatch):
    monkeypatch.setattr(
        "mcu.tasks.roster_change_notify_task.delay",
        lambda **kwargs: roster_change_notify_task(**kwargs),
    )


def _head_row(municipality) -> RoleAssignment:
    with municipality_scope(municipality.pk):
        return RoleAssignment.objects.get(
            municipality=municipality, role=Role.HEAD, source=RoleAssignment.Source.ACT
        )


def test_replacing_the_head_emails_the_cur_after_commit_and_keeps_history(
    municipality, run_tasks_inline, django_capture_on_commit_callbacks
):
    Region.objects.filter(pk=municipality.region_id).update(cur_contact_email="cur@yugra.example")
    row = _head_row(municipality)
    assert row.user is not None
    old_name = row.user.display_name
    successor = User.objects.create_user(
        username="new-head", full_name="Петрова Мария Ивановна", position="Начальник отдела"
    )
    with django_capture_on_commit_callbacks(execute=True), municipality_scope(municipality.pk):
        started = role_assignment_replace(
            assignment=row, new_user=successor, on=date(2026, 3, 1), note="Приказ № 12-к"
        )

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["cur@yugra.example"]
    assert message.subject == "[МЦУ] Смена ответственного лица: Октябрьский район"
    assert f"Исполнял(а) по 28.02.2026: {old_name}" in message.body
    assert "Исполняет с 01.03.2026: Петрова Мария Ивановна (Начальник отдела)" in message.body
    assert "Роль: Руководитель МЦУ" in message.body
    assert "Приказ № 12-к" in message.body

    with municipality_scope(municipality.pk):
        ended = RoleAssignment.objects.get(pk=row.pk)
        roster = roster_for_municipality(municipality=municipality, on=date(2026, 3, 1))
    assert (ended.valid_to, started.valid_from) == (date(2026, 2, 28), date(2026, 3, 1))
    assert ended in roster.history
    assert started in roster.current


def test_nothing_is_sent_for_a_rolled_back_change(
    municipality, run_tasks_inline, django_capture_on_commit_callbacks
):
    Region.objects.filter(pk=municipality.region_id).update(cur_contact_email="cur@yugra.example")
    successor = User.objects.create_user(username="new-head")
    with django_capture_on_commit_callbacks(execute=True), municipality_scope(municipality.pk):
        try:
            with transaction.atomic():
                role_assignment_replace(
                    assignment=_head_row(municipality), new_user=successor, on=date(2026, 3, 1)
                )
                raise RuntimeError("the form failed after the service")
        except RuntimeError:
            pass
    assert mail.outbox == []


def test_a_region_without_a_contact_logs_and_sends_nothing(
    municipality, run_tasks_inline, django_capture_on_commit_callbacks, caplog
):
    Region.objects.filter(pk=municipality.region_id).update(cur_contact_email="")
    successor = User.objects.create_user(username="new-head")
    with django_capture_on_commit_callbacks(execute=True), municipality_scope(municipality.pk):
        role_assignment_replace(
            assignment=_head_row(municipality), new_user=successor, on=date(2026, 3, 1)
        )
    assert mail.outbox == []
    assert "has no cur_contact_email" in caplog.text
