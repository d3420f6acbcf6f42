"""The dashboard's counters in the admin: read-only, since they are derived from the event log and
`yousu tally --rebuild` is the way to correct them."""

from django.contrib import admin

from .models import Tally, TallyMark


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tally)
class TallyAdmin(ReadOnly):
    list_display = [
        "grain",
        "period",
        "district",
        "dim",
        "key",
        "received",
        "settled",
        "answered",
        "completed",
    ]
    list_filter = ["grain", "dim"]
    search_fields = ["key"]
    date_hierarchy = "period"


@admin.register(TallyMark)
class TallyMarkAdmin(ReadOnly):
    list_display = ["event_id", "events", "tallied_at"]
