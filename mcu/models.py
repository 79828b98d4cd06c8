"""Tenancy core: regions (whose ЦУР reads their municipalities) and municipalities (tenants)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import cached_property
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mcu.tenancy import WrongMunicipality, current_scope, require_scope


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Неизвестный часовой пояс: %(tz)s"), params={"tz": value})


class Region(models.Model):
    """A subject of the Russian Federation; its ЦУР reads the data of its municipalities."""

    code = models.CharField(_("код субъекта РФ"), max_length=8, unique=True)
    slug = models.SlugField(_("краткое имя"), unique=True)
    name = models.CharField(_("название"), max_length=200)
    cur_name = models.CharField(_("центр управления регионом (ЦУР)"), max_length=300)
    # Yakutia only: incidents are coordinated by a separate Coordination Center (Ленский, п. 1.2).
    coordination_center_name = models.CharField(
        _("координационный центр по инцидентам"), max_length=300, blank=True
    )
    cur_contact_email = models.EmailField(_("e-mail контакта ЦУР"), blank=True)

    class Meta:
        verbose_name = _("регион")
        verbose_name_plural = _("регионы")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    """A tenant: one municipality and its МЦУ."""

    slug = models.SlugField(_("краткое имя"), unique=True)
    name = models.CharField(_("полное название"), max_length=300)
    short_name = models.CharField(_("краткое название"), max_length=120)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="municipalities", verbose_name=_("регион")
    )
    timezone = models.CharField(
        _("часовой пояс (IANA)"), max_length=64, validators=[validate_timezone]
    )
    act_title = models.CharField(_("акт о создании МЦУ"), max_length=500, blank=True)
    act_date = models.DateField(_("дата акта"), null=True, blank=True)

    class Meta:
        verbose_name = _("муниципальное образование")
        verbose_name_plural = _("муниципальные образования")
        ordering = ["short_name"]

    def __str__(self) -> str:
        return self.short_name

    @cached_property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def local_time(self, instant: datetime | None = None) -> datetime:
        """``instant`` (default: now) in the municipality's own time zone."""
        return (instant or timezone.now()).astimezone(self.tz)


_M = TypeVar("_M", bound="TenantModel")


class TenantQuerySet(models.QuerySet[_M], Generic[_M]):
    def _check_rows(self, objs: Any) -> None:
        scope = require_scope(self.model.__name__)
        for obj in objs:
            if not scope.allows(obj.municipality_id):
                raise WrongMunicipality(
                    f"{self.model.__name__} of municipality {obj.municipality_id} "
                    "is outside the current scope"
                )

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[_M]:
        objs = list(objs)
        self._check_rows(objs)
        return super().bulk_create(objs, *args, **kwargs)


class TenantManager(models.Manager[_M], Generic[_M]):
    """Filters by the active scope; with no scope it raises instead of returning everything."""

    _queryset_class = TenantQuerySet

    def get_queryset(self) -> TenantQuerySet[_M]:
        scope = require_scope(self.model.__name__)
        queryset: TenantQuerySet[_M] = super().get_queryset()  # type: ignore[assignment]
        if scope.municipality_ids is None:
            return queryset
        if len(scope.municipality_ids) == 1:
            (only,) = scope.municipality_ids
            return queryset.filter(municipality_id=only)
        return queryset.filter(municipality_id__in=scope.municipality_ids)


def municipality_key(
    *, db_index: bool = True, db_constraint: bool = True
) -> models.ForeignKey[Municipality, Municipality]:
    """A tenant-owned row's municipality, as ``TenantModel`` declares it. A model redeclares it
    through this to drop the index (a composite index begins with the column, or nothing reads
    by it alone) or the constraint, and says why beside it."""
    return models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("муниципальное образование"),
        db_index=db_index,
        db_constraint=db_constraint,
    )


class TenantModel(models.Model):
    """Base of every tenant-owned model (STYLE.md §Tenancy).

    The scoped manager is also the *base* manager, so Django's own lookups (following a foreign
    key, ``refresh_from_db``, updates on ``save``) are scoped too and cannot cross tenants.
    """

    municipality = municipality_key()

    objects = TenantManager()

    class Meta:
        abstract = True
        base_manager_name = "objects"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The safety net of STYLE.md §Tenancy for writes: refuse to write a row of a municipality
        # the running code is not scoped to (services check explicitly before this).
        scope = current_scope()
        if scope is None:
            require_scope(type(self).__name__)
        elif not scope.allows(self.municipality_id):
            raise WrongMunicipality(
                f"{type(self).__name__} of municipality {self.municipality_id} "
                "is outside the current scope"
            )
        super().save(*args, **kwargs)


