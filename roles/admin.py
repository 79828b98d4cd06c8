"""Django admin, in Russian, scoped: a municipal administrator manages only their municipality."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mcu.models import Municipality, TenantModel
from roles.models import OrgUnit, RegionMembership, RoleAssignment, Sector, User
from roles.permissions import Capability
from roles.selectors import municipality_ids_with_capability


def admin_municipality_ids(request: HttpRequest) -> frozenset[int] | None:
    """Municipalities whose roster this user administers (``None``: all, a superuser)."""
    cached = getattr(request, "_mcu_admin_ids", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    ids = municipality_ids_with_capability(user=request.user, capability=Capability.ROSTER_MANAGE)
    request._mcu_admin_ids = ids  # type: ignore[attr-defined]
    return ids


# The plain related filter lists every municipality; this one only those in the scoped rows.
MUNICIPALITY_FILTER = ("municipality", admin.RelatedOnlyFieldListFilter)


class TenantAdmin(admin.ModelAdmin):
    """Rows, choices and permissions limited to the municipalities the user administers."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        ids = admin_municipality_ids(request)
        return queryset if ids is None else queryset.filter(municipality_id__in=ids)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        ids = admin_municipality_ids(request)
        related = db_field.related_model
        if ids is not None and related is Municipality:
            kwargs["queryset"] = Municipality.objects.filter(pk__in=ids)
        elif ids is not None and isinstance(related, type) and issubclass(related, TenantModel):
            kwargs["queryset"] = related.objects.filter(municipality_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _allowed(self, request: HttpRequest, obj: Any = None) -> bool:
        ids = admin_municipality_ids(request)
        if ids is None:
            return True
        if not ids:
            return False
        return obj is None or obj.municipality_id in ids

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj) and super().has_delete_permission(request, obj)


@admin.register(OrgUnit)
class OrgUnitAdmin(TenantAdmin):
    list_display = ("name", "kind", "municipality", "is_active")
    list_filter = (MUNICIPALITY_FILTER, "kind", "is_active")
    search_fields = ("name", "code")


@admin.register(Sector)
class SectorAdmin(TenantAdmin):
    list_display = ("name", "municipality", "order", "is_active")
    list_filter = (MUNICIPALITY_FILTER, "is_active")
    search_fields = ("name", "code")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(TenantAdmin):
    list_display = (
        "role",
        "holder",
        "position_title",
        "sector",
        "channel",
        "municipality",
        "valid_from",
        "valid_to",
        "source",
    )
    list_filter = (MUNICIPALITY_FILTER, "role", "source")
    search_fields = ("position_title", "user__full_name", "user__username")
    list_select_related = ("user", "sector", "municipality")
    autocomplete_fields = ("user",)

    @admin.display(description=_("ответственный"))
    def holder(self, obj: RoleAssignment) -> str:
        return obj.user.display_name if obj.user else "—"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A change of the responsible person is history, not an overwrite: an existing row can
        # only be ended (valid_to) and annotated; the successor is a new row.
        if obj is None:
            return ("seed_key", "source")
        return (
            "municipality",
            "user",
            "role",
            "sector",
            "channel",
            "org_unit",
            "valid_from",
            "seed_key",
            "source",
        )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Сотрудник"), {"fields": ("full_name", "position", "email", "phone")}),
        (
            _("Права"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Даты"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "position", "email", "password1", "password2"),
            },
        ),
    )
    list_display = ("username", "full_name", "position", "is_active", "is_staff")
    search_fields = ("username", "full_name", "position", "email")
    ordering = ("username",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # A municipal administrator sees the people of their own municipalities' rosters only.
        queryset = super().get_queryset(request)
        ids = admin_municipality_ids(request)
        if ids is None:
            return queryset
        from mcu.tenancy import dangerously_unscoped

        with dangerously_unscoped(
            reason="admin: people holding roles in the admin's municipalities"
        ):
            user_ids = set(
                RoleAssignment.objects.filter(
                    municipality_id__in=ids, user__isnull=False
                ).values_list("user_id", flat=True)
            )
        return queryset.filter(pk__in=user_ids)


@admin.register(RegionMembership)
class RegionMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "region", "role", "valid_from", "valid_to")
    list_filter = ("region",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)
