"""Incidents: a citizen's message from intake to a published, approved answer — on record."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.deadlines import Unit
from mcu.models import TenantModel, municipality_key
from roles.models import Channel, OrgUnit, Sector


class Topic(models.Model):
    """The рубрикатор: two levels (topic → subtopic), shared by every municipality.

    The codes follow the common ЦУР topics so that figures agree across the region; each
    municipality maps topics to its own sector blocks through ``SectorTopic``.
    """

    code = models.SlugField(_("код"), max_length=64, unique=True)
    name = models.CharField(_("название"), max_length=200)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("тема"),
    )
    order = models.PositiveSmallIntegerField(_("порядок"), default=0)
    is_active = models.BooleanField(_("действует"), default=True)

    class Meta:
        verbose_name = _("тема (рубрикатор)")
        verbose_name_plural = _("рубрикатор")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return f"{self.parent.name} → {self.name}" if self.parent_id and self.parent else self.name

    @property
    def root_id(self) -> int:
        return self.parent_id or self.pk


class SectorTopic(TenantModel):
    """Where a topic lands in one municipality: a sector block, or an executor unit where the
    act creates no blocks (Аскизский, Ловозерский: structural units answer directly)."""

    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, related_name="+", verbose_name=_("тема")
    )
    sector = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="topic_links",
        verbose_name=_("отраслевой блок"),
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="topic_links",
        verbose_name=_("исполнитель"),
    )

    class Meta(TenantModel.Meta):
        verbose_name = _("тема → отраслевой блок")
        verbose_name_plural = _("темы → отраслевые блоки")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "topic"], name="sectortopic_unique"),
            models.CheckConstraint(
                condition=Q(sector__isnull=False) | Q(org_unit__isnull=False),
                name="sectortopic_has_target",
            ),
        ]


class SlaPolicy(TenantModel):
    """A term: per channel × fast-track (optionally × topic), for one stage of the work.

    Defaults come from the acts (Октябрьский Регламент §2.5: 3 hours for social networks, 25
    calendar days for ПОС, 10 for fast-track) and 59-ФЗ (30 days from registration).
    """

    class Stage(models.TextChoices):
        ANSWER = "answer", _("Ответ заявителю")
        AGREED_TO_OPERATOR = "agreed", _("Согласованный ответ — оператору канала")
        REGISTRATION = "registration", _("Регистрация обращения")
        FORWARDING = "forwarding", _("Переадресация по компетенции")

    channel = models.CharField(_("канал"), max_length=16, choices=Channel.choices)
    stage = models.CharField(_("этап"), max_length=16, choices=Stage.choices, default=Stage.ANSWER)
    fast_track = models.BooleanField(_("фаст-трек"), default=False)
    topic = models.ForeignKey(
        Topic,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("тема (необязательно)"),
    )
    amount = models.PositiveIntegerField(_("срок"), validators=[MinValueValidator(1)])
    unit = models.CharField(
        _("единица"),
        max_length=16,
        choices=[
            (Unit.HOURS.value, _("часы")),
            (Unit.CALENDAR_DAYS.value, _("календарные дни")),
            (Unit.WORKING_DAYS.value, _("рабочие дни")),
        ],
    )
    warn_before = models.DurationField(_("предупредить за"), default=timedelta(hours=1))
    # ГК РФ ст. 193: move a last day that is a day off to the next working day.
    move_off_day = models.BooleanField(_("переносить с выходного на рабочий день"), default=False)
    source = models.CharField(_("основание"), max_length=300, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("срок (SLA)")
        verbose_name_plural = _("сроки (SLA)")
        ordering = ["municipality", "channel", "stage", "fast_track"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "channel", "stage", "fast_track", "topic"],
                name="slapolicy_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_channel_display()} / {self.get_stage_display()}: "
            f"{self.amount} {self.get_unit_display()}"
        )


class Status(models.TextChoices):
    NEW = "new", _("Новое")
    ASSIGNED = "assigned", _("Назначено")
    IN_PROGRESS = "in_progress", _("В работе")
    ON_APPROVAL = "on_approval", _("На согласовании")
    APPROVED = "approved", _("Согласовано")
    ANSWERED = "answered", _("Дан ответ")
    CLOSED = "closed", _("Закрыто")
    REOPENED = "reopened", _("Возобновлено")
    POSTPONED = "postponed", _("Отложено")
    REJECTED = "rejected", _("Не является инцидентом")
    FORWARDED = "forwarded", _("Перенаправлено")
    MERGED = "merged", _("Объединено с другим")


# The deadline clock runs in these; it stops at `answered` (DESIGN §4).
OPEN_STATUSES: tuple[str, ...] = (
    Status.NEW,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.ON_APPROVAL,
    Status.APPROVED,
    Status.REOPENED,
    Status.POSTPONED,
)


class Kind(models.TextChoices):
    MESSAGE = "message", _("Сообщение")
    APPEAL = "appeal", _("Обращение по 59-ФЗ")


class Scope(models.TextChoices):
    """Ленский, Положение п. 2.1: who must resolve it."""

    MUNICIPAL = "municipal", _("Муниципальный инцидент")
    REGIONAL = "regional", _("Региональный инцидент")


class RejectReason(models.TextChoices):
    NOT_AN_INCIDENT = "not_incident", _("Не является инцидентом")
    SPAM = "spam", _("Спам, реклама")
    OBSCENE = "obscene", _("Нецензурная брань, оскорбления, угрозы")
    NO_SUBSTANCE = "no_substance", _("Нет сути обращения")
    DUPLICATE = "duplicate", _("Дубликат")
    CLOSED_PROFILE = "closed_profile", _("Закрытый профиль, ответ невозможен")
    GRATITUDE = "gratitude", _("Благодарность, не требует ответа")


class ForwardTarget(models.TextChoices):
    CUR = "cur", _("ЦУР (региональный инцидент)")
    COORDINATION_CENTER = "coordination_center", _("Координационный центр")
    ECPUR = "ecpur", _("ЕЦПУР")
    OTHER_AUTHORITY = "other_authority", _("Орган по компетенции (59-ФЗ ст. 8 ч. 3)")


class Incident(TenantModel):
    # A wide row (~1.1 KB) with many indexes: every non-HOT update rewrites all of them. The
    # deadline sweep therefore writes ``IncidentClock``, never this row; single-column indexes
    # that a composite below already covers are switched off all the same (19 → 11 indexes).
    municipality = municipality_key(db_index=False)
    channel = models.CharField(_("канал"), max_length=16, choices=Channel.choices)
    external_id = models.CharField(_("номер в канале"), max_length=200)
    kind = models.CharField(_("вид"), max_length=16, choices=Kind.choices, default=Kind.MESSAGE)
    scope = models.CharField(
        _("уровень"), max_length=16, choices=Scope.choices, default=Scope.MUNICIPAL
    )
    topic = models.ForeignKey(
        Topic,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("тема"),
        db_index=False,  # incident_repeat_lookup (municipality, topic, …) serves topic filters
    )
    sector = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("отраслевой блок"),
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("ответственный получатель"),
        db_index=False,  # read per municipality only; deleting a unit is a rare admin act
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responsible_incidents",
        verbose_name=_("ответственный"),
    )
    status = models.CharField(
        _("статус"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    fast_track = models.BooleanField(_("фаст-трек"), default=False)
    text = models.TextField(_("текст сообщения"))
    # Personal data of the citizen: shown only to roles allowed to see it; each view is recorded.
    citizen_name = models.CharField(_("заявитель"), max_length=300, blank=True)
    citizen_email = models.CharField(_("e-mail заявителя"), max_length=254, blank=True)
    citizen_phone = models.CharField(_("телефон заявителя"), max_length=40, blank=True)
    citizen_profile_url = models.URLField(_("профиль заявителя"), max_length=1000, blank=True)
    citizen_postal_address = models.CharField(
        _("почтовый адрес заявителя"), max_length=500, blank=True
    )
    address = models.CharField(_("адрес проблемы"), max_length=500, blank=True)
    # Lower-case, punctuation-free form of `address`, so "ул. Ленина, 5" and "УЛ ЛЕНИНА 5" are the
    # same place for repeat detection (an equality lookup the repeat index can serve).
    address_key = models.CharField(_("ключ адреса"), max_length=500, blank=True, editable=False)
    # The text and address as readers without the personal-data grant see them (the ЦУР API,
    # Open311), stored when the incident is made: ``incidents.masking``. NULL: not stored
    # (masked when read); "" in ``masked_text``: the same as ``text``.
    masked_text = models.TextField(  # noqa: DJ001 — NULL (not stored) differs from "" (same)
        _("текст без персональных данных"), null=True, editable=False
    )
    masked_address = models.CharField(  # noqa: DJ001 — NULL: not stored, masked when read
        _("адрес без номера дома"), max_length=500, null=True, editable=False
    )
    settlement = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settlement_incidents",
        limit_choices_to={"kind": OrgUnit.Kind.SETTLEMENT},
        verbose_name=_("поселение"),
        db_index=False,  # aggregated per municipality (heat map), never looked up alone
    )
    latitude = models.DecimalField(
        _("широта"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("долгота"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    source_url = models.URLField(_("ссылка на источник"), max_length=1000, blank=True)

    received_at = models.DateTimeField(_("поступило"))
    registered_at = models.DateTimeField(_("зарегистрировано"), null=True, blank=True)
    first_answer_at = models.DateTimeField(_("первый ответ"), null=True, blank=True)
    answered_at = models.DateTimeField(_("дан ответ"), null=True, blank=True)
    closed_at = models.DateTimeField(_("закрыто"), null=True, blank=True)

    # Deadlines. `due_at` is the current term the clock is judged against (a postponed incident:
    # its promised date; an extended appeal: the extended term); `final_due_at` the original one.
    due_at = models.DateTimeField(_("срок"), null=True, blank=True)
    final_due_at = models.DateTimeField(_("срок по регламенту"), null=True, blank=True)
    stage_due_at = models.DateTimeField(
        _("срок согласованного ответа оператору"), null=True, blank=True
    )
    # When the warning is due (the term minus the policy's warn-before). The sweep's own state —
    # warned, breached, the rung of the ladder — lives in ``IncidentClock``, not here.
    warn_at = models.DateTimeField(_("предупредить в"), null=True, blank=True)
    answered_late = models.BooleanField(_("ответ с нарушением срока"), null=True, blank=True)
    sla_policy = models.ForeignKey(
        SlaPolicy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("правило срока"),
        db_index=False,  # only read from the incident; deleting a policy is a rare admin act
    )
    extension_count = models.PositiveSmallIntegerField(_("продлений срока"), default=0)
    postponed_until = models.DateField(_("решение запланировано на"), null=True, blank=True)

    repeat_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repeats",
        verbose_name=_("повтор обращения"),
        db_index=False,  # partial index below: most incidents repeat nothing
    )
    is_repeat = models.BooleanField(_("повторное"), default=False)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("объединено с"),
        db_index=False,  # partial index below: most incidents are no duplicate
    )
    reject_reason = models.CharField(
        _("причина отклонения"), max_length=32, choices=RejectReason.choices, blank=True
    )
    forward_target = models.CharField(
        _("куда перенаправлено"), max_length=32, choices=ForwardTarget.choices, blank=True
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("оценка заявителя"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    # Октябрьский, Приложение № 2 п. 2: reached its final executor without a human routing it.
    auto_routed = models.BooleanField(_("доставлено автоматически"), null=True, blank=True)
    has_geo_confirmation = models.BooleanField(_("есть фото/геоподтверждение"), default=False)

    version = models.PositiveIntegerField(_("версия"), default=1)
    created_at = models.DateTimeField(_("создано"), auto_now_add=True)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)  # incident_mun_updated

    class Meta(TenantModel.Meta):
        verbose_name = _("инцидент")
        verbose_name_plural = _("инциденты")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "channel", "external_id"], name="incident_external_unique"
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="incident_satisfaction_range",
            ),
        ]
        indexes = [
            # Lists: a municipality's open incidents by time left (FACTS.md: ~1 ms with
            # (tenant, due_at, id) vs 108 ms with (tenant, status, due_at)).
            models.Index(fields=["municipality", "due_at", "id"], name="incident_mun_due"),
            # The working set: open incidents by term — the dashboard's counts, «Мои задачи»,
            # the list's «open»/«overdue» views. The sweep no longer writes incident rows (it
            # works on IncidentClock), so a status-partial index costs only real transitions.
            models.Index(
                fields=["municipality", "due_at", "id"],
                name="incident_mun_open_due",
                condition=Q(status__in=OPEN_STATUSES),
                # Covering (PostgreSQL): the dashboard's GROUP BY over the open incidents is an
                # index-only scan (bench/pages.py: 500 ms → 29 ms over 100 k open rows).
                include=["status", "channel", "sector_id", "responsible_id"],
            ),
            # The auto-delivery share (Октябрьский Прил. № 2 п. 2) of a period: index-only.
            models.Index(
                fields=["municipality", "received_at"],
                name="incident_mun_routed",
                condition=Q(auto_routed__isnull=False),
                include=["auto_routed"],
            ),
            # «Answered today» on the dashboard, answers of a period in the reports.
            models.Index(
                fields=["municipality", "answered_at"],
                name="incident_mun_answered",
                condition=Q(answered_at__isnull=False),
            ),
            models.Index(
                fields=["municipality", "received_at", "id"], name="incident_mun_received"
            ),
            # The API's sync order. The included columns let a region's page read each
            # municipality's range by the index alone when it filters by them (api/sync.py:
            # 3.9 → 1.4 ms for channel + status over five municipalities; bench/api.py).
            models.Index(
                fields=["municipality", "updated_at", "id"],
                include=["channel", "status", "fast_track", "topic", "sector"],
                name="incident_mun_updated",
            ),
            # The sweep's partial indexes are on IncidentClock (a narrow row, cheap to rewrite).
            # Ends with the id: a repeat lookup takes the first row by (received_at, id) and
            # stops there, instead of sorting every incident of the place in the window.
            models.Index(
                fields=["municipality", "topic", "address_key", "received_at", "id"],
                name="incident_repeat_lookup",
            ),
            models.Index(
                fields=["repeat_of"],
                name="incident_repeat_of",
                condition=Q(repeat_of__isnull=False),
            ),
            models.Index(
                fields=["merged_into"],
                name="incident_merged_into",
                condition=Q(merged_into__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"№ {self.pk} ({self.get_channel_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        """Late right now: open and past its term. Computed, not stored — the same rule every
        reader uses (``status in OPEN_STATUSES and due_at < now``), whatever the sweep has
        got round to flagging yet."""
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()


class IncidentClock(TenantModel):
    """The deadline sweep's own state of one incident: a narrow 1:1 row the sweep may rewrite.

    Why a table of its own (issue 3, bench/sweep.py): flagging 1 000 breaches on ``Incident``
    rewrote 1 000 wide rows (~1.1 KB) and all 11 of their indexes (the flags sit in partial-index
    predicates, so no HOT update), and the WAL of that made the COMMIT slow too — ~100 ms in the
    database against a 30 ms target. Here a row is ~100 bytes with the primary key and the
    sweep's partial indexes only: a breach writes two index entries, not eleven.

    ``Incident`` keeps the deadline truth (``due_at``, ``final_due_at``, ``stage_due_at``,
    ``warn_at``) for lists and reports, which judge "overdue" from ``due_at`` at read time. This
    row copies the terms (``clock.clocks_sync`` keeps it in step on every change of a term or of
    the status) plus what only the sweep writes: warned, breached, the rung of the ladder. A
    changed term resets them — the new term has not been warned about or missed yet.

    ``is_open`` / ``stage_open`` make the partial indexes exact: each holds the open clocks its
    step has not dealt with yet, so a tick costs in proportion to what is due, not to the table
    (FACTS.md: a status-only partial index is slower than none).
    """

    incident = models.OneToOneField(
        Incident,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="clock",
        verbose_name=_("инцидент"),
    )
    # Never read by municipality alone (the sweep spans all of them; a row is reached by its
    # incident); an index here would be one more entry to write per flagged row.
    municipality = municipality_key(db_index=False)
    is_open = models.BooleanField(_("срок идёт"), default=True)
    due_at = models.DateTimeField(_("срок"), null=True, blank=True)
    warn_at = models.DateTimeField(_("предупредить в"), null=True, blank=True)
    warned_at = models.DateTimeField(_("предупреждение отправлено"), null=True, blank=True)
    breached_at = models.DateTimeField(_("просрочено с"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("уровень эскалации"), default=0)
    next_escalation_at = models.DateTimeField(_("следующая эскалация"), null=True, blank=True)
    # The stage term (Регламент §2.5: the agreed answer to the ИМ operator within 3 hours;
    # 59-ФЗ ст. 8 ч. 3: forwarding within 7 days). Warned and flagged once; never a ladder of its
    # own — the answer's term escalates, the stage only tells.
    stage_open = models.BooleanField(_("срок этапа идёт"), default=False)
    stage_due_at = models.DateTimeField(_("срок этапа"), null=True, blank=True)
    stage_warn_at = models.DateTimeField(_("предупредить об этапе в"), null=True, blank=True)
    stage_warned_at = models.DateTimeField(
        _("предупреждение об этапе отправлено"), null=True, blank=True
    )
    stage_breached_at = models.DateTimeField(_("срок этапа нарушен"), null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("часы срока инцидента")
        verbose_name_plural = _("часы сроков инцидентов")
        indexes = [
            models.Index(
                fields=["warn_at"],
                name="clock_sweep_warn",
                condition=Q(is_open=True, warned_at__isnull=True, warn_at__isnull=False),
            ),
            models.Index(
                fields=["due_at"],
                name="clock_sweep_breach",
                condition=Q(is_open=True, breached_at__isnull=True, due_at__isnull=False),
            ),
            models.Index(
                fields=["next_escalation_at"],
                name="clock_sweep_escalate",
                condition=Q(is_open=True, next_escalation_at__isnull=False),
            ),
            models.Index(
                fields=["stage_warn_at"],
                name="clock_sweep_stage_warn",
                condition=Q(
                    stage_open=True, stage_warned_at__isnull=True, stage_warn_at__isnull=False
                ),
            ),
            models.Index(
                fields=["stage_due_at"],
                name="clock_sweep_stage_breach",
                condition=Q(
                    stage_open=True, stage_breached_at__isnull=True, stage_due_at__isnull=False
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.due_at}"


class Answer(TenantModel):
    """The answer to an incident. Every edit is a new ``AnswerVersion``; approvals are rows too."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Черновик")
        ON_APPROVAL = "on_approval", _("На согласовании")
        RETURNED = "returned", _("Возвращён на доработку")
        APPROVED = "approved", _("Согласован")
        PUBLISHED = "published", _("Опубликован")

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="answers", verbose_name=_("инцидент")
    )
    is_interim = models.BooleanField(_("промежуточный ответ"), default=False)
    state = models.CharField(
        _("состояние"), max_length=16, choices=State.choices, default=State.DRAFT
    )
    text = models.TextField(_("текст ответа"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("автор"),
    )
    sector_approved_at = models.DateTimeField(
        _("согласован куратором блока"), null=True, blank=True
    )
    head_approved_at = models.DateTimeField(_("утверждён руководителем МЦУ"), null=True, blank=True)
    published_at = models.DateTimeField(_("опубликован"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("опубликовал"),
    )
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)
    updated_at = models.DateTimeField(_("изменён"), auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("ответ")
        verbose_name_plural = _("ответы")
        ordering = ["incident", "created_at"]


class AnswerTemplate(TenantModel):
    """A ready answer text for a topic, offered in the answer editor (issue 5 item 4).

    Per municipality: each one answers in its own words and signs with its own bodies. ``topic``
    empty means a template for any topic (a greeting, a standard closing).
    """

    topic = models.ForeignKey(
        Topic,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("тема"),
    )
    title = models.CharField(_("название"), max_length=200)
    text = models.TextField(_("текст"))
    is_active = models.BooleanField(_("действует"), default=True)
    updated_at = models.DateTimeField(_("изменён"), auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("шаблон ответа")
        verbose_name_plural = _("шаблоны ответов")
        ordering = ["municipality", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "topic", "title"],
                name="answertemplate_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return self.title


class AnswerVersion(TenantModel):
    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="versions", verbose_name=_("ответ")
    )
    number = models.PositiveIntegerField(_("версия"))
    text = models.TextField(_("текст"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("автор"),
    )
    created_at = models.DateTimeField(_("создана"), auto_now_add=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("версия ответа")
        verbose_name_plural = _("версии ответов")
        ordering = ["answer", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "answer", "number"], name="answerversion_unique"
            )
        ]


class Approval(TenantModel):
    class Stage(models.TextChoices):
        SECTOR = "sector", _("Куратор отраслевого блока")
        HEAD = "head", _("Руководитель МЦУ")

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Согласовано")
        RETURNED = "returned", _("Возвращено на доработку")

    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("ответ")
    )
    version = models.ForeignKey(
        AnswerVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("версия")
    )
    stage = models.CharField(_("этап"), max_length=16, choices=Stage.choices)
    decision = models.CharField(_("решение"), max_length=16, choices=Decision.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("кто")
    )
    comment = models.TextField(_("комментарий"), blank=True)
    created_at = models.DateTimeField(_("когда"), auto_now_add=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("согласование")
        verbose_name_plural = _("согласования")
        ordering = ["answer", "created_at"]


# The events and notifications are append-only rows that the sweep writes by the thousand per
# tick (a morning with 1 000 breaches: 1 000 events, ~1 400 notifications). Their foreign keys
# carry no database constraint: PostgreSQL checks a deferred constraint row by row at COMMIT
# through a trigger, ~7 000 checks that were a third of such a tick's database CPU
# (bench/sweep.py). The parents are never deleted in SQL (incidents and municipalities are
# not deleted at all); a delete through Django still cascades (``on_delete`` is Django's own),
# and rows are written only by the services, with ids they have just read.


class IncidentEvent(TenantModel):
    """The timeline and the audit trail are the same table (DESIGN §4)."""

    # Read by incident (event_incident_at); five values are no index worth its upkeep. No
    # database constraint: see above.
    municipality = municipality_key(db_index=False, db_constraint=False)

    class Kind(models.TextChoices):
        CREATED = "created", _("Поступило")
        TRANSITION = "transition", _("Смена статуса")
        ASSIGNED = "assigned", _("Назначение")
        CLASSIFIED = "classified", _("Классификация")
        ANSWER_VERSION = "answer_version", _("Версия ответа")
        APPROVAL = "approval", _("Согласование")
        DEADLINE = "deadline", _("Изменение срока")
        WARNING = "warning", _("Предупреждение о сроке")
        BREACH = "breach", _("Нарушение срока")
        ESCALATION = "escalation", _("Эскалация")
        PERSONAL_DATA_VIEW = "pd_view", _("Просмотр персональных данных")
        REPEAT_LINK = "repeat_link", _("Связь с повтором")
        MERGE = "merge", _("Объединение")
        SATISFACTION = "satisfaction", _("Оценка заявителя")
        NOTE = "note", _("Комментарий")

    incident = models.ForeignKey(
        Incident,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("инцидент"),
        db_index=False,  # event_incident_at (incident, at) covers it
        db_constraint=False,  # see above
    )
    kind = models.CharField(_("событие"), max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кто"),
        # event_actor: only rows with an actor. The sweep's events have none, and an index
        # entry for each of them was upkeep that no query (``actor_id = …``) ever reads.
        db_index=False,
    )
    at = models.DateTimeField(_("когда"))
    from_status = models.CharField(_("из статуса"), max_length=16, blank=True)
    to_status = models.CharField(_("в статус"), max_length=16, blank=True)
    note = models.TextField(_("примечание"), blank=True)
    data = models.JSONField(_("данные"), default=dict, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("событие")
        verbose_name_plural = _("события (хронология и аудит)")
        ordering = ["incident", "at", "id"]
        indexes = [
            models.Index(fields=["incident", "at"], name="event_incident_at"),
            models.Index(fields=["actor"], name="event_actor", condition=Q(actor__isnull=False)),
        ]


class Notification(TenantModel):
    """In-app notification (the bell); the same event is e-mailed."""

    # Read by user (notification_unread, the user index). No database constraint: see above.
    municipality = municipality_key(db_index=False, db_constraint=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("кому"),
        db_constraint=False,  # see above
    )
    incident = models.ForeignKey(
        Incident,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("инцидент"),
        db_index=False,  # read by user; incidents are never deleted
        db_constraint=False,  # see above
    )
    # A notice about several incidents at once (the sweep's, one per person and minute): their
    # ids, in the order the body lists them; ``incident`` is then empty.
    incident_ids = models.JSONField(_("инциденты"), default=list, blank=True)
    kind = models.CharField(_("вид"), max_length=32)
    title = models.CharField(_("заголовок"), max_length=300)
    body = models.TextField(_("текст"), blank=True)
    created_at = models.DateTimeField(_("создано"), auto_now_add=True)
    read_at = models.DateTimeField(_("прочитано"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("отправлено по e-mail"), null=True, blank=True)

    @property
    def lead(self) -> str:
        """The body's first line: for a notice about several incidents, why it came."""
        return self.body.split("\n", 1)[0]

    class Meta(TenantModel.Meta):
        verbose_name = _("уведомление")
        verbose_name_plural = _("уведомления")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            )
        ]
