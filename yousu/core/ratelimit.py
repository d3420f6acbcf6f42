"""Fixed-window counters in Django's cache, for the limits of the public entry points (the citizen
portal, Open311), and the caller's network address they count by.

The cache is Redis in production, so every web process shares the counters; the in-process default
counts per process. A fixed window is cheap and enough to stop a script, while a person who retries
a form never meets the limit.

While Redis is unavailable (yousu.core.cache), the counters go on in each process's own memory rather
than failing open or falling back to the database: a script still meets the limit (at most once per
web process, so the workers' number times the allowance), a citizen never does, and the database,
the one thing the platform cannot work without, gets no extra write per request during the outage.
"""

from __future__ import annotations

import hashlib
import time
from contextlib import suppress

from django.conf import settings
from django.core.cache import cache

from .cache import process_local, reachable


def window_key(prefix: str, scope: str, who: str, window: int) -> str:
    """The counter of `who` in the current window. Hashed, so the cache (often a shared Redis) holds
    no phone numbers, addresses or key ids in clear text."""
    digest = hashlib.sha256(f"{scope}:{who}".encode()).hexdigest()[:32]
    return f"{prefix}:{scope}:{digest}:{int(time.time() // window)}"


def window_take(key: str, window: int) -> int:
    """Count one more in the window; returns the count including this one. cache.incr is atomic on
    Redis and locmem, so two requests at once never both see the last free place. Counted in this
    process while the shared cache is unavailable (the module's docstring says why)."""
    count = _take(cache, key, window)
    if reachable(cache):
        return count
    return _take(process_local(), key, window)


def _take(counters, key: str, window: int) -> int:
    counters.add(key, 0, timeout=window + 60)
    try:
        return counters.incr(key)
    except ValueError:  # expired between add and incr (or not kept: the shared cache is unavailable)
        counters.add(key, 1, timeout=window + 60)
        return 1


def window_give_back(key: str) -> None:
    for counters in (cache, process_local()):
        with suppress(ValueError):  # the window ended meanwhile: nothing left to give back
            counters.decr(key)
        if reachable(cache):
            return


def seconds_left(window: int) -> int:
    """Until the next window opens (a 429's Retry-After)."""
    return window - int(time.time()) % window


def client_ip(request) -> str:
    """The caller's address: from the header the platform's own proxy sets, if one is configured
    (YOUSU_CITIZEN_IP_HEADER; a header a client could set itself must not be trusted by default),
    else the connection's."""
    header = getattr(settings, "YOUSU_CITIZEN_IP_HEADER", "")
    value = request.META.get(header, "") if header else ""
    value = value.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "")
    return value[:64]
