"""Read-only admin of orders, requests, consultations, whistles and criticism notices; every change
goes through the dispatch services (the desks and the API), so the admin only shows."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yousu.appeals.admin import ReadOnlyAdmin

from .models import (
    ClockPause,
    Consultation,
    CriticismNotice,
    ExtensionRequest,
    Order,
    ReportIn,
    ReturnRequest,
    Whistle,
)


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    jurisdiction_lookup = "appeal__jurisdiction"
    list_display = [
        "appeal",
        "unit",
        "role",
        "status",
        "dispatched_at",
        "response_due",
        "completion_due",
        "next_node",
        "next_node_at",
        "reply_score",
    ]
    list_filter = ["status", "role", "time_limit_class", "next_node"]
    search_fields = ["appeal__code", "unit__name", "unit__code"]
    list_select_related = ["appeal", "unit"]
    date_hierarchy = "dispatched_at"

    @admin.display(description=_("答复质量评分"))
    def reply_score(self, order: Order) -> str:
        review = order.reply_review
        if not review:
            return "—"
        # The dispatcher scanning the list should see at once which replies need a second look.
        return f"{review['total']}（{_('低分')}）" if review.get("low") else str(review["total"])


@admin.register(ClockPause)
class ClockPauseAdmin(ReadOnlyAdmin):
    jurisdiction_lookup = "order__appeal__jurisdiction"
    list_display = ["order", "reason", "started_at", "started_by", "ended_at", "not_counted"]
    list_filter = ["reason"]
    search_fields = ["order__appeal__code", "explanation"]
    list_select_related = ["order__appeal", "order__unit", "started_by"]


@admin.register(ReturnRequest)
class ReturnRequestAdmin(ReadOnlyAdmin):
    jurisdiction_lookup = "order__appeal__jurisdiction"
    list_display = ["order", "unit", "reason", "status", "requested_at", "reviewed_by"]
    list_filter = ["status", "reason"]
    search_fields = ["order__appeal__code", "unit__name", "explanation"]
    list_select_related = ["order__appeal", "unit", "reviewed_by"]


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    jurisdiction_lookup = "order__appeal__jurisdiction"
    list_display = ["order", "requested_until", "status", "requested_at", "reviewed_by"]
    list_filter = ["status"]
    search_fields = ["order__appeal__code"]
    list_select_related = ["order__appeal", "reviewed_by"]


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin):
    unit_lookups = ("convening_unit",)
    list_display = ["topic", "item", "appeal", "opened_at", "lead_unit", "decided_at", "adopted_rule"]
    search_fields = ["topic", "item__name", "appeal__code"]
    list_select_related = ["item", "appeal", "lead_unit", "adopted_rule"]


class ReportInInline(admin.TabularInline):
    model = ReportIn
    fields = ["unit", "reported_at", "reported_by", "on_site", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Whistle)
class WhistleAdmin(ReadOnlyAdmin):
    unit_lookups = ("blown_by_unit",)
    list_display = ["blown_by_unit", "problem", "appeal", "blown_at", "report_in_due"]
    search_fields = ["problem", "blown_by_unit__name", "appeal__code"]
    list_select_related = ["blown_by_unit", "appeal"]
    inlines = [ReportInInline]


@admin.register(CriticismNotice)
class CriticismNoticeAdmin(ReadOnlyAdmin):
    unit_lookups = ("unit",)
    list_display = ["unit", "reason", "order", "issued_by", "issued_at"]
    search_fields = ["unit__name", "reason"]
    list_select_related = ["unit", "order__appeal", "issued_by"]