class KpiIndicator(models.TextChoices):
    """The seven target indicators of Октябрьский, Положение, Приложение № 2 (in its order).

    The codes are the same for every municipality, so the ЦУР compares like with like; each
    municipality has targets only where its own act (or its administrator) sets them.
    """

    FAST_TRACK = (
        "fast_track",
        _(
            "Доля обращений и сообщений, обработанных с использованием "
            "механизмов ускоренного решения (фаст-трек)"
        ),
    )
    AUTO_DELIVERY = (
        "auto_delivery",
        _(
            "Доля обращений и сообщений, обработанных с использованием системы автоматизированной "
            "доставки проблемы до конечного исполнителя"
        ),
    )
    SOCIAL_INFORMING = (
        "social_informing",
        _(
            "Доля ответственных получателей, обеспечивших интерактивное взаимодействие с "
            "гражданами посредством информирования в социальных сетях"
        ),
    )
    POS_DECISIONS_INFORMED = (
        "pos_decisions_informed",
        _(
            "Доля решений, принятых с участием жителей через ПОС, по которым обеспечено "
            "информирование об их реализации через социальные сети"
        ),
    )
    ROADMAPS = (
        "roadmaps",
        _(
            "Доля обращений и сообщений, по которым реализованы мероприятия «дорожных карт» по "
            "устранению их причин"
        ),
    )
    CONTROL_MECHANISMS = (
        "control_mechanisms",
        _(
            "Доля обращений и сообщений, при обработке которых использовались автоматизированные "
            "механизмы контроля решения проблемы (ГЛОНАСС, фотовидеофиксация)"
        ),
    )
    PUBLIC_HEARINGS_POS = (
        "public_hearings_pos",
        _("Доля публичных слушаний, проведённых с использованием платформы обратной связи"),
    )


# The act's row numbers («№ п/п» of Приложение № 2), for printing in the act's order.
KPI_INDICATOR_NUMBERS: dict[str, int] = {
    indicator.value: number for number, indicator in enumerate(KpiIndicator, start=1)
}


