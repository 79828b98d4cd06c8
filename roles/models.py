"""People and the roles the acts give them: users, org units, sector blocks, role assignments."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mcu.models import Region, TenantManager, TenantModel, TenantQuerySet


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Координатор МЦУ")
    CURATOR = "curator", _("Куратор МЦУ")
    HEAD = "head", _("Руководитель МЦУ")
    SECTOR_CURATOR = "sector_curator", _("Куратор отраслевого блока")
    SECTOR_OWNER = "sector_owner", _("Ответственный за отраслевой блок")
    EXECUTOR = "executor", _("Исполнитель (ответственный получатель)")
    EDDS_HEAD = "edds_head", _("Руководитель ЕДДС")
    POS_OPERATOR = "pos_operator", _("Ответственный за работу в ПОС")
    IM_OPERATOR = "im_operator", _("Ответственный за работу в «Инцидент Менеджмент»")
    APPEALS_OFFICER = "appeals_officer", _("Ответственный за работу с обращениями граждан")
    GOSPUBLIC_OFFICER = (
        "gospublic_officer",
        _("Ответственный за информационную политику и госпаблики"),
    )
    SUPPORT_OFFICER = "support_officer", _("Ответственный за обеспечение деятельности МЦУ")
    TECH_ADMIN = "tech_admin", _("Администратор МЦУ (техническое обеспечение)")
    ECPUR_CURATOR = "ecpur_curator", _("Куратор ЕЦПУР")
    SED_CURATOR = "sed_curator", _("Куратор СЭД")
    REGIONAL_ANALYST = "regional_analyst", _("Аналитик ЦУР")


class Channel(models.TextChoices):
    """Where messages come from (DESIGN §6)."""

    IM = "im", _("Инцидент Менеджмент (соцсети)")
    POS = "pos", _("Платформа обратной связи")
    EDDS = "edds", _("ЕДДС")
    APPEAL = "appeal", _("Обращение по 59-ФЗ")
    GOSPUBLIC = "gospublic", _("Госпаблики")
    EMAIL = "email", _("Электронная почта")


class User(AbstractUser):
    """A person: staff member of a municipality, or a chair of an act's roster.

    A chair whose holder the act does not name is still a User (with an unusable password) so that
    one chair holding several roles is visibly one person (Ловозерский, Прил. 2, пп. 2–5).
    """

    first_name = None  # type: ignore[assignment]  # Russian names are kept whole in full_name
    last_name = None  # type: ignore[assignment]
    full_name = models.CharField(_("ФИО"), max_length=200, blank=True)
    position = models.CharField(_("должность"), max_length=500, blank=True)
    phone = models.CharField(_("телефон"), max_length=40, blank=True)

    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("пользователь")
        verbose_name_plural = _("пользователи")
        ordering = ["full_name", "username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.position or self.username

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name or self.username


class OrgUnit(TenantModel):
    """A responsible recipient (ответственный получатель) that answers citizens."""

    class Kind(models.TextChoices):
        ADMINISTRATION = "administration", _("Администрация")
        STRUCTURAL_UNIT = "structural_unit", _("Структурное подразделение")
        INSTITUTION = "institution", _("Подведомственное учреждение")
        SETTLEMENT = "settlement", _("Поселение")
        EDDS = "edds", _("ЕДДС")
        DUMA = "duma", _("Представительный орган (Дума)")
        KSP = "ksp", _("Контрольно-счётная палата")

    code = models.SlugField(_("код"), max_length=64)
    name = models.CharField(_("название"), max_length=300)
    kind = models.CharField(_("вид"), max_length=32, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("входит в"),
    )
    is_active = models.BooleanField(_("действует"), default=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("подразделение / учреждение")
        verbose_name_plural = _("подразделения и учреждения")
        ordering = ["municipality", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="orgunit_code_per_mun")
        ]

    def __str__(self) -> str:
        return self.name


class Sector(TenantModel):
    """An отраслевой блок / направление of the МЦУ, as the municipality's act names it."""

    code = models.SlugField(_("код"), max_length=64)
    name = models.CharField(_("название"), max_length=300)
    description = models.TextField(_("тематики по акту"), blank=True)
    # Standard ЦУР topic codes the block covers; the incident taxonomy maps topics through these.
    topic_codes = models.JSONField(_("коды тематик"), default=list, blank=True)
    act_clause = models.CharField(_("пункт акта"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("порядок"), default=0)
    is_active = models.BooleanField(_("действует"), default=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("отраслевой блок")
        verbose_name_plural = _("отраслевые блоки")
        ordering = ["municipality", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="sector_code_per_mun")
        ]

    def __str__(self) -> str:
        return self.name


class RoleAssignmentQuerySet(TenantQuerySet["RoleAssignment"]):
    def active_on(self, day: date) -> RoleAssignmentQuerySet:
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )


