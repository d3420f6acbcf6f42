"""Admin of the organisation model: areas, sectors, units, people, grid duties and each city's working
calendar, each unit's staff seeing only their own units' data; writes go through the org services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yousu.core.errors import DomainError
from yousu.core.phones import normalise_phone

from .calendar import (
    calendar_override_remove,
    calendar_override_set,
    calendar_year_declare,
    working_calendar_set_hours,
)
from .choices import RoleCode
from .models import (
    Area,
    CalendarOverride,
    CalendarYear,
    GridAssignment,
    Person,
    PlaceName,
    Sector,
    Unit,
    WorkingCalendar,
)
from .selectors import people_visible_to, units_visible_to
from .services import area_create, area_update, person_create, unit_create, unit_update

admin.site.site_header = _("有诉 Yousu 管理后台")
admin.site.site_title = _("有诉 Yousu")
admin.site.index_title = _("组织机构、职责目录与准入清单")


# ---------------------------------------------------------------- writing through services


class _Rehearsal(Exception):
    """Raised inside a savepoint to undo a service call that was only a check."""


class ServiceFormMixin:
    """Makes a model form write through a domain service and show the service's refusals.

    After the form's own validation, the service is rehearsed in a savepoint that is always rolled
    back: a DomainError becomes an error on the form instead of a 500 from save_model, which later
    calls write() for real. Forms that need the acting person read it from `request`, which
    ServiceAdminMixin sets on the form class.
    """

    request = None
    # Service field names that this form calls differently.
    error_fields: dict[str, str] = {}

    # Set on a base class that concrete forms extend; every other form must define
    # write(instance): call the service with cleaned_data, updating `instance` or creating when None.
    service_form_base = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("service_form_base") and not callable(getattr(cls, "write", None)):
            raise TypeError(f"{cls.__name__} must define write(instance) to save through a service")

    @property
    def actor(self):
        return self.request.user if self.request is not None else None

    def _post_clean(self):
        # The one hook that runs after the model's own full_clean, so the rehearsal sees clean data.
        super()._post_clean()
        if self.errors:
            return
        target = None
        if not self.instance._state.adding:
            # A fresh copy: services set derived fields (path) that must stay as stored on the
            # instance the real write will use.
            target = type(self.instance)._default_manager.get(pk=self.instance.pk)
        try:
            with transaction.atomic():
                self.write(target)
                raise _Rehearsal
        except _Rehearsal:
            pass
        except DomainError as exc:
            self.add_domain_error(exc)

    def add_domain_error(self, exc: DomainError) -> None:
        field = self.error_fields.get(exc.field, exc.field)
        self.add_error(field if field in self.fields else None, exc.message)


class ServiceModelForm(ServiceFormMixin, forms.ModelForm):
    service_form_base = True


def adopt(obj, saved) -> None:
    """Point the admin's own instance at the row a service created, for the log and the redirect."""
    obj.pk = saved.pk
    obj.refresh_from_db()
    obj._state.adding = False


def set_active(obj, active: bool):
    # No service takes is_active: deactivation is its own one-column write, so the service stays
    # the only writer of everything it validates.
    if obj.is_active != active:
        type(obj)._default_manager.filter(pk=obj.pk).update(is_active=active)
        obj.is_active = active
    return obj