class KpiTarget(TenantModel):
    """A target value of one indicator for one municipality and year (issue 8 item 4).

    Seeded for Октябрьский from Приложение № 2 to its Положение (``mcu/kpi_seed.py``);
    other municipalities' targets are entered in the admin. Reports show «нет данных» where a
    municipality has no target, never a borrowed one.
    """

    indicator = models.CharField(_("показатель"), max_length=32, choices=KpiIndicator.choices)
    year = models.PositiveSmallIntegerField(
        _("год"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    value = models.DecimalField(_("плановое значение"), max_digits=9, decimal_places=2)
    unit = models.CharField(_("единица измерения"), max_length=32, default="Процент")
    source = models.CharField(_("основание"), max_length=300, blank=True)
    note = models.TextField(_("примечание"), blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("целевой показатель")
        verbose_name_plural = _("целевые показатели")
        ordering = ["municipality", "year", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "indicator", "year"], name="kpitarget_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_indicator_display()} — {self.year}: {self.value} ({self.unit})"

    @property
    def number(self) -> int:
        return KPI_INDICATOR_NUMBERS[self.indicator]


# --- The center's own work (issue 8 items 1–3): meetings, protocol assignments, roadmaps, public
# hearings. The models sit in the tenancy core because DESIGN §3 gives this work to `mcu`; they
# refer to people, blocks, topics and incidents by string only, so this module still imports
# nothing from the apps built on it. The code that works with them lives in ``mcu/center/``.


class Meeting(TenantModel):
    """A meeting (заседание / совещание) of the МЦУ and its protocol.

    Сосновоборский §3.2: meetings are the main form of the center's work, held in person or in
    absentia; the curator holds them (the head in the curator's absence); their decisions are
    recorded in a protocol signed by the curator and sent to officials for execution.
    Ленский Прил. 3 п. 2.7: the head organises meetings and records «протокольные поручения».
    The protocol is one per meeting, so its number and signature are kept on the meeting row.
    """

    class Form(models.TextChoices):
        IN_PERSON = "in_person", _("очная")
        IN_ABSENTIA = "in_absentia", _("заочная")

    title = models.CharField(_("тема заседания"), max_length=300)
    held_on = models.DateField(_("дата заседания"))
    form = models.CharField(_("форма"), max_length=16, choices=Form.choices, default=Form.IN_PERSON)
    chair = models.ForeignKey(
        "roles.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("председательствующий"),
    )
    participants = models.ManyToManyField(
        "roles.User",
        blank=True,
        related_name="+",
        verbose_name=_("участники"),
    )
    agenda = models.TextField(_("повестка"))
    topics = models.ManyToManyField(
        "incidents.Topic", blank=True, related_name="+", verbose_name=_("темы")
    )
    incidents = models.ManyToManyField(
        "incidents.Incident", blank=True, related_name="+", verbose_name=_("инциденты")
    )
    protocol_number = models.CharField(_("номер протокола"), max_length=50, blank=True)
    protocol_signed_on = models.DateField(_("протокол подписан"), null=True, blank=True)
    protocol_signed_by = models.ForeignKey(
        "roles.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("подписал"),
    )
    created_by = models.ForeignKey(
        "roles.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("создал"),
    )
    created_at = models.DateTimeField(_("создано"), auto_now_add=True)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("заседание МЦУ")
        verbose_name_plural = _("заседания МЦУ")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["municipality", "held_on"], name="meeting_mun_held")]

    def __str__(self) -> str:
        return f"{self.held_on:%d.%m.%Y} — {self.title}"

    @property
    def is_signed(self) -> bool:
        return self.protocol_signed_on is not None


class MeetingDecision(TenantModel):
    """One decision (пункт решения) of a meeting's protocol."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("заседание")
    )
    number = models.PositiveSmallIntegerField(_("пункт"))
    text = models.TextField(_("решение"))

    class Meta(TenantModel.Meta):
        verbose_name = _("решение заседания")
        verbose_name_plural = _("решения заседаний")
        ordering = ["meeting", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "meeting", "number"], name="decision_number_per_meeting"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:80]}"


class AssignmentStatus(models.TextChoices):
    OPEN = "open", _("на исполнении")
    DONE = "done", _("исполнено")
    CANCELLED = "cancelled", _("снято с контроля")


class Assignment(TenantModel):
    """A protocol assignment (протокольное поручение): an executor, a due date, a status.

    ``due_date`` is the municipality's local last day; ``due_at`` is its exclusive end, the
    next local midnight in UTC (24:00 of the last day, as ГК РФ ст. 194 and incidents' day terms).
    The sweep's state (warned / breached / ladder) is on the row, read through partial indexes
    that hold only the open rows a step has not dealt with yet (``mcu/center/assignments_sweep``).
    """

    decision = models.ForeignKey(
        MeetingDecision,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("решение"),
    )
    text = models.TextField(_("поручение"))
    executor = models.ForeignKey(
        "roles.User",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("исполнитель"),
    )
    due_date = models.DateField(_("срок исполнения"))
    due_at = models.DateTimeField(_("срок (конец дня)"), editable=False)
    warn_at = models.DateTimeField(_("предупредить в"), editable=False)
    status = models.CharField(
        _("статус"),
        max_length=16,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.OPEN,
    )
    report = models.TextField(_("отчёт об исполнении"), blank=True)
    done_at = models.DateTimeField(_("исполнено"), null=True, blank=True)
    warned_at = models.DateTimeField(_("предупреждение отправлено"), null=True, blank=True)
    breached_at = models.DateTimeField(_("просрочено с"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("уровень эскалации"), default=0)
    next_escalation_at = models.DateTimeField(_("следующая эскалация"), null=True, blank=True)
    created_by = models.ForeignKey(
        "roles.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("создал"),
    )
    created_at = models.DateTimeField(_("создано"), auto_now_add=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("протокольное поручение")
        verbose_name_plural = _("протокольные поручения")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["municipality", "executor", "status"], name="assignment_mun_executor"
            ),
            # One per sweep step, each predicate exactly the step's candidate query.
            models.Index(
                fields=["warn_at"],
                name="assignment_sweep_warn",
                condition=models.Q(status="open", warned_at__isnull=True),
            ),
            models.Index(
                fields=["due_at"],
                name="assignment_sweep_breach",
                condition=models.Q(status="open", breached_at__isnull=True),
            ),
            models.Index(
                fields=["next_escalation_at"],
                name="assignment_sweep_escalate",
                condition=models.Q(status="open", next_escalation_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.text[:80]} — {self.due_date:%d.%m.%Y}"

    @property
    def is_open(self) -> bool:
        return self.status == AssignmentStatus.OPEN

    @property
    def is_overdue(self) -> bool:
        if self.status == AssignmentStatus.OPEN:
            return self.due_at <= timezone.now()
        return self.status == AssignmentStatus.DONE and bool(
            self.done_at and self.done_at > self.due_at
        )


class Roadmap(TenantModel):
    """A «дорожная карта» to remove the causes of recurring messages on some topics of a block.

    Аскизский §1.1.4: a sequence of measures with concrete terms and responsible officials;
    Ленский §3.5, Прил. 3 п. 3.8: the block's owners draw it up; Октябрьский Положение §3.4: the
    block's curator approves it. ``topics`` are the рубрикатор topics whose messages it means to
    reduce; a topic includes its subtopics.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("проект")
        APPROVED = "approved", _("утверждена")
        COMPLETED = "completed", _("исполнена")

    title = models.CharField(_("название"), max_length=300)
    sector = models.ForeignKey(
        "roles.Sector",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("отраслевой блок"),
    )
    topics = models.ManyToManyField("incidents.Topic", related_name="+", verbose_name=_("темы"))
    goal = models.TextField(_("цель"))
    responsible = models.ManyToManyField(
        "roles.User",
        blank=True,
        related_name="+",
        verbose_name=_("ответственные должностные лица"),
    )
    state = models.CharField(
        _("состояние"), max_length=16, choices=State.choices, default=State.DRAFT
    )
    approved_on = models.DateField(_("утверждена"), null=True, blank=True)
    approved_by = models.ForeignKey(
        "roles.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("утвердил"),
    )
    created_by = models.ForeignKey(
        "roles.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("создал"),
    )
    created_at = models.DateTimeField(_("создано"), auto_now_add=True)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("дорожная карта")
        verbose_name_plural = _("дорожные карты")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("запланировано")
    IN_PROGRESS = "in_progress", _("выполняется")
    DONE = "done", _("выполнено")
    CANCELLED = "cancelled", _("отменено")


class RoadmapMeasure(TenantModel):
    """A measure (мероприятие) of a roadmap: what, who, by when, and how far it has got."""

    roadmap = models.ForeignKey(
        Roadmap, on_delete=models.CASCADE, related_name="measures", verbose_name=_("дорожная карта")
    )
    number = models.PositiveSmallIntegerField(_("№ п/п"))
    title = models.TextField(_("мероприятие"))
    responsible = models.ForeignKey(
        "roles.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ответственный"),
    )
    due_date = models.DateField(_("срок"))
    status = models.CharField(
        _("статус"), max_length=16, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED
    )
    done_on = models.DateField(_("выполнено"), null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("мероприятие дорожной карты")
        verbose_name_plural = _("мероприятия дорожных карт")
        ordering = ["roadmap", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "roadmap", "number"], name="measure_number_per_roadmap"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title[:80]}"


class MeasureIncident(TenantModel):
    """An incident whose cause a roadmap measure addresses (the incident row is not touched)."""

    measure = models.ForeignKey(
        RoadmapMeasure,
        on_delete=models.CASCADE,
        related_name="incident_links",
        verbose_name=_("мероприятие"),
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("инцидент"),
    )
    linked_by = models.ForeignKey(
        "roles.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("связал"),
    )
    linked_at = models.DateTimeField(_("связано"), auto_now_add=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("инцидент мероприятия")
        verbose_name_plural = _("инциденты мероприятий")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "measure", "incident"], name="measureincident_unique"
            )
        ]
        indexes = [models.Index(fields=["municipality", "incident"], name="measureincident_inc")]

    def __str__(self) -> str:
        return f"{self.measure_id} → № {self.incident_id}"


