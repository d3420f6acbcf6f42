"""Read-only admin of callbacks and citizens' text messages; they change only through the services."""

from django.contrib import admin

from yousu.appeals.admin import ReadOnlyAdmin

from .models import Callback, CitizenMessage


@admin.register(Callback)
class CallbackAdmin(ReadOnlyAdmin):
    jurisdiction_lookup = "appeal__jurisdiction"
    list_display = ["appeal", "order", "round", "channel", "status", "satisfaction", "outcome", "created_at"]
    list_filter = ["status", "channel", "satisfaction", "outcome"]
    search_fields = ["appeal__code"]
    list_select_related = ["appeal", "order__appeal", "order__unit"]
    exclude = ["token_hash"]
    date_hierarchy = "created_at"


@admin.register(CitizenMessage)
class CitizenMessageAdmin(ReadOnlyAdmin):
    jurisdiction_lookup = "callback__appeal__jurisdiction"
    list_display = ["callback", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    # The phone number is the citizen's personal data; the admin shows the message, not the number.
    exclude = ["phone"]
    list_select_related = ["callback__appeal"]
