"""Admin of the knowledge base: read-only, because every change must go through the services that
version it and move the search generation."""

from django.contrib import admin

from yousu.appeals.admin import ReadOnlyAdmin
from yousu.org.selectors import in_jurisdiction_of

from .models import KnowledgeEntry, KnowledgeEntryVersion


class VersionInline(admin.TabularInline):
    model = KnowledgeEntryVersion
    fields = ["version", "changed_at", "changed_by", "note", "question", "review_due", "valid_until"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-version"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(KnowledgeEntry)
class KnowledgeEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "question",
        "owning_unit",
        "valid_from",
        "valid_until",
        "review_due",
        "status",
        "version",
    ]
    list_filter = ["status"]
    search_fields = ["question", "keywords", "source_title", "source_number"]
    list_select_related = ["owning_unit"]
    inlines = [VersionInline]

    def get_queryset(self, request):
        # Staff of one city read their city's entries (by the owning unit's area), as elsewhere.
        return (
            super().get_queryset(request).filter(in_jurisdiction_of(request.user, "owning_unit__area__path"))
        )
