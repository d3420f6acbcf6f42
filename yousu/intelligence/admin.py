from django.contrib import admin

from yousu.intelligence.models import (
    ClassifierActivation,
    ClassifierModel,
    DispatchSuggestion,
    HotIssue,
    HotIssueAppeal,
)


@admin.register(ClassifierModel)
class ClassifierModelAdmin(admin.ModelAdmin):
    # Read-only: models are created by `yousu classify train`, and activation must go through the
    # service so that every switch is recorded.
    list_display = ("version", "is_active", "created_at", "trained_by", "file_path")
    readonly_fields = [f.name for f in ClassifierModel._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ClassifierActivation)
class ClassifierActivationAdmin(admin.ModelAdmin):
    list_display = ("at", "from_model", "to_model", "by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DispatchSuggestion)
class DispatchSuggestionAdmin(admin.ModelAdmin):
    # Read-only: a suggestion and the choice beside it are evidence of the platform's accuracy.
    list_display = (
        "appeal",
        "top_label",
        "top_probability",
        "chosen_item",
        "agreed",
        "in_top3",
        "auto_dispatched",
        "withdrawn_at",
        "made_at",
    )
    list_filter = ("agreed", "in_top3", "auto_dispatched", "model")
    search_fields = ("appeal__code", "top_label")
    list_select_related = ("appeal", "chosen_item")
    readonly_fields = [f.name for f in DispatchSuggestion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class HotIssueAppealInline(admin.TabularInline):
    model = HotIssueAppeal
    fields = ("appeal", "similarity", "added_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(HotIssue)
class HotIssueAdmin(admin.ModelAdmin):
    # Read-only: hot issues come from the detector, and dispatching one goes through its service so
    # that the appeals are linked and every step is an event.
    list_display = ("name", "area", "appeal_count", "support_votes", "heat", "status", "first_at", "last_at")
    list_filter = ("status",)
    search_fields = ("name",)
    readonly_fields = [f.name for f in HotIssue._meta.fields]
    inlines = [HotIssueAppealInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
