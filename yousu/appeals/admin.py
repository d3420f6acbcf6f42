"""Read-only admin of appeals and the event log: appeals change only through the services, and the
citizen's personal data is shown masked here (the intake and handling desks show it in full, logged)."""

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yousu.org.selectors import in_jurisdiction_of, in_own_jurisdiction, sees_every_jurisdiction

from .models import Appeal, Attachment, Event, PersonalDataAccess
from .selectors import mask_name, mask_phone


class ReadOnlyAdmin(admin.ModelAdmin):
    # The lookup from a row to its appeal's jurisdiction (e.g. "appeal__jurisdiction"): staff of one
    # city read only their city's rows here too; superusers and the provincial role read all.
    jurisdiction_lookup: str | None = None
    # Or the lookup from a row to the unit(s) it belongs to (e.g. "convening_unit"), for rows with no
    # appeal: a row is the city's when any of those units is.
    unit_lookups: tuple[str, ...] = ()

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if self.jurisdiction_lookup is not None:
            rows = in_own_jurisdiction(request.user, rows, self.jurisdiction_lookup)
        if self.unit_lookups and not sees_every_jurisdiction(request.user):
            seen = Q(pk__in=[])
            for lookup in self.unit_lookups:
                seen |= in_jurisdiction_of(request.user, f"{lookup}__area__path")
            rows = rows.filter(seen)
        return rows

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = Event
    fields = ["at", "action", "order_id", "from_state", "to_state", "actor", "actor_unit", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False


class AttachmentInline(admin.TabularInline):
    model = Attachment
    fields = ["name", "content_type", "size", "order_id", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    jurisdiction_lookup = "jurisdiction"
    list_display = ["code", "title", "kind", "channel", "status", "item", "area", "received_at"]
    list_filter = ["status", "kind", "channel", "confidential"]
    search_fields = ["code", "title", "content", "address"]
    date_hierarchy = "received_at"
    list_select_related = ["item", "area"]
    exclude = ["citizen_name", "citizen_phone"]
    readonly_fields = ["masked_citizen", "masked_phone"]
    inlines = [AttachmentInline, EventInline]

    @admin.display(description=_("诉求人"))
    def masked_citizen(self, obj):
        return _("（保密）") if obj.confidential else mask_name(obj.citizen_name)

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj):
        return _("（保密）") if obj.confidential else mask_phone(obj.citizen_phone)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    jurisdiction_lookup = "appeal__jurisdiction"
    list_display = ["at", "appeal", "order_id", "action", "from_state", "to_state", "actor", "actor_unit"]
    list_filter = ["action"]
    search_fields = ["appeal__code", "action", "reason"]
    list_select_related = ["appeal", "actor", "actor_unit"]
    date_hierarchy = "at"


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    jurisdiction_lookup = "appeal__jurisdiction"
    list_display = ["at", "person", "appeal", "purpose"]
    search_fields = ["person__username", "appeal__code"]
    list_select_related = ["person", "appeal"]