class PublicHearing(TenantModel):
    """A poll, public hearing or public discussion (Ленский §2.1 п. 12: through the ПОС;
    Октябрьский Приложение № 2 пп. 4 и 7: the decisions taken with residents and whether they
    were told of their implementation; the share of hearings held on the ПОС)."""

    class Kind(models.TextChoices):
        POLL = "poll", _("опрос")
        HEARING = "hearing", _("публичные слушания")
        DISCUSSION = "discussion", _("общественное обсуждение")

    class State(models.TextChoices):
        PLANNED = "planned", _("запланировано")
        HELD = "held", _("проведено")
        CANCELLED = "cancelled", _("отменено")

    kind = models.CharField(_("вид"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("тема"), max_length=500)
    starts_on = models.DateField(_("начало"))
    ends_on = models.DateField(_("окончание"))
    state = models.CharField(
        _("состояние"), max_length=16, choices=State.choices, default=State.PLANNED
    )
    on_pos = models.BooleanField(_("проведено на ПОС"), default=False)
    url = models.URLField(_("ссылка"), max_length=500, blank=True)
    participants_count = models.PositiveIntegerField(_("число участников"), null=True, blank=True)
    result = models.TextField(_("результат"), blank=True)
    decision = models.TextField(_("принятое решение"), blank=True)
    residents_informed = models.BooleanField(
        _("жители проинформированы о реализации решения через социальные сети"), default=False
    )
    informed_url = models.URLField(_("ссылка на публикацию"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        "roles.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("создал"),
    )
    created_at = models.DateTimeField(_("создано"), auto_now_add=True)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("опрос / публичные слушания")
        verbose_name_plural = _("опросы и публичные слушания")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["municipality", "ends_on"], name="hearing_mun_ends")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="hearing_dates_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"
