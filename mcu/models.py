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


class TenantModel(models.Model):
    """Base of every tenant-owned model (STYLE.md §Tenancy).

    The scoped manager is also the *base* manager, so Django's own lookups (following a foreign
    key, ``refresh_from_db``, updates on ``save``) are scoped too and cannot cross tenants.
    """

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("муниципальное образование"),
        db_index=True,
    )

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
