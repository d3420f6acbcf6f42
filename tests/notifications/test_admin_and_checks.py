"""The admin shows notifications read-only and edits webhook endpoints; bad settings fail the checks."""

from __future__ import annotations

from django.core import checks
from django.test import override_settings
from django.urls import reverse

from yousu.notifications.checks import notification_settings
from yousu.notifications.models import Notification, WebhookEndpoint
from yousu.notifications.services import notify


def test_the_notification_admin_lists_and_filters_but_changes_nothing(
    admin_client, world, reachable, endpoint
):
    notify(kind="urge", text="催办", person=reachable)
    notify(kind="red_warning", text="即将超期", unit=world.units.east_eco)
    changelist = reverse("admin:notifications_notification_changelist")
    for query in ("", "?channel__exact=sms", "?status__exact=pending", "?kind=red_warning"):
        assert admin_client.get(changelist + query).status_code == 200
    row = Notification.objects.filter(channel="webhook").get()
    assert (
        admin_client.get(reverse("admin:notifications_notification_change", args=[row.pk])).status_code == 200
    )
    assert admin_client.get(reverse("admin:notifications_notification_add")).status_code == 403
    delete = reverse("admin:notifications_notification_delete", args=[row.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Notification.objects.filter(pk=row.pk).exists()


def test_a_webhook_endpoint_is_added_and_deactivated_in_the_admin(admin_client, world):
    answer = admin_client.post(
        reverse("admin:notifications_webhookendpoint_add"),
        {
            "unit": world.units.east_eco.pk,
            "url": "https://oa.example.org/yousu",
            "secret": "s3cret",
            "active": "on",
            "description": "区环境局办公系统",
        },
    )
    assert answer.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.unit, endpoint.url, endpoint.active) == (
        world.units.east_eco,
        "https://oa.example.org/yousu",
        True,
    )
    change = reverse("admin:notifications_webhookendpoint_change", args=[endpoint.pk])
    form = {"unit": world.units.east_eco.pk, "url": endpoint.url, "secret": "s3cret", "description": ""}
    assert admin_client.post(change, form).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.active is False
    delete = reverse("admin:notifications_webhookendpoint_delete", args=[endpoint.pk])
    assert admin_client.get(delete).status_code == 403


def test_an_endpoint_must_be_http(admin_client, world):
    answer = admin_client.post(
        reverse("admin:notifications_webhookendpoint_add"),
        {"unit": world.units.east_eco.pk, "url": "ftp://example.org/hook", "secret": "s", "active": "on"},
    )
    assert answer.status_code == 200 and not WebhookEndpoint.objects.exists()


def test_a_new_endpoint_gets_a_random_secret(world):
    first = WebhookEndpoint.objects.create(unit=world.units.east_eco, url="https://example.org/a")
    second = WebhookEndpoint.objects.create(unit=world.units.east_eco, url="https://example.org/b")
    assert len(first.secret) == 64 and first.secret != second.secret


def test_the_default_settings_pass_the_checks():
    assert notification_settings(None) == []


@override_settings(
    YOUSU_NOTIFY_CHANNELS=["inbox", "fax"], YOUSU_SMS_GATEWAY="yousu.notifications.sms.Nothing"
)
def test_unknown_channels_and_an_unimportable_gateway_fail_the_checks():
    errors = notification_settings(None)
    assert [error.id for error in errors] == ["notifications.E001", "notifications.E002"]
    assert all(error.level == checks.ERROR for error in errors)
    assert "fax" in errors[0].msg


@override_settings(YOUSU_SMS_GATEWAY="yousu.notifications.services.notify")
def test_a_gateway_must_be_a_gateway_class():
    assert [error.id for error in notification_settings(None)] == ["notifications.E003"]
