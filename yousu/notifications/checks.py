"""System checks of the notification settings, so a typo stops `yousu check` and start-up, not a send."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from .choices import NotificationChannel
from .sms import SmsGateway


@checks.register()
def notification_settings(app_configs, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    unknown = sorted(set(settings.YOUSU_NOTIFY_CHANNELS) - set(NotificationChannel.values))
    if unknown:
        errors.append(
            checks.Error(
                f"YOUSU_NOTIFY_CHANNELS names unknown channels: {', '.join(unknown)}",
                hint=f"Use some of: {', '.join(NotificationChannel.values)}.",
                id="notifications.E001",
            )
        )
    try:
        gateway = import_string(settings.YOUSU_SMS_GATEWAY)
    except ImportError as exc:
        errors.append(
            checks.Error(
                f"YOUSU_SMS_GATEWAY={settings.YOUSU_SMS_GATEWAY!r} cannot be imported: {exc}",
                id="notifications.E002",
            )
        )
    else:
        if not (isinstance(gateway, type) and issubclass(gateway, SmsGateway)):
            errors.append(
                checks.Error(
                    f"YOUSU_SMS_GATEWAY={settings.YOUSU_SMS_GATEWAY!r} is not an SMS gateway class",
                    hint="Name a subclass of yousu.notifications.sms.SmsGateway.",
                    id="notifications.E003",
                )
            )
    return errors
