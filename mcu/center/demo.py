"""Demo data of the center's work for Октябрьский (``manage.py seed_demo``), idempotent.

A meeting with a signed protocol and three assignments (one overdue, one due soon, one done), a
roadmap for potholes in the roads block with its measures, and two records of the hearings
registry. Rows are found by their title and created once, with dates relative to the day of
the first run; a second run changes nothing. Regions with no ЦУР contact get a placeholder
address on the reserved ``.invalid`` domain, so a roster change on a laptop shows its e-mail in
the console without ever reaching a real mailbox.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from incidents.models import Topic
from mcu.center.meetings import (
    assignment_complete,
    assignment_create,
    decision_add,
    meeting_create,
    protocol_sign,
)
from mcu.center.roadmaps import measure_add, roadmap_create
from mcu.models import MeasureStatus, Meeting, Municipality, PublicHearing, Region, Roadmap
from mcu.seeding import SeedLog
from mcu.tenancy import municipality_scope
from roles.models import Sector, User

MEETING_TITLE = "Итоги работы с сообщениями граждан за месяц и меры по снижению просрочек"
ROADMAP_TITLE = "Ямочный ремонт: устранение причин повторных сообщений о разрушении покрытия"
HEARINGS = (
    "Проект благоустройства сквера в пгт. Октябрьское",
    "Выбор общественной территории для благоустройства в следующем году",
)


def _demo_user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def cur_contact_placeholders_seed(*, log: SeedLog) -> None:
    """``cur-<region>@example.invalid`` where a region has no ЦУР contact yet (never over one
    an administrator entered)."""
    for region in Region.objects.filter(cur_contact_email=""):
        region.cur_contact_email = f"cur-{region.slug}@example.invalid"
        region.save(update_fields=["cur_contact_email"])
        log.record("mcu.Region", created=False, changed=True)


@transaction.atomic
def center_demo_seed(*, log: SeedLog) -> None:
    cur_contact_placeholders_seed(log=log)
    municipality = Municipality.objects.filter(slug="oktyabrsky").first()
    head, curator = _demo_user("oktyabrsky-head"), _demo_user("oktyabrsky-curator")
    owner = _demo_user("oktyabrsky-sector-owner")
    if municipality is None or not (head and curator and owner):
        return  # the acts or the demo accounts are not seeded: nothing to attach to
    with municipality_scope(municipality.pk):
        today = municipality.local_time().date()
        if not Meeting.objects.filter(municipality=municipality, title=MEETING_TITLE).exists():
            _meeting(municipality, today, head=head, curator=curator, owner=owner)
            log.record("mcu.Meeting", created=True)
        if not Roadmap.objects.filter(municipality=municipality, title=ROADMAP_TITLE).exists():
            _roadmap(municipality, today, owner=owner, curator=curator)
            log.record("mcu.Roadmap", created=True)
        for index, title in enumerate(HEARINGS):
            if not PublicHearing.objects.filter(municipality=municipality, title=title).exists():
                _hearing(municipality, today, index, title)
                log.record("mcu.PublicHearing", created=True)


def _meeting(
    municipality: Municipality, today: date, *, head: User, curator: User, owner: User
) -> None:
    held_on = today - timedelta(days=10)
    meeting = meeting_create(
        municipality=municipality,
        actor=None,
        title=MEETING_TITLE,
        held_on=held_on,
        form=Meeting.Form.IN_PERSON,
        agenda="1. Просроченные ответы в ИМ и ПОС за месяц.\n"
        "2. Повторные сообщения о ямах на дорогах пгт. Октябрьское.",
        chair=curator,
        participants=[curator, head, owner],
        topics=list(Topic.objects.filter(code__in=["roads.potholes"])),
    )
    first = decision_add(
        meeting=meeting,
        actor=None,
        text="Ответственным за отраслевые блоки обеспечить подготовку ответов в ИМ в срок "
        "3 часа (Регламент §2.5).",
    )
    second = decision_add(
        meeting=meeting,
        actor=None,
        text="Разработать дорожную карту по устранению причин повторных сообщений о ямах.",
    )
    assignment_create(
        decision=first,
        actor=None,
        executor=owner,
        text="Представить руководителю МЦУ анализ причин просрочек за месяц.",
        due_date=today - timedelta(days=3),
    )
    assignment_create(
        decision=second,
        actor=None,
        executor=owner,
        text="Подготовить проект дорожной карты и направить на утверждение куратору блока.",
        due_date=today + timedelta(days=5),
    )
    done = assignment_create(
        decision=first,
        actor=None,
        executor=head,
        text="Провести обучение ответственных за блоки работе в ИМ.",
        due_date=today - timedelta(days=2),
    )
    assignment_complete(assignment=done, actor=head, report="Обучение проведено, 8 участников.")
    protocol_sign(meeting=meeting, actor=None, number="1", signed_on=held_on)
    Meeting.objects.filter(pk=meeting.pk).update(protocol_signed_by=curator)


def _roadmap(municipality: Municipality, today: date, *, owner: User, curator: User) -> None:
    sector = Sector.objects.get(municipality=municipality, code="roads")
    roadmap = roadmap_create(
        municipality=municipality,
        actor=None,
        title=ROADMAP_TITLE,
        sector=sector,
        topics=list(Topic.objects.filter(code="roads.potholes")),
        goal="Вдвое сократить число сообщений о ямах на дорогах пгт. Октябрьское за сезон.",
        responsible=[owner],
    )
    for offset, title, status in (
        (-20, "Обследование дорог с фотофиксацией, реестр ям", MeasureStatus.DONE),
        (15, "Ямочный ремонт по реестру силами подрядчика", MeasureStatus.IN_PROGRESS),
        (40, "Публикация графика ремонта в госпабликах", MeasureStatus.PLANNED),
    ):
        measure = measure_add(
            roadmap=roadmap,
            actor=None,
            title=title,
            due_date=today + timedelta(days=offset),
            responsible=owner,
        )
        if status != MeasureStatus.PLANNED:
            measure.status = status
            measure.done_on = measure.due_date if status == MeasureStatus.DONE else None
            measure.save(update_fields=["status", "done_on"])
    Roadmap.objects.filter(pk=roadmap.pk).update(
        state=Roadmap.State.APPROVED,
        approved_on=today - timedelta(days=30),
        approved_by=curator,
        updated_at=timezone.now(),
    )


def _hearing(municipality: Municipality, today: date, index: int, title: str) -> None:
    ends = today - timedelta(days=20 + 30 * index)
    PublicHearing.objects.create(
        municipality=municipality,
        kind=PublicHearing.Kind.HEARING if index == 0 else PublicHearing.Kind.POLL,
        title=title,
        starts_on=ends - timedelta(days=14),
        ends_on=ends,
        state=PublicHearing.State.HELD,
        on_pos=True,
        url="https://pos.gosuslugi.ru/",
        participants_count=312 if index == 0 else 1240,
        result="Большинство участников поддержали проект."
        if index == 0
        else "Победила территория у Дома культуры.",
        decision="Проект утверждён с учётом замечаний жителей."
        if index == 0
        else "Территория включена в программу благоустройства.",
        residents_informed=index == 0,
        informed_url="https://vk.com/" if index == 0 else "",
    )
