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
    jurisdiction_lookup = "order__appeal__jurisdiction"
    list_display = [
        "order",
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
    list_select_related = ["order__appeal", "order__unit", "unit", "escalated_to"]
    date_hierarchy = "issued_at"
