"""Writes of roadmaps («дорожные карты»), their measures and the incidents they address.

Аскизский §1.1.4: a roadmap is a sequence of measures with concrete terms and responsible
officials, meant to remove the causes of messages on socially significant topics. Ленский Прил. 3
п. 3.8: the block's owners draw it up; Октябрьский Положение §3.4: the block's curator approves
it. Who covers which block is ``access.covers_sector`` (the seat's block, or every block for a
seat that names none). Changing what an approved roadmap *is* — its block, topics or goal —
returns it to «проект» for approval again; its measures' progress is reported without that.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from incidents.models import Incident, Topic
from mcu.center.access import covers_sector, roster_users
from mcu.center.exceptions import CenterInvalid
from mcu.models import MeasureIncident, MeasureStatus, Municipality, Roadmap, RoadmapMeasure
from mcu.tenancy import WrongMunicipality
from roles.models import Sector, User
from roles.permissions import Capability


def _require_block(
    actor: User | None, municipality: Municipality, capability: Capability, sector_id: int | None
) -> None:
    if actor is None:  # the system (seeding)
        return
    if not covers_sector(
        user=actor, municipality=municipality, capability=capability, sector_id=sector_id
    ):
        raise CenterInvalid(
            _("Ваша роль в МЦУ не позволяет это сделать для этого отраслевого блока."),
            field="sector" if capability == Capability.ROADMAPS_MANAGE else None,
        )


def _check_people(municipality: Municipality, people: Iterable[User | None], field: str) -> None:
    wanted = {p.pk for p in people if p is not None}
    members = set(roster_users(municipality=municipality).values_list("pk", flat=True))
    if not wanted <= members:
        raise CenterInvalid(_("Можно выбрать только сотрудников из состава МЦУ."), field=field)


def _lock(roadmap: Roadmap) -> Roadmap:
    locked = Roadmap.objects.select_for_update().get(pk=roadmap.pk)
    if locked.municipality_id != roadmap.municipality_id:
        raise WrongMunicipality("roadmap moved between municipalities")
    return locked


@transaction.atomic
def roadmap_create(
    *,
    municipality: Municipality,
    actor: User | None,
    title: str,
    sector: Sector,
    topics: Iterable[Topic],
    goal: str,
    responsible: Iterable[User] = (),
) -> Roadmap:
    if sector.municipality_id != municipality.pk:
        raise WrongMunicipality("sector of another municipality")
    _require_block(actor, municipality, Capability.ROADMAPS_MANAGE, sector.pk)
    chosen_topics, people = list(topics), list(responsible)
    if not chosen_topics:
        raise CenterInvalid(_("Выберите хотя бы одну тему."), field="topics")
    _check_people(municipality, people, "responsible")
    roadmap = Roadmap.objects.create(
        municipality=municipality, title=title, sector=sector, goal=goal, created_by=actor
    )
    roadmap.topics.set(chosen_topics)
    roadmap.responsible.set(people)
    return roadmap


@transaction.atomic
def roadmap_update(
    *,
    roadmap: Roadmap,
    actor: User | None,
    title: str,
    sector: Sector,
    topics: Iterable[Topic],
    goal: str,
    responsible: Iterable[User] = (),
) -> Roadmap:
    municipality = roadmap.municipality
    if sector.municipality_id != municipality.pk:
        raise WrongMunicipality("sector of another municipality")
    locked = _lock(roadmap)
    # Both the block it was in and the block it moves to must be the actor's.
    _require_block(actor, municipality, Capability.ROADMAPS_MANAGE, locked.sector_id)
    _require_block(actor, municipality, Capability.ROADMAPS_MANAGE, sector.pk)
    chosen_topics, people = list(topics), list(responsible)
    if not chosen_topics:
        raise CenterInvalid(_("Выберите хотя бы одну тему."), field="topics")
    _check_people(municipality, people, "responsible")
    substance_changed = (
        locked.sector_id != sector.pk
        or locked.goal != goal
        or set(locked.topics.values_list("pk", flat=True)) != {t.pk for t in chosen_topics}
    )
    locked.title, locked.sector, locked.goal = title, sector, goal
    fields = ["title", "sector", "goal", "updated_at"]
    if substance_changed and locked.state == Roadmap.State.APPROVED:
        locked.state, locked.approved_on, locked.approved_by = Roadmap.State.DRAFT, None, None
        fields += ["state", "approved_on", "approved_by"]
    locked.save(update_fields=fields)
    locked.topics.set(chosen_topics)
    locked.responsible.set(people)
    return locked


@transaction.atomic
def roadmap_approve(*, roadmap: Roadmap, actor: User | None, on: date) -> Roadmap:
    """Октябрьский Положение §3.4: the block's curator approves the block's roadmap."""
    locked = _lock(roadmap)
    _require_block(actor, locked.municipality, Capability.ROADMAPS_APPROVE, locked.sector_id)
    if locked.state != Roadmap.State.DRAFT:
        raise CenterInvalid(_("Утвердить можно только проект дорожной карты."))
    if not RoadmapMeasure.objects.filter(roadmap=locked).exists():
        raise CenterInvalid(_("В дорожной карте нет ни одного мероприятия."))
    locked.state, locked.approved_on, locked.approved_by = Roadmap.State.APPROVED, on, actor
    locked.save(update_fields=["state", "approved_on", "approved_by", "updated_at"])
    return locked


@transaction.atomic
def measure_add(
    *,
    roadmap: Roadmap,
    actor: User | None,
    title: str,
    due_date: date,
    responsible: User | None = None,
) -> RoadmapMeasure:
    locked = _lock(roadmap)
    _require_block(actor, locked.municipality, Capability.ROADMAPS_MANAGE, locked.sector_id)
    _check_people(locked.municipality, [responsible], "responsible")
    last = RoadmapMeasure.objects.filter(roadmap=locked).aggregate(n=Max("number"))["n"] or 0
    return RoadmapMeasure.objects.create(
        municipality_id=locked.municipality_id,
        roadmap=locked,
        number=last + 1,
        title=title,
        due_date=due_date,
        responsible=responsible,
    )


@transaction.atomic
def measure_update(
    *,
    measure: RoadmapMeasure,
    actor: User | None,
    title: str,
    due_date: date,
    status: str,
    responsible: User | None = None,
    done_on: date | None = None,
) -> RoadmapMeasure:
    roadmap = _lock(measure.roadmap)
    municipality = roadmap.municipality
    _require_block(actor, municipality, Capability.ROADMAPS_MANAGE, roadmap.sector_id)
    _check_people(municipality, [responsible], "responsible")
    if status not in MeasureStatus.values:
        raise CenterInvalid(_("Неизвестный статус."), field="status")
    if status == MeasureStatus.DONE and done_on is None:
        done_on = municipality.local_time().date()
    if status != MeasureStatus.DONE:
        done_on = None
    measure.title, measure.due_date, measure.status = title, due_date, status
    measure.responsible, measure.done_on = responsible, done_on
    measure.save(update_fields=["title", "due_date", "status", "responsible", "done_on"])
    return measure


@transaction.atomic
def measure_link_incident(
    *, measure: RoadmapMeasure, actor: User | None, incident: Incident
) -> MeasureIncident:
    roadmap = measure.roadmap
    _require_block(actor, roadmap.municipality, Capability.ROADMAPS_MANAGE, roadmap.sector_id)
    if incident.municipality_id != measure.municipality_id:
        raise WrongMunicipality("incident of another municipality")
    if MeasureIncident.objects.filter(measure=measure, incident=incident).exists():
        raise CenterInvalid(_("Этот инцидент уже связан с мероприятием."), field="incident")
    try:
        with transaction.atomic():
            return MeasureIncident.objects.create(
                municipality_id=measure.municipality_id,
                measure=measure,
                incident=incident,
                linked_by=actor,
            )
    except IntegrityError:  # a second click at the same moment
        raise CenterInvalid(
            _("Этот инцидент уже связан с мероприятием."), field="incident"
        ) from None


@transaction.atomic
def measure_unlink_incident(*, link: MeasureIncident, actor: User | None) -> None:
    roadmap = link.measure.roadmap
    _require_block(actor, roadmap.municipality, Capability.ROADMAPS_MANAGE, roadmap.sector_id)
    link.delete()
