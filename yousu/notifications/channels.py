"""The channels a notification goes out by, behind one interface: `send(notification)` returns when the
message was handed over and raises DeliveryFailed when it was not. Nothing here touches the database's
delivery state; the services record the outcome."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string
from django.utils.text import Truncator

from .choices import NotificationChannel

if TYPE_CHECKING:
    from .models import Notification

WEBHOOK_TIMEOUT = 10  # seconds; well inside the lease a worker holds on the row while it sends
SIGNATURE_HEADER = "X-Yousu-Signature"
DELIVERY_HEADER = "X-Yousu-Delivery"


class DeliveryFailed(Exception):
    """The message did not get through. `permanent` failures are not retried (the address is gone)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Channel(ABC):
    name: str

    @abstractmethod
    def send(self, notification: Notification) -> None:
        """Hand the message over, or raise DeliveryFailed."""


class InboxChannel(Channel):
    """站内信: the row is the message, so there is nothing to hand over."""

    name = NotificationChannel.INBOX

    def send(self, notification: Notification) -> None:
        return None


class SmsChannel(Channel):
    """短信 through the gateway that YOUSU_SMS_GATEWAY names (a real gateway is configuration)."""

    name = NotificationChannel.SMS

    def send(self, notification: Notification) -> None:
        # Read at send time, so a changed setting applies without a restart of the code that built us.
        gateway = import_string(settings.YOUSU_SMS_GATEWAY)()
        gateway.send(phone=notification.address, text=notification.text)


class EmailChannel(Channel):
    """电子邮件 through Django's mail (EMAIL_BACKEND, EMAIL_HOST ...)."""

    name = NotificationChannel.EMAIL

    def send(self, notification: Notification) -> None:
        # A header: no line breaks; without a subject, the start of the text stands in for one.
        subject = " ".join((notification.subject or Truncator(notification.text).chars(60)).split())
        try:
            send_mail(
                subject=subject,
                message=notification.text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[notification.address],
                fail_silently=False,
            )
        except Exception as exc:  # SMTP errors, refused connections, timeouts: all retried
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would follow a 301/302 with a GET and no body; a redirect is not a delivery.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def webhook_body(notification: Notification) -> bytes:
    """The JSON body a webhook receives; its exact bytes are what the signature covers."""
    payload = {
        "id": notification.pk,
        "kind": notification.kind,
        "subject": notification.subject,
        "text": notification.text,
        "order": notification.order_id,
        "unit": notification.recipient_unit.code if notification.recipient_unit_id else None,
        "created_at": notification.created_at.isoformat(),
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def webhook_signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookChannel(Channel):
    """Webhook 推送: an HTTP POST of JSON, signed with the endpoint's secret; any non-2xx answer fails."""

    name = NotificationChannel.WEBHOOK

    def send(self, notification: Notification) -> None:
        endpoint = notification.endpoint
        if endpoint is None or not endpoint.active:
            raise DeliveryFailed("推送地址已停用", permanent=True)
        body = webhook_body(notification)
        request = urllib.request.Request(
            notification.address,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Yousu-Webhook/1",
                SIGNATURE_HEADER: webhook_signature(body, endpoint.secret),
                DELIVERY_HEADER: str(notification.pk),
            },
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=WEBHOOK_TIMEOUT) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            exc.close()
            raise DeliveryFailed(f"HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:  # refused, timed out, bad URL
            raise DeliveryFailed(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from exc
        if not 200 <= status < 300:
            raise DeliveryFailed(f"HTTP {status}")


CHANNELS: dict[str, Channel] = {
    channel.name: channel for channel in (InboxChannel(), SmsChannel(), EmailChannel(), WebhookChannel())
}


def channel_for(name: str) -> Channel:
    return CHANNELS[name]
