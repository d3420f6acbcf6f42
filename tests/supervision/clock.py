"""A frozen clock for supervision tests: every service reads `django.utils.timezone.now`."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=SHANGHAI)


@contextmanager
def frozen(moment: dt.datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield
