"""Admin pages for API tokens and their request log — superusers only: a token reads across
municipalities, so no municipal administrator may see or issue one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.models import ApiRequestLog, ApiToken
from api.tokens import token_scope_label, token_secret_assign


class SuperuserOnly:
    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = [
            "name",
            "regions",
            "municipalities",
            "personal_data",
            "rate_per_minute",
            "expires_at",
            "note",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("regions") and not data.get("municipalities"):
            raise forms.ValidationError(_("Укажите регионы или муниципальные образования."))
        name = data.get("name")
        clash = ApiToken.objects.filter(name=name, revoked_at__isnull=True)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if name and clash.exists():
            self.add_error("name", _("Действующий токен с таким названием уже есть."))
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(SuperuserOnly, admin.ModelAdmin):
    form = ApiTokenForm
    list_display = (
        "name",
        "prefix",
        "scope",
        "personal_data",
        "rate_per_minute",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = ("personal_data", "revoked_at")
    search_fields = ("name", "prefix")
    filter_horizontal = ("regions", "municipalities")
    readonly_fields = ("prefix", "created_at", "revoked_at", "last_used_at")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the request log keeps pointing at the token

    @admin.display(description=_("охват"))
    def scope(self, token: ApiToken) -> str:
        return token_scope_label(token)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if not change:
            secret = token_secret_assign(obj)
            # Shown once, as the management command does; only the hash is stored.
            messages.warning(
                request,
                _(
                    "Токен «%(name)s»: %(secret)s — сохраните его сейчас, "
                    "он больше не будет показан."
                )
                % {"name": obj.name, "secret": secret},
            )
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Отозвать выбранные токены"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(request, _("Отозвано токенов: %(n)s.") % {"n": count})


@admin.register(ApiRequestLog)
class ApiRequestLogAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = (
        "at",
        "token",
        "method",
        "endpoint",
        "object_id",
        "municipality",
        "status",
        "count",
        "personal_data",
        "duration_ms",
    )
    list_filter = ("status", "endpoint", "personal_data", "token")
    list_select_related = ("token",)
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
