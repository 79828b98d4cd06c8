from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mcu.models import (
    Assignment,
    KpiTarget,
    Meeting,
    Municipality,
    PublicHearing,
    Region,
    Roadmap,
)

admin.site.site_header = _("MCU Desk — администрирование")
admin.site.site_title = "MCU Desk"
admin.site.index_title = _("Администрирование МЦУ")


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "cur_name")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("short_name", "slug", "region", "timezone")
    list_filter = ("region",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Municipality]:
        queryset = super().get_queryset(request)
        ids: frozenset[int] | None = getattr(request, "accessible_municipality_ids", frozenset())
        return queryset if ids is None else queryset.filter(pk__in=ids)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(KpiTarget)
class KpiTargetAdmin(admin.ModelAdmin):
    """Targets per municipality and year: the acts' rows are seeded, others are entered here.

    ``mcu`` cannot use ``roles.admin.TenantAdmin`` (dependencies point down to ``mcu``), so the
    rows are limited the same way as municipalities above: to those the user may enter; adding
    and changing need the model permission, which no municipal group is given — the targets come
    from the acts and the ЦУР, entered by the platform administrator.
    """

    list_display = ("indicator", "year", "value", "unit", "municipality")
    list_filter = ("municipality", "year", "indicator")
    ordering = ("municipality", "year", "indicator")

    def get_queryset(self, request: HttpRequest) -> QuerySet[KpiTarget]:
        queryset = super().get_queryset(request)
        ids: frozenset[int] | None = getattr(request, "accessible_municipality_ids", frozenset())
        return queryset if ids is None else queryset.filter(municipality_id__in=ids)


# --- the center's own work (issue 8): read in the admin, written on the center's pages --------


class _CenterAdmin(admin.ModelAdmin):
    """Rows of the municipalities the user may enter; changes go through the center's pages
    (their services check the roster, the terms and the block), so the admin only reads."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        ids: frozenset[int] | None = getattr(request, "accessible_municipality_ids", frozenset())
        return queryset if ids is None else queryset.filter(municipality_id__in=ids)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(_CenterAdmin):
    list_display = ("held_on", "title", "form", "protocol_number", "municipality")
    list_filter = ("municipality", "form")


@admin.register(Assignment)
class AssignmentAdmin(_CenterAdmin):
    list_display = ("text", "executor", "due_date", "status", "escalation_level", "municipality")
    list_filter = ("municipality", "status")


@admin.register(Roadmap)
class RoadmapAdmin(_CenterAdmin):
    list_display = ("title", "sector", "state", "approved_on", "municipality")
    list_filter = ("municipality", "state")


@admin.register(PublicHearing)
class PublicHearingAdmin(_CenterAdmin):
    list_display = ("title", "kind", "starts_on", "ends_on", "state", "on_pos", "municipality")
    list_filter = ("municipality", "kind", "state", "on_pos")