class ServiceAdminMixin:
    """Admin half of ServiceFormMixin: hands the request to the form and saves through write()."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request  # a class made for this request by modelform_factory
        return form

    def save_model(self, request, obj, form, change):
        if not isinstance(form, ServiceFormMixin):
            return super().save_model(request, obj, form, change)
        saved = form.write(obj if change else None)
        if saved is not None and saved.pk != obj.pk:
            adopt(obj, saved)
        return None


class NoDeleteMixin:
    """Nothing that history points at is deleted: deactivate it (is_active) or close it instead."""

    def has_delete_permission(self, request, obj=None):
        return False


def sees_everything(request) -> bool:
    return request.user.is_superuser


# ---------------------------------------------------------------- areas


class AreaForm(ServiceModelForm):
    class Meta:
        model = Area
        fields = ("code", "name", "kind", "parent", "boundary", "is_active")

    def write(self, instance):
        data = self.cleaned_data
        values = {
            "name": data["name"],
            "kind": data["kind"],
            "parent": data.get("parent"),
            "boundary": data.get("boundary"),
        }
        if instance is None:
            area = area_create(code=data["code"], **values)
        else:
            area = area_update(instance, **values)
        return set_active(area, data.get("is_active", area.is_active))


class GridAssignmentInline(admin.TabularInline):
    model = GridAssignment
    fields = ("person", "duty", "unit", "since", "until")
    autocomplete_fields = ("person", "unit")
    extra = 0

    def get_queryset(self, request):
        return visible_assignments(request, super().get_queryset(request))


@admin.register(Area)
class AreaAdmin(NoDeleteMixin, ServiceAdminMixin, admin.ModelAdmin):
    form = AreaForm
    list_display = ("name", "code", "kind", "level", "parent", "is_active")
    list_filter = ("kind", "level", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)

    def get_readonly_fields(self, request, obj=None):
        # The update service keeps the code: it is part of every path below this area.
        return ("code", "level", "path") if obj is not None else ()

    def get_fields(self, request, obj=None):
        fields = ["code", "name", "kind", "parent", "boundary", "is_active"]
        return [*fields, "level", "path"] if obj is not None else fields

    def get_inlines(self, request, obj):
        # Grid chiefs sit at every level (four-level grid-chief system), grid workers on grids only;
        # the model's clean tells which duty fits which area.
        return [GridAssignmentInline] if obj is not None else []


@admin.register(PlaceName)
class PlaceNameAdmin(admin.ModelAdmin):
    """Aliases, roads, landmarks and compounds of each area, read by place resolution."""

    list_display = ("name", "kind", "area", "is_active", "note", "updated_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "area__name", "area__code", "note")
    list_select_related = ("area",)
    autocomplete_fields = ("area",)


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


# ---------------------------------------------------------------- units


class UnitForm(ServiceModelForm):
    class Meta:
        model = Unit
        fields = ("code", "name", "kind", "level", "area", "parent", "sector", "phone", "is_active")

    def write(self, instance):
        data = self.cleaned_data
        values = {
            "name": data["name"],
            "kind": data["kind"],
            "level": data["level"],
            "area": data["area"],
            "parent": data.get("parent"),
            "sector": data.get("sector"),
            "phone": data.get("phone", ""),
        }
        if instance is None:
            unit = unit_create(code=data["code"], **values)
        else:
            unit = unit_update(instance, **values)
        return set_active(unit, data.get("is_active", unit.is_active))


@admin.register(Unit)
class UnitAdmin(NoDeleteMixin, ServiceAdminMixin, admin.ModelAdmin):
    form = UnitForm
    list_display = ("name", "code", "kind", "level", "area", "sector", "parent", "is_active")
    list_filter = ("kind", "level", "sector", "is_active")
    search_fields = ("code", "name", "area__name")
    list_select_related = ("area", "sector", "parent")
    autocomplete_fields = ("parent", "area", "sector")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_everything(request):
            return queryset
        return queryset.filter(pk__in=units_visible_to(request.user).values("pk"))

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()


# ---------------------------------------------------------------- people


def may_grant_roles(request) -> bool:
    # Roles decide what a person may see; only the city's administrators hand them out.
    return request.user.is_superuser or request.user.has_role(RoleCode.ADMINISTRATOR)


class PersonCreationForm(ServiceFormMixin, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = Person
        fields = ("username",)

    def write(self, instance):
        data = self.cleaned_data
        return person_create(
            username=data["username"],
            full_name=data.get("full_name", ""),
            unit=data.get("unit"),
            roles=[role.code for role in data.get("roles") or []],
            password=data["password1"] if data.get("set_usable_password") else None,
            phone=data.get("phone", ""),
            is_staff=data.get("is_staff", False),
            is_demo=data.get("is_demo", False),
        )


class PersonChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = Person

    def clean_phone(self):
        # The admin edits the row itself (person_create is for new people): the same one stored form.
        try:
            return normalise_phone(self.cleaned_data.get("phone"), field="phone")
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(Person)
class PersonAdmin(NoDeleteMixin, ServiceAdminMixin, UserAdmin):
    form = PersonChangeForm
    add_form = PersonCreationForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("full_name", "phone", "email")}),
        (_("单位与角色"), {"fields": ("unit", "roles", "is_demo")}),
        (
            _("后台权限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("登录记录"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2"),
            },
        ),
        (
            _("单位与角色"),
            {"fields": ("full_name", "unit", "roles", "phone", "is_staff", "is_demo")},
        ),
    )
    list_display = ("username", "full_name", "unit", "phone", "is_staff", "is_active", "is_demo")
    list_filter = ("is_staff", "is_superuser", "is_active", "is_demo", "roles")
    search_fields = ("username", "full_name", "phone", "unit__name")
    list_select_related = ("unit",)
    filter_horizontal = ("roles", "groups", "user_permissions")
    autocomplete_fields = ("unit",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_everything(request):
            return queryset
        return queryset.filter(pk__in=people_visible_to(request.user).values("pk"))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None or may_grant_roles(request):
            return fieldsets
        hidden = {"roles", "is_staff"}
        return [
            (name, {**options, "fields": tuple(f for f in options["fields"] if f not in hidden)})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        # Without these, anyone allowed to edit a colleague could make themselves a superuser.
        if not request.user.is_superuser:
            readonly += ["is_superuser", "groups", "user_permissions"]
        if not may_grant_roles(request):
            readonly += ["is_staff", "roles"]
        return readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "unit" and not sees_everything(request):
            kwargs["queryset"] = units_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# ---------------------------------------------------------------- grid duties


def visible_assignments(request, queryset):
    if sees_everything(request):
        return queryset
    units = units_visible_to(request.user).values("pk")
    # Stationed staff are the department's business; grid workers their own unit's.
    return queryset.filter(Q(unit__in=units) | Q(person__unit__in=units))


@admin.register(GridAssignment)
class GridAssignmentAdmin(admin.ModelAdmin):
    list_display = ("area", "person", "duty", "unit", "since", "until")
    list_filter = ("duty",)
    search_fields = ("area__name", "area__code", "person__username", "person__full_name", "unit__name")
    list_select_related = ("area", "person", "unit")
    autocomplete_fields = ("area", "person", "unit")

    def get_queryset(self, request):
        return visible_assignments(request, super().get_queryset(request))


# ---------------------------------------------------------------- working calendars


class WorkingCalendarForm(ServiceModelForm):
    class Meta:
        model = WorkingCalendar
        fields = ("area", "morning_start", "morning_end", "afternoon_start", "afternoon_end")

    def write(self, instance):
        data = self.cleaned_data
        return working_calendar_set_hours(
            area=instance.area if instance is not None else data["area"],
            morning_start=data["morning_start"],
            morning_end=data["morning_end"],
            afternoon_start=data["afternoon_start"],
            afternoon_end=data["afternoon_end"],
        )


class CalendarPartInline(admin.TabularInline):
    """Rows are added or removed, never edited in place: a changed override is a new decision with
    its own reason, person and time, and the form's own validation covers what the services check."""

    extra = 0

    def has_change_permission(self, request, obj=None):
        return False


