"""SMS gateways: the one interface a real gateway implements, and the default that writes to the log.

A real gateway is a class named by the setting YOUSU_SMS_GATEWAY (a dotted path) whose `send` hands
the message to the operator and raises DeliveryFailed when the operator refuses it or cannot be
reached. It must give up within a few seconds: a worker holds the row while it sends.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod

logger = logging.getLogger("yousu.sms")


class SmsGateway(ABC):
    @abstractmethod
    def send(self, *, phone: str, text: str) -> None:
        """Hand one message to the operator, or raise yousu.notifications.channels.DeliveryFailed."""


class LogSmsGateway(SmsGateway):
    """Writes each message to the "yousu.sms" logger instead of sending it: the default until a city
    configures its operator's gateway, and what tests read."""

    def send(self, *, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)
