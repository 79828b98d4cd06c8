"""The administrator's view of the channels: failed messages with their errors, retried after a
fix; routing rules; import batches; outbound answers. Secrets are never shown here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from integrations.models import ImportBatch, InboundMessage, OutboxMessage, RoutingRule
from integrations.services.processing import inbound_retry
from mcu.tenancy import municipality_scope
from roles.admin import MUNICIPALITY_FILTER, TenantAdmin


class ReadOnlyTenantAdmin(TenantAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyTenantAdmin):
    list_display = (
        "received_at",
        "channel",
        "external_id",
        "state",
        "short_error",
        "incident",
        "municipality",
    )
    list_filter = (MUNICIPALITY_FILTER, "state", "channel", "source")
    search_fields = ("external_id", "error")
    date_hierarchy = "received_at"
    actions = ["retry"]
    readonly_fields = (
        "municipality",
        "channel",
        "external_id",
        "source",
        "received_at",
        "state",
        "attempts",
        "error",
        "error_fields",
        "body",
        "headers",
        "incident",
        "processed_at",
        "import_batch",
    )
    exclude = ("delivery",)

    @admin.display(description=_("ошибка"))
    def short_error(self, obj: InboundMessage) -> str:
        return obj.error[:120]

    # A municipal administrator views the inbox (no change rights on it); retrying is theirs too.
    @admin.action(
        description=_("Повторить обработку выбранных (после исправления причины)"),
        permissions=["view"],
    )
    def retry(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        retried = 0
        for row in queryset.filter(state=InboundMessage.State.FAILED).exclude(external_id=""):
            with municipality_scope(row.municipality_id):
                inbound_retry(inbound=row)
            retried += 1
        self.message_user(
            request,
            ngettext(
                "%(n)d сообщение поставлено в обработку.",
                "%(n)d сообщений поставлено в обработку.",
                retried,
            )
            % {"n": retried},
            messages.SUCCESS,
        )


@admin.register(RoutingRule)
class RoutingRuleAdmin(TenantAdmin):
    list_display = (
        "priority",
        "channel",
        "category_code",
        "keywords",
        "topic",
        "sector",
        "is_active",
        "municipality",
    )
    list_filter = (MUNICIPALITY_FILTER, "channel", "is_active")


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyTenantAdmin):
    list_display = (
        "created_at",
        "file_name",
        "channel",
        "state",
        "total_rows",
        "imported",
        "duplicates",
        "municipality",
    )
    list_filter = (MUNICIPALITY_FILTER, "channel", "state")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyTenantAdmin):
    list_display = (
        "created_at",
        "incident",
        "channel",
        "state",
        "attempts",
        "last_error",
        "sent_at",
        "municipality",
    )
    list_filter = (MUNICIPALITY_FILTER, "channel", "state")