RoleAssignmentManager = TenantManager.from_queryset(RoleAssignmentQuerySet)


class RoleAssignment(TenantModel):
    """Who holds which role, for which sector / channel / unit, from when to when.

    A change of the responsible person closes one row and opens another: the roster's history
    is kept, never overwritten (Октябрьский Регламент §1.4: the ЦУР is told of every change).
    ``user`` is empty where the act names a group of officials rather than one chair.
    """

    class Source(models.TextChoices):
        ACT = "act", _("Акт о создании МЦУ")
        ADMIN = "admin", _("Назначение администратором")
        DEMO = "demo", _("Демо-учётная запись")

    user = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("сотрудник"),
    )
    role = models.CharField(_("роль"), max_length=32, choices=Role.choices)
    position_title = models.CharField(_("должность по акту"), max_length=1000, blank=True)
    sector = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("отраслевой блок"),
    )
    channel = models.CharField(
        _("канал"), max_length=16, choices=Channel.choices, blank=True, default=""
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("подразделение"),
    )
    valid_from = models.DateField(_("действует с"), null=True, blank=True)
    valid_to = models.DateField(_("действует по"), null=True, blank=True)
    source = models.CharField(
        _("основание"), max_length=16, choices=Source.choices, default=Source.ADMIN
    )
    act_clause = models.CharField(_("пункт акта"), max_length=200, blank=True)
    seed_key = models.CharField(
        _("ключ загрузки"),
        max_length=200,
        blank=True,
        help_text=_("Служебный ключ строки состава из акта; пуст для назначений вручную."),
    )
    note = models.TextField(_("примечание"), blank=True)
    created_at = models.DateTimeField(_("создано"), auto_now_add=True)

    objects: ClassVar[RoleAssignmentManager] = RoleAssignmentManager()

    class Meta(TenantModel.Meta):
        verbose_name = _("назначение роли")
        verbose_name_plural = _("состав МЦУ: назначения ролей")
        ordering = ["municipality", "role", "valid_from", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "seed_key"],
                condition=~Q(seed_key=""),
                name="roleassignment_seed_key_per_mun",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="roleassignment_valid_range",
            ),
        ]
        indexes = [models.Index(fields=["municipality", "user"], name="roleassign_mun_user")]

    def __str__(self) -> str:
        holder = self.user.display_name if self.user else self.position_title
        return f"{self.get_role_display()}: {holder}"


class RegionMembership(models.Model):
    """A regional ЦУР user (role ``regional_analyst``): read-only across the region."""

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="region_memberships",
        verbose_name=_("сотрудник"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("регион")
    )
    role = models.CharField(
        _("роль"), max_length=32, choices=Role.choices, default=Role.REGIONAL_ANALYST
    )
    valid_from = models.DateField(_("действует с"), null=True, blank=True)
    valid_to = models.DateField(_("действует по"), null=True, blank=True)

    class Meta:
        verbose_name = _("доступ ЦУР к региону")
        verbose_name_plural = _("доступы ЦУР к регионам")
        constraints = [
            models.UniqueConstraint(fields=["user", "region", "role"], name="regionmember_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.region}"
