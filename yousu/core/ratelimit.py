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

import functools
import hashlib
import ipaddress
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
    """The caller's network address, the one every limit counts by (and the login lock-out).

    The connection's address (REMOTE_ADDR), unless the connection comes from one of the platform's own
    proxies (YOUSU_TRUSTED_PROXIES) and a header for the address they pass is configured
    (YOUSU_CITIZEN_IP_HEADER): then the nearest address in that header that is not itself a trusted
    proxy. A client that reaches gunicorn directly cannot choose its address by sending the header, and
    one behind the proxy cannot either by putting addresses in front of X-Forwarded-For, which the
    proxy appends to rather than replaces: the list is read from the right, the side the proxies wrote.
    """
    address = request.META.get("REMOTE_ADDR", "")
    header = settings.YOUSU_CITIZEN_IP_HEADER
    if not header or not _is_trusted_proxy(address):
        return address[:64]
    for hop in reversed(request.META.get(header, "").split(",")):
        try:
            hop_address = str(ipaddress.ip_address(hop.strip()))
        except ValueError:
            # Not an address: nothing to the left of it was written by a proxy we trust.
            break
        address = hop_address
        if not _is_trusted_proxy(hop_address):
            break
    return address[:64]


def _is_trusted_proxy(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    # A dual-stack listener sees an IPv4 proxy as ::ffff:a.b.c.d.
    parsed = getattr(parsed, "ipv4_mapped", None) or parsed
    return any(parsed in network for network in _networks(tuple(settings.YOUSU_TRUSTED_PROXIES)))


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    # Keyed by the setting's value, so a test that overrides it gets its own parse.
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
