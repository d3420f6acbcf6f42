from django.contrib import admin

from yousu.intelligence.models import ClassifierActivation, ClassifierModel


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
