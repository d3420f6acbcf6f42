"""Admin of typical cases: read-only. Publishing and withdrawing go through the services (and the
supervisor's pages), which redact the texts and record who did it; a case is never deleted."""

from django.contrib import admin

from yousu.appeals.admin import ReadOnlyAdmin

from .models import TypicalCase


@admin.register(TypicalCase)
class TypicalCaseAdmin(ReadOnlyAdmin):
    jurisdiction_lookup = "appeal__jurisdiction"
    list_display = [
        "title",
        "appeal",
        "month",
        "district",
        "street",
        "published_by",
        "published_at",
        "withdrawn_at",
    ]
    list_filter = ["month"]
    search_fields = ["title", "appeal__code"]
    raw_id_fields = ["appeal"]
