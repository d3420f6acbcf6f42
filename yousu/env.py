"""Read settings from environment variables, failing loudly on values that make no sense.

Every helper names the variable in its error, so a typo in a deployment's environment stops the
process at start-up with a one-line reason instead of surfacing later as odd behaviour.
"""

from __future__ import annotations

import ipaddress
import os
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
SUPPORTED_DATABASE_ENGINES = {
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def env_str(name: str, default: str | None = None) -> str | None:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off"
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum {minimum}")
    return number


def env_float(
    name: str, default: float | None, *, minimum: float | None = None, maximum: float | None = None
) -> float | None:
    """A number; an unset or empty variable gives `default` (which may be None: "off")."""
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from None
    if (
        number != number
        or (minimum is not None and number < minimum)
        or (maximum is not None and number > maximum)
    ):
        raise ImproperlyConfigured(f"{name}={number} is outside {minimum}..{maximum}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name}={value!r} has an empty entry; separate values with single commas")
    return items


def env_networks(name: str, default: list[str]) -> list[str]:
    """A comma-separated list of addresses or networks (10.0.0.5, 10.0.0.0/8, ::1); each is checked here,
    so a typo stops the start instead of silently trusting or refusing the wrong machines."""
    entries = env_list(name, default)
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {entry!r} is not an address or network") from None
    return entries


def csp_source_of(name: str, url: str | None) -> list[str]:
    """The Content-Security-Policy source that admits a URL setting's host: [] for a URL on the platform
    itself (a path), ["https://tiles.example"] for another host; Leaflet's {s} subdomain becomes *."""
    if not url:
        return []
    parts = urlsplit(url)
    if not parts.netloc:
        return []
    host = parts.netloc.replace("{s}", "*")
    if parts.scheme not in ("http", "https") or "{" in host or "}" in host or "@" in host:
        raise ImproperlyConfigured(f"{name}={url!r} is not an http(s) URL with a plain host name")
    return [f"{parts.scheme}://{host}"]


def env_timezone(name: str, default: str) -> str:
    value = env_str(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a known time zone (for example Asia/Shanghai)"
        ) from None
    return value


def env_choice(name: str, default: str, choices: list[str]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of {', '.join(choices)}")
    return value


def env_database(name: str, default_sqlite_path: Path) -> dict:
    """Parse DATABASE_URL; without it, the embedded SQLite file under var/."""
    value = _raw(name)
    if value is None:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(default_sqlite_path)}
    else:
        try:
            config = dj_database_url.parse(value)
        except (ValueError, KeyError) as exc:
            raise ImproperlyConfigured(f"{name} is not a usable database URL: {exc}") from None
        if config.get("ENGINE") not in SUPPORTED_DATABASE_ENGINES:
            raise ImproperlyConfigured(
                f"{name} uses an unsupported database ({config.get('ENGINE')}); use sqlite:/// or postgres://"
            )
        if not config.get("NAME"):
            raise ImproperlyConfigured(f"{name} names no database")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config.setdefault("OPTIONS", {}).update(sqlite_options())
    return config


def sqlite_options() -> dict:
    # WAL lets the web process read while a background job writes; the busy timeout (seconds)
    # makes a writer wait for the lock instead of failing at once; IMMEDIATE takes the write
    # lock at the start of a transaction so two writers cannot deadlock on an upgrade.
    return {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }


def env_redis_url(name: str) -> str | None:
    value = _raw(name)
    if value is None:
        return None
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"{name}={value!r} is not a Redis URL (redis://host:port/db)")
    return value
