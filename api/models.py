"""Tokens of the systems that read the API (the regional ЦУР, a Coordination Center), and the
log of what each of them asked for.

Neither is tenant-owned: a token spans the municipalities of its scope (a region, or named
municipalities), and the log belongs to the token. Both are platform data that only a
superuser manages (``api.admin``).
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mcu.models import Municipality, Region


class ApiToken(models.Model):
    """A bearer token for a system, not a person. Only its SHA-256 is kept (FACTS.md: DRF's
    own tokens are stored in plain text): the secret is shown once, when it is created.

    SHA-256 without salt is enough here: the secret is 256 random bits, so there is nothing to
    guess a dictionary against, and an exact-match index on the hash finds the row in one probe.
    """

    name = models.CharField(_("название"), max_length=100)
    prefix = models.CharField(
        _("начало токена"),
        max_length=16,
        help_text=_("Первые символы токена — чтобы узнать его в журнале; не секрет."),
    )
    token_hash = models.CharField(_("SHA-256 токена"), max_length=64, unique=True, editable=False)
    regions = models.ManyToManyField(
        Region, blank=True, related_name="api_tokens", verbose_name=_("регионы")
    )
    municipalities = models.ManyToManyField(
        Municipality,
        blank=True,
        related_name="api_tokens",
        verbose_name=_("муниципальные образования"),
    )
    personal_data = models.BooleanField(
        _("видит персональные данные"),
        default=False,
        help_text=_("ФИО, контакты и точный адрес заявителя; без этого права они скрыты."),
    )
    rate_per_minute = models.PositiveIntegerField(_("запросов в минуту"), default=600)
    created_at = models.DateTimeField(_("создан"), default=timezone.now)
    expires_at = models.DateTimeField(_("действует до"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("отозван"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("последний запрос"), null=True, blank=True)
    note = models.TextField(_("примечание"), blank=True)

    class Meta:
        verbose_name = _("токен API")
        verbose_name_plural = _("токены API")
        ordering = ["name", "-created_at"]
        constraints = [
            # A revoked token keeps its name in the log; a new one may take the name over.
            models.UniqueConstraint(
                fields=["name"], condition=Q(revoked_at__isnull=True), name="apitoken_active_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_active(self, now: datetime | None = None) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > (now or timezone.now())


class ApiRequestLog(models.Model):
    """One request of a token: what was asked and how much came back — never the data itself."""

    token = models.ForeignKey(
        ApiToken, on_delete=models.CASCADE, related_name="requests", verbose_name=_("токен")
    )
    at = models.DateTimeField(_("когда"))
    method = models.CharField(_("метод"), max_length=8)
    endpoint = models.CharField(_("операция"), max_length=200)
    object_id = models.BigIntegerField(_("объект"), null=True, blank=True)
    municipality = models.CharField(
        _("муниципальные образования"),
        max_length=300,
        blank=True,
        help_text=_("Запрошенные slug через запятую; пусто — весь охват токена."),
    )
    status = models.PositiveSmallIntegerField(_("код ответа"))
    count = models.PositiveIntegerField(_("записей в ответе"), null=True, blank=True)
    personal_data = models.BooleanField(_("выданы персональные данные"), default=False)
    duration_ms = models.PositiveIntegerField(_("длительность, мс"), default=0)

    class Meta:
        verbose_name = _("запрос к API")
        verbose_name_plural = _("журнал запросов к API")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["token", "at"], name="apilog_token_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.method} {self.endpoint} → {self.status}"
