"""Admin of grid governance: the report kinds and where the daily report is required are data an
administrator edits; daily reports, missing
flags, found problems and joint meetings are records, written only by the services and shown here
read-only (no add, change or delete)."""

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from yousu.appeals.admin import ReadOnlyAdmin

from .models import (
    DailyReport,
    DailyReportScope,
    FoundProblem,
    JointMeeting,
    MeetingDecision,
    MeetingMatter,
    MissingDailyReport,
    ReportKind,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportKind)
class ReportKindAdmin(admin.ModelAdmin):
    list_display = ["position", "code", "name", "item", "is_active"]
    list_display_links = ["code", "name"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "item__code", "item__name"]
    list_select_related = ["item"]
    autocomplete_fields = ["item"]
    ordering = ["position", "code"]

    def has_delete_permission(self, request, obj=None):
        # Found problems keep their kind; a kind no longer used is switched off instead.
        return False


@admin.register(DailyReportScope)
class DailyReportScopeAdmin(admin.ModelAdmin):
    """Where the daily report is required: data a city edits to turn the mechanism on."""

    list_display = ["area", "since", "note"]
    search_fields = ["area__name", "area__code", "note"]
    list_select_related = ["area"]
    autocomplete_fields = ["area"]


class ProblemInline(ReadOnlyInline):
    model = FoundProblem
    fk_name = "daily_report"
    fields = ["kind", "area", "text", "address", "street_decision", "appeal"]
    readonly_fields = fields
    show_change_link = True


@admin.register(DailyReport)
class DailyReportAdmin(ReadOnlyAdmin):
    unit_lookups = ("community",)
    list_display = ["day", "community", "submitted_by", "submitted_at", "on_time"]
    list_filter = ["on_time"]
    search_fields = ["community__name", "community__code", "note"]
    date_hierarchy = "day"
    list_select_related = ["community", "submitted_by"]
    inlines = [ProblemInline]


@admin.register(MissingDailyReport)
class MissingDailyReportAdmin(ReadOnlyAdmin):
    unit_lookups = ("community",)
    list_display = ["day", "community", "street", "flagged_at", "settled"]
    search_fields = ["community__name", "street__name"]
    date_hierarchy = "day"
    list_select_related = ["community", "street", "report"]

    @admin.display(description=_("已补报"), boolean=True)
    def settled(self, obj):
        return obj.report_id is not None


@admin.register(FoundProblem)
class FoundProblemAdmin(ReadOnlyAdmin):
    unit_lookups = ("community",)
    list_display = [
        "found_at",
        "community",
        "source",
        "kind",
        "short_text",
        "mode",
        "street_decision",
        "appeal",
        "before_complaint",
    ]
    list_filter = ["source", "mode", "street_decision"]
    search_fields = ["text", "address", "community__name", "appeal__code"]
    date_hierarchy = "found_at"
    list_select_related = ["community", "kind", "appeal"]

    @admin.display(description=_("问题描述"))
    def short_text(self, obj):
        return obj.text[:40]

    @admin.display(description=_("未诉先办"), boolean=True)
    def before_complaint(self, obj):
        return obj.before_complaint


class MeetingMatterInline(ReadOnlyInline):
    model = MeetingMatter
    fields = ["appeal", "discussion"]
    readonly_fields = fields


@admin.register(JointMeeting)
class JointMeetingAdmin(ReadOnlyAdmin):
    unit_lookups = ("convened_by",)
    list_display = ["held_on", "title", "convened_by", "recorded_by", "recorded_at"]
    search_fields = ["title", "minutes", "convened_by__name"]
    date_hierarchy = "held_on"
    list_select_related = ["convened_by", "recorded_by"]
    inlines = [MeetingMatterInline]
    readonly_fields = ["decisions"]

    @admin.display(description=_("会议决定"))
    def decisions(self, obj):
        # Decisions belong to the meeting's matters; the admin has no inline of an inline.
        rows = MeetingDecision.objects.filter(matter__meeting=obj).select_related("matter__appeal", "owner")
        return (
            format_html_join(
                "\n",
                "<p>{}：{}（{}，{}，{}）</p>",
                (
                    (row.matter.appeal.code, row.text, row.get_kind_display(), row.owner.name, row.due)
                    for row in rows.order_by("id")
                ),
            )
            or "—"
        )