class CalendarOverrideInline(CalendarPartInline):
    model = CalendarOverride
    fields = ("date", "is_workday", "reason", "set_by", "set_at")
    readonly_fields = ("set_by", "set_at")


class CalendarYearFormSet(forms.BaseInlineFormSet):
    """A provisional year is confirmed by adding the year again without 临时声明: the service updates
    the row in place (calendar_year_declare), so the year is never undeclared in between. Such a new
    row stands for the provisional one and is no duplicate of it; any other repeated year still is."""

    def _confirmations(self) -> list:
        provisional = {
            form.instance.year
            for form in self.initial_forms
            if form.instance.provisional and not self._should_delete_form(form)
        }
        found = []
        for form in self.extra_forms:
            data = form.cleaned_data if form.is_valid() and form.has_changed() else {}
            if data.get("year") in provisional and not data.get("provisional"):
                provisional.discard(data["year"])  # one confirmation per year
                found.append(form)
        return found

    def validate_unique(self):
        confirming = self._confirmations()
        if not confirming:
            return super().validate_unique()
        every = self.forms
        self.forms = [form for form in every if form not in confirming]
        try:
            return super().validate_unique()
        finally:
            self.forms = every


class CalendarYearInline(CalendarPartInline):
    """Declared years, provisional or in full (see CalendarYearFormSet for confirming one)."""

    model = CalendarYear
    formset = CalendarYearFormSet
    fields = ("year", "provisional", "source", "declared_by", "declared_at")
    readonly_fields = ("declared_by", "declared_at")


@admin.register(WorkingCalendar)
class WorkingCalendarAdmin(NoDeleteMixin, ServiceAdminMixin, admin.ModelAdmin):
    form = WorkingCalendarForm
    inlines = [CalendarOverrideInline, CalendarYearInline]
    list_display = ("area", "morning_start", "morning_end", "afternoon_start", "afternoon_end")
    list_select_related = ("area",)
    search_fields = ("area__name", "area__code")

    def get_readonly_fields(self, request, obj=None):
        # One calendar per city: moving it to another city would silently change that city's deadlines.
        return ("area",) if obj is not None else ()

    def save_formset(self, request, form, formset, change):
        if formset.model not in (CalendarOverride, CalendarYear):
            return super().save_formset(request, form, formset, change)
        added = formset.save(commit=False)  # fills deleted_objects; saves nothing
        area = form.instance.area
        for obj in formset.deleted_objects:
            if isinstance(obj, CalendarOverride):
                calendar_override_remove(override=obj, by=request.user)
            else:
                obj.delete()  # the admin's change message records who undeclared which year
        for obj in added:
            if isinstance(obj, CalendarOverride):
                saved = calendar_override_set(
                    area=area, date=obj.date, is_workday=obj.is_workday, reason=obj.reason, by=request.user
                )
            else:
                saved = calendar_year_declare(
                    area=area, year=obj.year, source=obj.source, by=request.user, provisional=obj.provisional
                )
            obj.pk = saved.pk  # for the admin's change message
        return None
