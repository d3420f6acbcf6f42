"""Admin of the assessment: schemes are edited here; runs and their results are read-only, because a
recomputation makes a new version and never changes one that units have been told."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yousu.appeals.admin import ReadOnlyAdmin

from .models import AssessmentRun, AssessmentScheme, BurdenFigure, UnitAssessment


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(admin.ModelAdmin):
    list_display = ["name", "valid_from", "zone_rule", "red_below", "yellow_below", "blue_share", "red_share"]
    fieldsets = [
        (None, {"fields": ["name", "valid_from"]}),
        (
            _("权重"),
            {
                "fields": [
                    "response_weight",
                    "completion_weight",
                    "on_time_weight",
                    "resolution_weight",
                    "satisfaction_weight",
                    "report_in_weight",
                ]
            },
        ),
        (_("扣分"), {"fields": ["overdue_deduction", "refused_return_deduction", "criticism_deduction"]}),
        (
            _("红黄蓝分区"),
            {"fields": ["zone_rule", "red_below", "yellow_below", "blue_share", "red_share", "min_sample"]},
        ),
        (_("月中预警"), {"fields": ["projection_days"]}),
        (_("基层减负"), {"fields": ["hours_per_order"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        # A scheme that a run used stays, so the run can always say how it was scored.
        return obj is None or not obj.runs.exists()


class UnitAssessmentInline(admin.TabularInline):
    model = UnitAssessment
    fields = ["unit", "level", "kind", "score", "rank", "peers", "zone", "received", "completed", "overdue"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AssessmentRun)
class AssessmentRunAdmin(ReadOnlyAdmin):
    list_display = [
        "month",
        "version",
        "is_current",
        "is_provisional",
        "projection_day",
        "scheme",
        "computed_at",
        "computed_by",
        "seconds",
    ]
    list_filter = ["is_current", "is_provisional", "month"]
    inlines = [UnitAssessmentInline]


@admin.register(UnitAssessment)
class UnitAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["run", "unit", "level", "kind", "score", "rank", "peers", "zone"]
    list_filter = ["run__month", "zone", "level", "kind"]
    search_fields = ["unit__name", "unit__code"]
    list_select_related = ["run", "unit"]


@admin.register(BurdenFigure)
class BurdenFigureAdmin(ReadOnlyAdmin):
    list_display = [
        "run",
        "unit",
        "received",
        "assigned_elsewhere",
        "pushdowns_refused",
        "access_list_refused",
        "whistles",
        "report_ins_on_time",
        "forwards_refused",
        "delegated",
        "hours_saved",
    ]
    list_filter = ["run__month"]
    search_fields = ["unit__name", "unit__code"]
    list_select_related = ["run", "unit"]
