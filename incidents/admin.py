"""Admin of the incident domain: reference data editable, incidents read-only (services write)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from incidents.models import (
    Incident,
    IncidentClock,
    IncidentEvent,
    SectorTopic,
    SlaPolicy,
    Topic,
)
from roles.admin import MUNICIPALITY_FILTER, TenantAdmin


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "parent", "order", "is_active")
    list_filter = ("is_active", ("parent", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "code")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)


@admin.register(SectorTopic)
class SectorTopicAdmin(TenantAdmin):
    list_display = ("topic", "sector", "org_unit", "municipality")
    list_filter = (MUNICIPALITY_FILTER,)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(TenantAdmin):
    list_display = (
        "channel",
        "stage",
        "fast_track",
        "topic",
        "amount",
        "unit",
        "warn_before",
        "municipality",
    )
    list_filter = (MUNICIPALITY_FILTER, "channel", "stage")


class EventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "actor", "from_status", "to_status", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ClockInline(admin.StackedInline):
    """The deadline sweep's state of the incident: read-only, the sweep alone writes it."""

    model = IncidentClock
    extra = 0
    can_delete = False
    fields = (
        ("due_at", "warn_at", "is_open"),
        ("warned_at", "breached_at", "escalation_level", "next_escalation_at"),
        ("stage_due_at", "stage_warn_at", "stage_open"),
        ("stage_warned_at", "stage_breached_at"),
    )
    readonly_fields = (
        "due_at",
        "warn_at",
        "is_open",
        "warned_at",
        "breached_at",
        "escalation_level",
        "next_escalation_at",
        "stage_due_at",
        "stage_warn_at",
        "stage_open",
        "stage_warned_at",
        "stage_breached_at",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(TenantAdmin):
    """Read-only: every change to an incident goes through a service that writes the timeline."""

    list_display = ("pk", "channel", "status", "sector", "received_at", "due_at", "municipality")
    list_filter = (MUNICIPALITY_FILTER, "channel", "status")
    search_fields = ("external_id", "text", "address")
    exclude = (
        "citizen_name",
        "citizen_email",
        "citizen_phone",
        "citizen_profile_url",
        "citizen_postal_address",
    )
    inlines = [ClockInline, EventInline]
    list_select_related = ("sector", "municipality")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
