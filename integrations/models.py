"""The durable edge of the product: raw inbound messages, channel secrets, routing rules,
file imports and the outbox of published answers (DESIGN §6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models import Answer, Incident, Topic
from mcu.models import TenantModel, municipality_key
from roles.models import Channel, OrgUnit, Sector


class ChannelSecret(TenantModel):
    """HMAC secret of one municipality × channel. Two are valid during a rotation.

    The secret itself must be kept (HMAC verification needs the key, a hash would not do); it is
    shown once, when created, and never again — not in the admin, not in a page.
    """

    channel = models.CharField(_("канал"), max_length=16, choices=Channel.choices)
    secret = models.CharField(_("секрет"), max_length=128, editable=False)
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("отозван"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кем создан"),
    )

    class Meta(TenantModel.Meta):
        verbose_name = _("секрет канала")
        verbose_name_plural = _("секреты каналов")
        ordering = ["municipality", "channel", "-created_at"]
        indexes = [
            models.Index(
                fields=["municipality", "channel"],
                name="channelsecret_active",
                condition=Q(revoked_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} ({self.created_at:%d.%m.%Y})"


class SeenSignature(TenantModel):
    """Signatures of accepted webhook requests, kept for the replay window (then pruned): the
    same signed request sent again is refused even though its signature is valid."""

    signature = models.CharField(_("подпись"), max_length=64)
    seen_at = models.DateTimeField(_("получен"), db_index=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("подпись запроса")
        verbose_name_plural = _("подписи запросов")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "signature"], name="seen_signature_once"
            )
        ]


class InboundMessage(TenantModel):
    """One raw message as received, stored before it is acknowledged (the inbox).

    A task turns a pending row into an incident; a sweeper re-enqueues rows no task finished, so
    a broker outage delays a message but never loses it. A bad payload stays here with its
    error, for the administrator to see, fix and retry.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Ожидает обработки")
        PROCESSED = "processed", _("Обработано")
        DUPLICATE = "duplicate", _("Дубликат")
        FAILED = "failed", _("Ошибка")

    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("Вебхук")
        IMPORT = "import", _("Импорт файла")

    # No index of its own: the unique key begins with it (``inbound_state_mun`` has it second),
    # and every index is one more entry written per row, twice (accepted, then processed).
    municipality = municipality_key(db_index=False)
    channel = models.CharField(_("канал"), max_length=16, choices=Channel.choices)
    # Blank when the payload has no usable id (it is then a failed row, never an incident).
    external_id = models.CharField(_("номер в канале"), max_length=200, blank=True)
    source = models.CharField(_("источник"), max_length=16, choices=Source.choices)
    body = models.TextField(_("тело сообщения (как получено)"))
    # What the adapter made of ``body`` when it was accepted (``services/normalized.py``): the
    # worker turns it into an incident without validating the payload a second time. ``body``
    # stays the truth: a retry after a fix clears this and parses the body again. Processing
    # clears it too once the row is done: it is needed no more, and every row of a large import
    # would keep ~0.8 KB of it for good. JSON kept as text, not ``jsonb``: nothing queries inside
    # it, and PostgreSQL's converting it in and out was most of the claim query's time
    # (bench/import.py).
    normalized = models.TextField(
        _("разобранное сообщение"), blank=True, default="", editable=False
    )
    headers = models.JSONField(_("заголовки"), default=dict, blank=True)
    received_at = models.DateTimeField(_("получено"), db_index=True)
    state = models.CharField(
        _("состояние"), max_length=16, choices=State.choices, default=State.PENDING
    )
    error = models.TextField(_("ошибка"), blank=True)
    error_fields = models.JSONField(_("ошибки по полям"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(_("попыток"), default=0)
    processed_at = models.DateTimeField(_("обработано"), null=True, blank=True)
    # Which delivery wrote the row: with concurrent deliveries of one message, only the writer
    # reports it accepted; the others see a duplicate.
    delivery = models.UUIDField(_("доставка"), null=True, blank=True, editable=False)
    incident = models.ForeignKey(
        Incident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("инцидент"),
    )
    import_batch = models.ForeignKey(
        "ImportBatch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("импорт"),
    )

    class Meta(TenantModel.Meta):
        verbose_name = _("входящее сообщение")
        verbose_name_plural = _("входящие сообщения")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "channel", "external_id"],
                condition=~Q(external_id=""),
                name="inbound_external_unique",
            )
        ]
        indexes = [
            # The re-enqueue sweeper: only rows still pending.
            models.Index(
                fields=["received_at"],
                name="inbound_pending",
                condition=Q(state="pending"),
            ),
            # A municipality's rows by state (the administrator's lists). The state leads: the
            # unique key must be the only index a municipality's condition alone can enter. A
            # municipality that is new to the planner's statistics (its first import) looks
            # empty to it, and with a second index beginning with the municipality the
            # duplicate check (``inbox_stored``) took that one and read all the municipality's
            # rows for each id: 1.4 s a chunk of 500 at 20 000 rows, against 4 ms.
            models.Index(fields=["state", "municipality", "received_at"], name="inbound_state_mun"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.external_id or '—'}"


class RoutingRule(TenantModel):
    """The administrator's routing rules: a channel category or a keyword → topic and sector.

    Rules run by priority (lower first); the first that matches decides. A message no rule
    matches falls back to the topic → sector mapping of the рубрикатор.
    """

    priority = models.PositiveSmallIntegerField(_("приоритет"), default=100)
    channel = models.CharField(
        _("канал (пусто — любой)"), max_length=16, choices=Channel.choices, blank=True
    )
    category_code = models.CharField(
        _("код категории в канале"),
        max_length=100,
        blank=True,
        help_text=_("Например, код категории ПОС; пусто — не проверять."),
    )
    keywords = models.CharField(
        _("ключевые слова"),
        max_length=500,
        blank=True,
        help_text=_("Через запятую; правило срабатывает, если в тексте есть любое из них."),
    )
    settlement_keyword = models.CharField(
        _("населённый пункт в адресе"),
        max_length=200,
        blank=True,
        help_text=_("Если адрес содержит это название — поселение ниже."),
    )
    topic = models.ForeignKey(
        Topic,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("тема"),
    )
    sector = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("отраслевой блок"),
    )
    settlement = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": OrgUnit.Kind.SETTLEMENT},
        verbose_name=_("поселение"),
    )
    is_active = models.BooleanField(_("действует"), default=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("правило маршрутизации")
        verbose_name_plural = _("правила маршрутизации")
        ordering = ["municipality", "priority", "id"]


class ImportBatch(TenantModel):
    """One uploaded export file (XLSX / CSV from ПОС or ИМ) and what became of its rows."""

    class State(models.TextChoices):
        PENDING = "pending", _("В очереди")
        RUNNING = "running", _("Загружается")
        DONE = "done", _("Загружен")
        FAILED = "failed", _("Ошибка файла")

    channel = models.CharField(_("канал"), max_length=16, choices=Channel.choices)
    file_name = models.CharField(_("файл"), max_length=300)
    file = models.FileField(_("файл"), upload_to="imports/%Y/%m/", blank=True)
    sha256 = models.CharField(_("контрольная сумма"), max_length=64)
    state = models.CharField(
        _("состояние"), max_length=16, choices=State.choices, default=State.PENDING
    )
    total_rows = models.PositiveIntegerField(_("строк"), default=0)
    imported = models.PositiveIntegerField(_("загружено"), default=0)
    duplicates = models.PositiveIntegerField(_("повторно"), default=0)
    # [{"row": 17, "column": "Дата создания", "reason": "…"}], in row order.
    errors = models.JSONField(_("ошибки"), default=list, blank=True)
    error = models.TextField(_("ошибка файла"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("загрузил"),
    )
    created_at = models.DateTimeField(_("загружен"), auto_now_add=True)
    finished_at = models.DateTimeField(_("завершён"), null=True, blank=True)
    # The worker importing the batch stamps it at the start and with every chunk it commits;
    # a running batch whose stamp is old lost its worker (integrations.services.imports).
    heartbeat_at = models.DateTimeField(_("последний признак работы"), null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("импорт файла")
        verbose_name_plural = _("импорт файлов")
        ordering = ["-created_at"]


class OutboxMessage(TenantModel):
    """A published answer on its way back to the channel, written in the publishing transaction."""

    class State(models.TextChoices):
        PENDING = "pending", _("Ожидает отправки")
        SENT = "sent", _("Доставлен")
        FAILED = "failed", _("Не доставлен")

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="outbox", verbose_name=_("инцидент")
    )
    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="+", verbose_name=_("ответ")
    )
    channel = models.CharField(_("канал"), max_length=16, choices=Channel.choices)
    payload = models.JSONField(_("что отправляем"), default=dict)
    state = models.CharField(
        _("состояние"), max_length=16, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("попыток"), default=0)
    last_error = models.TextField(_("последняя ошибка"), blank=True)
    next_attempt_at = models.DateTimeField(_("следующая попытка"), null=True, blank=True)
    sent_at = models.DateTimeField(_("доставлен"), null=True, blank=True)
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("исходящий ответ")
        verbose_name_plural = _("исходящие ответы")
        ordering = ["-created_at"]
        constraints = [
            # One delivery per answered incident: a merged duplicate gets the parent's answer
            # in its own channel.
            models.UniqueConstraint(
                fields=["municipality", "answer", "incident"], name="outbox_once_per_incident"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="outbox_due", condition=Q(state="pending")
            )
        ]
