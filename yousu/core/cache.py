"""Django's Redis cache, for which a Redis that cannot be reached is an empty cache, not an error.

The platform keeps nothing in the cache that it cannot do without: the working calendar's and the
gazetteer's version numbers (a process then keeps what it built for their local lifetime), the
dashboard's figures (read again from the database), the last sweep's time (/healthz says "unknown")
and the public entry points' rate limits (yousu.core.ratelimit counts in the process meanwhile). So
when Redis is down, restarting, full or read-only, every call through this backend answers as an
empty cache that keeps nothing would: a read finds nothing, a write is not kept, `incr` finds no key.
Code written for a cache that may evict any key at any moment needs nothing more.

A failed call logs a warning and makes the process skip Redis for RETRY_SECONDS, so a request pays
the connection timeout at most once and the log gets one line per interval, not one per call.
`/healthz` and `yousu check-deploy` ask `check()`, which raises, to report the cache as down.
"""

from __future__ import annotations

import functools
import logging
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

# Every failure of Redis: down, loading, timed out, refusing writes (maxmemory with noeviction, a
# replica after a failover), a password it refuses, or something else answering at its address.
UNAVAILABLE = redis.exceptions.RedisError
# Seconds a process leaves Redis alone after a failure before it tries again.
RETRY_SECONDS = 5.0
# A Redis that does not answer at all (a host gone from the network) must not hold a request for
# redis-py's defaults; OPTIONS in CACHES may set others.
SOCKET_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}

# LOCATION → monotonic time until which this process does not try that Redis. Shared by the
# threads of a process (Django makes one backend object per thread).
_skip_until: dict[str, float] = {}


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**SOCKET_TIMEOUTS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)

    @property
    def reachable(self) -> bool:
        """False for RETRY_SECONDS after a call failed: what this process then stores here is lost."""
        return time.monotonic() >= _skip_until.get(self._location, 0.0)

    def _failed(self, exc: Exception) -> None:
        _skip_until[self._location] = time.monotonic() + RETRY_SECONDS
        # The kind only: the URL may carry a password.
        logger.warning(
            "cache unavailable (%s); working without it for %.0f s", type(exc).__name__, RETRY_SECONDS
        )

    def check(self, key: str) -> None:
        """Write, read back and delete `key` without the fallback: raises what Redis raised. A success
        ends the pause after a failure at once."""
        try:
            self._cache.set(key, "ok", 10)
            try:
                if self._cache.get(key, None) != "ok":
                    raise RuntimeError("the cache did not return the value just written")
            finally:
                self._cache.delete(key)
        except UNAVAILABLE as exc:
            self._failed(exc)
            raise
        _skip_until.pop(self._location, None)

    # Every operation of RedisCache, each answering as an empty cache when Redis is unavailable.

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guard(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._guard(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._guard({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._guard(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._guard(missing, super().incr, key, delta, version)
        if value is missing:
            # As an empty cache answers: callers already handle a key that was evicted.
            raise ValueError(f"Key '{key}' not found.")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        # The keys not kept, as BaseCache.set_many reports them.
        return self._guard(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._guard(None, super().delete_many, keys, version)

    def clear(self):
        return self._guard(False, super().clear)

    def _guard(self, fallback, operation, *args):
        if not self.reachable:
            return fallback
        try:
            return operation(*args)
        except UNAVAILABLE as exc:
            self._failed(exc)
            return fallback


def reachable(backend) -> bool:
    """Whether what is stored in `backend` is kept (any other backend than this one always keeps)."""
    return getattr(backend, "reachable", True)


@functools.cache
def process_local():
    """A cache of this process only, for counters that must go on counting while the shared cache
    is unavailable (yousu.core.ratelimit). Large enough that one address or phone per key through an
    outage is not evicted early."""
    from django.core.cache.backends.locmem import LocMemCache

    return LocMemCache("yousu-process-local", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
