"""The registry of polls, public hearings and public discussions, and the two indicators it feeds.

Ленский §2.1 п. 12: the МЦУ has polls and public hearings (public discussions) held through the
ПОС; Октябрьский Положение, Приложение № 2:

- indicator 4 — «Доля решений, принятых с участием жителей муниципального образования через ПОС,
  по которым обеспечено информирование об их реализации через социальные сети»: of the polls,
  hearings and discussions **held on the ПОС** that **ended in the year** and **record a decision
  taken**, the share whose residents were informed of its implementation through social networks;
- indicator 7 — «Доля публичных слушаний, проведенных с использованием платформы обратной
  связи»: of the public hearings and public discussions (the acts write «публичных слушаний
  (общественных обсуждений)» as one thing; polls are not hearings) **held** and **ended in the
  year**, the share held on the ПОС.

«Held» is the state «проведено»: planned and cancelled ones are not counted. The year is the
local year of the last day (``ends_on``). Where nothing falls in the denominator the value is
``None`` — «нет данных», never 0 % or 100 % made up from nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from mcu.center.exceptions import CenterInvalid
from mcu.models import KpiIndicator, Municipality, PublicHearing
from mcu.tenancy import WrongMunicipality
from roles.models import User
from roles.permissions import Capability
from roles.selectors import actor_capabilities

# What the form edits; the service writes exactly these.
HEARING_FIELDS = (
    "kind",
    "title",
    "starts_on",
    "ends_on",
    "state",
    "on_pos",
    "url",
    "participants_count",
    "result",
    "decision",
    "residents_informed",
    "informed_url",
)


@dataclass(frozen=True)
class IndicatorActual:
    """An indicator's actual value; the same shape as ``reports.kpi.KpiActual``."""

    percent: float | None
    numerator: int | None = None
    denominator: int | None = None
    note: str = ""


def _require(actor: User | None, municipality: Municipality) -> None:
    if actor is not None and not actor_capabilities(user=actor, municipality=municipality).can(
        Capability.HEARINGS_MANAGE
    ):
        raise CenterInvalid(_("Ваша роль в МЦУ не позволяет вести реестр опросов и слушаний."))


def _check(values: dict[str, object]) -> None:
    starts, ends = values["starts_on"], values["ends_on"]
    if isinstance(starts, date) and isinstance(ends, date) and ends < starts:
        raise CenterInvalid(_("Окончание не может быть раньше начала."), field="ends_on")
    if values.get("residents_informed") and not str(values.get("decision") or "").strip():
        raise CenterInvalid(
            _("Информировать о реализации можно только о принятом решении: укажите его."),
            field="decision",
        )


@transaction.atomic
def hearing_create(
    *, municipality: Municipality, actor: User | None, values: dict[str, object]
) -> PublicHearing:
    _require(actor, municipality)
    _check(values)
    return PublicHearing.objects.create(
        municipality=municipality,
        created_by=actor,
        **{name: values[name] for name in HEARING_FIELDS if name in values},
    )


@transaction.atomic
def hearing_update(
    *, hearing: PublicHearing, actor: User | None, values: dict[str, object]
) -> PublicHearing:
    _require(actor, hearing.municipality)
    _check(values)
    locked = PublicHearing.objects.select_for_update().get(pk=hearing.pk)
    if locked.municipality_id != hearing.municipality_id:
        raise WrongMunicipality("hearing moved between municipalities")
    changed = [name for name in HEARING_FIELDS if name in values]
    for name in changed:
        setattr(locked, name, values[name])
    locked.save(update_fields=[*changed, "updated_at"])
    return locked


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


def hearings_kpi_actuals(*, municipality: Municipality, year: int) -> dict[str, IndicatorActual]:
    """Indicators 4 and 7 for the year, keyed by ``KpiIndicator`` value; one aggregate query."""
    held = PublicHearing.objects.filter(
        municipality=municipality, state=PublicHearing.State.HELD, ends_on__year=year
    )
    decided_on_pos = Q(on_pos=True) & ~Q(decision="")
    hearing_kinds = Q(kind__in=[PublicHearing.Kind.HEARING, PublicHearing.Kind.DISCUSSION])
    counts = held.aggregate(
        decisions=Count("pk", filter=decided_on_pos),
        informed=Count("pk", filter=decided_on_pos & Q(residents_informed=True)),
        hearings=Count("pk", filter=hearing_kinds),
        hearings_on_pos=Count("pk", filter=hearing_kinds & Q(on_pos=True)),
    )
    decisions, hearings = counts["decisions"], counts["hearings"]
    return {
        KpiIndicator.POS_DECISIONS_INFORMED.value: IndicatorActual(
            _percent(counts["informed"], decisions),
            counts["informed"] if decisions else None,
            decisions if decisions else None,
            _("решения проведённых на ПОС опросов и слушаний; доля с информированием в соцсетях")
            if decisions
            else _("нет проведённых на ПОС опросов и слушаний с принятым решением"),
        ),
        KpiIndicator.PUBLIC_HEARINGS_POS.value: IndicatorActual(
            _percent(counts["hearings_on_pos"], hearings),
            counts["hearings_on_pos"] if hearings else None,
            hearings if hearings else None,
            _("проведённые публичные слушания и общественные обсуждения; доля на ПОС")
            if hearings
            else _("нет проведённых публичных слушаний"),
        ),
    }
