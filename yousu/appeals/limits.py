"""Rate limits of the citizen portal: how many appeals one phone number and one network address may
submit, and how many tracking look-ups one address may make, per hour.

Each counter is a fixed one-hour window in the cache (yousu.core.ratelimit): enough to stop a script
while a citizen who submits twice or mistypes a code never meets the limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils.translation import gettext as _

from yousu.core.errors import DomainError
from yousu.core.ratelimit import window_give_back, window_key, window_take

WINDOW_SECONDS = 3600
PREFIX = "yousu:citizen-limit"


class CitizenLimitExceeded(DomainError):
    """Too many submissions or look-ups in the window; the portal answers 429."""

    code = "rate_limited"


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _key(scope: str, who: str) -> str:
    return window_key(PREFIX, scope, who, WINDOW_SECONDS)


def _take(key: str) -> int:
    return window_take(key, WINDOW_SECONDS)


@contextmanager
def submission_slot(*, phone: str, ip: str) -> Iterator[None]:
    """Take a place in the phone's and the address's hourly allowance for one submission. A refused
    or failed submission (the block raises) gives its place back: a citizen correcting a form is not
    counted again and again, while two submissions at once cannot both slip past the limit."""
    counters = [
        (_key("submit-phone", phone), _limit("YOUSU_CITIZEN_SUBMISSIONS_PER_PHONE_HOUR", 5)),
        (_key("submit-ip", ip or "-"), _limit("YOUSU_CITIZEN_SUBMISSIONS_PER_IP_HOUR", 20)),
    ]
    taken = []
    try:
        for key, limit in counters:
            taken.append(key)
            if _take(key) > limit:
                raise CitizenLimitExceeded(
                    _("提交过于频繁：同一手机号或同一网络每小时提交的诉求有数量限制，请稍后再试或拨打 12345"),
                    field=None,
                )
        yield
    except BaseException:
        for key in taken:
            window_give_back(key)
        raise


def tracking_attempt(*, ip: str) -> None:
    """Count one tracking look-up of the address; refuse beyond the hourly allowance. Every attempt
    counts, found or not, so guessing codes (or the phone of a known code) stays slow."""
    if _take(_key("track-ip", ip or "-")) > _limit("YOUSU_CITIZEN_TRACKS_PER_IP_HOUR", 30):
        raise CitizenLimitExceeded(_("查询过于频繁，请一小时后再试"), field=None)


def max_photos() -> int:
    return _limit("YOUSU_CITIZEN_MAX_PHOTOS", 6)
