"""The report archive: every generated workbook, scheduled or on demand (issue 6 item 4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mcu.models import TenantModel


class ReportKind(models.TextChoices):
    WEEKLY_SUMMARY = "weekly_summary", _("Еженедельная сводка")
    PROBLEMATOR = "problemator", _("Проблематор недели")
    KPI_MONTHLY = "kpi_monthly", _("Ежемесячный отчёт о целевых показателях")


class ReportRun(TenantModel):
    """One generation of one report for one period.

    A scheduled run is unique per (municipality, kind, period): beat firing twice, or two beats,
    find the row already there and generate nothing (``reportrun_scheduled_once``). On-demand
    runs are not limited — asking again gives fresh figures, and the archive keeps both.
    """

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("по расписанию")
        MANUAL = "manual", _("по запросу")

    class State(models.TextChoices):
        QUEUED = "queued", _("в очереди")
        RUNNING = "running", _("формируется")
        DONE = "done", _("готов")
        FAILED = "failed", _("ошибка")

    kind = models.CharField(_("отчёт"), max_length=32, choices=ReportKind.choices)
    period_code = models.CharField(_("период"), max_length=32)  # 2026-W47, 2026-11
    period_start = models.DateField(_("начало периода"))  # local date, inclusive
    period_end = models.DateField(_("конец периода"))  # local date, exclusive
    trigger = models.CharField(_("запуск"), max_length=16, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("кто запросил"),
    )
    state = models.CharField(
        _("состояние"), max_length=16, choices=State.choices, default=State.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("готовность, %"), default=0)
    file = models.FileField(_("файл"), upload_to="reports/%Y/%m/", blank=True)
    file_name = models.CharField(_("имя файла"), max_length=200, blank=True)
    file_size = models.PositiveIntegerField(_("размер, байт"), default=0)
    error = models.TextField(_("ошибка"), blank=True)
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)
    started_at = models.DateTimeField(_("начат"), null=True, blank=True)
    finished_at = models.DateTimeField(_("сформирован"), null=True, blank=True)
    notified_at = models.DateTimeField(_("разослан"), null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("сформированный отчёт")
        verbose_name_plural = _("архив отчётов")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "kind", "period_start"],
                condition=Q(trigger="schedule"),
                name="reportrun_scheduled_once",
            )
        ]
        indexes = [
            models.Index(fields=["municipality", "created_at"], name="reportrun_archive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.period_code}"
