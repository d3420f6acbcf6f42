"""Read-only admin of urges and supervision orders; they are made by the sweep and the supervision
desk's services, never edited by hand."""

from django.contrib import admin

from yousu.appeals.admin import ReadOnlyAdmin

from .models import SupervisionOrder, Urge


@admin.register(Urge)
class UrgeAdmin(ReadOnlyAdmin):
    jurisdiction_lookup = "order__appeal__jurisdiction"
    list_display = ["order", "unit", "node", "issued_by", "issued_at"]
    list_filter = ["node"]
    search_fields = ["order__appeal__code", "unit__name", "text"]
    list_select_related = ["order__appeal", "order__unit", "unit", "issued_by"]
    date_hierarchy = "issued_at"


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(ReadOnlyAdmin):
    # By the supervised unit, not the order's appeal: a missed report-in's supervision order has no
    # order (and its whistle may have no appeal), and the unit is of the same city as the order.
    unit_lookups = ("unit",)
    list_display = [
        "order",
        "report_in",
        "unit",
        "escalated_to",
        "node",
        "status",
        "issued_at",
        "answer_due",
        "answered_at",
    ]
    list_filter = ["status", "node"]
    search_fields = ["order__appeal__code", "unit__name", "reason", "answer"]
    list_select_related = [
        "order__appeal",
        "order__unit",
        "report_in__whistle__blown_by_unit",
        "report_in__unit",
        "unit",
        "escalated_to",
    ]
    date_hierarchy = "issued_at"
