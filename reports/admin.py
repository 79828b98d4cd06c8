"""The report archive in the admin: read-only (runs are made by the schedule and the page)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from reports.models import ReportRun
from roles.admin import MUNICIPALITY_FILTER, TenantAdmin


@admin.register(ReportRun)
class ReportRunAdmin(TenantAdmin):
    list_display = ("kind", "period_code", "trigger", "state", "created_at", "municipality")
    list_filter = (MUNICIPALITY_FILTER, "kind", "trigger", "state")
    readonly_fields = [field.name for field in ReportRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
