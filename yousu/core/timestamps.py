"""The one written form of a moment stored as text (event payloads): ISO 8601 in the platform's time zone.

Why local time and not UTC: a moment read back from the database is aware in UTC (+00:00), one computed
on a working calendar is in the calendar's zone (+08:00), so the same due time used to reach the event
log in two spellings. The platform's zone is what people read everywhere else — the API's datetime
fields, the exports, the pages — so a payload copied into a spreadsheet or compared by eye with an
order's deadline shows the same wall-clock time. The offset is always written, so the string stays
one exact instant and `datetime.fromisoformat` reads it (and the older +00:00 rows, which are never
rewritten: the log is append-only).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def payload_time(moment: dt.datetime) -> str:
    """`moment` as ISO 8601 in the platform's time zone, e.g. "2026-12-08T10:00:00+08:00"."""
    if not isinstance(moment, dt.datetime):
        raise TypeError(f"payload_time takes a datetime, not {type(moment).__name__}")
    if timezone.is_naive(moment):
        # A naive value would be written without an offset and read back as whatever zone the reader
        # assumes: refuse it rather than guess.
        raise ValueError("payload_time takes an aware datetime")
    return timezone.localtime(moment).isoformat()
