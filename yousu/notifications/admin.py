"""Admin of notifications (read-only: they are a record and a queue the services keep) and of the
webhook endpoints that units register (editable; deactivated rather than deleted)."""

from django.contrib import admin
from django.db import models

from yousu.appeals.admin import ReadOnlyAdmin
from yousu.org.admin import NoDeleteMixin

from .models import Notification, WebhookEndpoint


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    unit_lookups = ("recipient_unit", "recipient_person__unit")
    list_display = [
        "created_at",
        "kind",
        "channel",
        "status",
        "recipient_person",
        "recipient_unit",
        "address",
        "attempts",
        "sent_at",
        "next_attempt_at",
    ]
    list_filter = ["channel", "status", "kind"]
    search_fields = ["subject", "text", "address", "recipient_unit__name", "recipient_person__username"]
    list_select_related = ["recipient_person", "recipient_unit"]
    date_hierarchy = "created_at"


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ["unit", "url", "active", "description"]
    list_filter = ["active"]
    search_fields = ["unit__name", "unit__code", "url", "description"]
    list_select_related = ["unit"]
    autocomplete_fields = ["unit"]
    # An address typed without a scheme is taken as https (Django 6's default; http must be typed).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
