"""Settings from the environment fail loudly and name the variable; production refuses unsafe settings."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from yousu import env


@pytest.fixture
def environ(monkeypatch):
    def set_(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_


def test_booleans(environ):
    environ(FLAG="yes", OFF="0", BAD="maybe")
    assert env.env_bool("FLAG", False) is True
    assert env.env_bool("OFF", True) is False
    assert env.env_bool("UNSET_FLAG_X", True) is True
    with pytest.raises(ImproperlyConfigured, match="BAD='maybe'"):
        env.env_bool("BAD", False)


def test_lists_ints_timezones_choices(environ):
    environ(HOSTS="a.example, b.example", EMPTY_ITEM="a,,b", N="x", TZ_BAD="Mars/Olympus", LANG_BAD="fr")
    assert env.env_list("HOSTS", []) == ["a.example", "b.example"]
    with pytest.raises(ImproperlyConfigured, match="EMPTY_ITEM"):
        env.env_list("EMPTY_ITEM", [])
    with pytest.raises(ImproperlyConfigured, match="N='x'"):
        env.env_int("N", 1)
    with pytest.raises(ImproperlyConfigured, match="TZ_BAD"):
        env.env_timezone("TZ_BAD", "Asia/Shanghai")
    assert env.env_timezone("TZ_UNSET_X", "Asia/Shanghai") == "Asia/Shanghai"
    with pytest.raises(ImproperlyConfigured, match="LANG_BAD"):
        env.env_choice("LANG_BAD", "zh-hans", ["zh-hans", "en"])


def test_networks_and_a_urls_policy_source(environ):
    environ(PROXIES="10.0.0.5, 10.1.0.0/16,::1", PROXY_TYPO="10.0.0.300", PROXY_HOST="nginx")
    assert env.env_networks("PROXIES", []) == ["10.0.0.5", "10.1.0.0/16", "::1"]
    assert env.env_networks("PROXIES_UNSET_X", ["127.0.0.1"]) == ["127.0.0.1"]
    for name in ("PROXY_TYPO", "PROXY_HOST"):
        with pytest.raises(ImproperlyConfigured, match=f"{name}: .* is not an address or network"):
            env.env_networks(name, [])
    # The Content-Security-Policy source a tile URL needs: none on the platform itself.
    assert env.csp_source_of("TILES", "") == []
    assert env.csp_source_of("TILES", "/tiles/{z}/{x}/{y}.png") == []
    assert env.csp_source_of("TILES", "https://tiles.example:8443/{z}/{x}/{y}.png") == [
        "https://tiles.example:8443"
    ]
    assert env.csp_source_of("TILES", "http://{s}.tiles.example/{z}/{x}/{y}.png") == [
        "http://*.tiles.example"
    ]
    for bad in (
        "ftp://tiles.example/{z}",
        "//tiles.example/{z}",
        "https://{z}.example/",
        "https://u@tiles.example/",
    ):
        with pytest.raises(ImproperlyConfigured, match="TILES="):
            env.csp_source_of("TILES", bad)


def test_database_urls(environ, tmp_path):
    default = env.env_database("DB_UNSET_X", tmp_path / "y.sqlite3")
    assert default["ENGINE"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in default["OPTIONS"]["init_command"]
    assert default["OPTIONS"]["timeout"] > 0
    environ(PG="postgres://postgres@127.0.0.1:5432/yousu", MY="mysql://root@localhost/x", JUNK="nonsense")
    assert env.env_database("PG", tmp_path / "x")["ENGINE"] == "django.db.backends.postgresql"
    with pytest.raises(ImproperlyConfigured, match="MY"):
        env.env_database("MY", tmp_path / "x")
    with pytest.raises(ImproperlyConfigured, match="JUNK"):
        env.env_database("JUNK", tmp_path / "x")


def test_redis_url(environ):
    environ(R_OK="redis://127.0.0.1:6379/0", R_BAD="http://x")
    assert env.env_redis_url("R_OK") == "redis://127.0.0.1:6379/0"
    with pytest.raises(ImproperlyConfigured, match="R_BAD"):
        env.env_redis_url("R_BAD")


def test_sqlite_file_runs_in_wal_mode_with_a_busy_timeout(tmp_path, django_db_blocker):
    """Open a real database file with the project's options, as the embedded default does."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    settings_dict = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path / "wal.sqlite3"),
        "OPTIONS": env.sqlite_options(),
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }
    wrapper = DatabaseWrapper(settings_dict)
    try:
        with django_db_blocker.unblock(), wrapper.cursor() as cursor:
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] == 20000
    finally:
        wrapper.close()


def run_python(code, **extra_env):
    environment = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE")
    }
    environment.update(extra_env)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=60
    )


def test_production_refuses_the_default_secret_and_debug():
    load = "import yousu.settings.production"
    no_secret = run_python(load)
    assert no_secret.returncode != 0 and "SECRET_KEY is the development default" in no_secret.stderr
    debug_on = run_python(load, SECRET_KEY="k" * 50, DEBUG="1")
    assert debug_on.returncode != 0 and "DEBUG is on" in debug_on.stderr
    short = run_python(load, SECRET_KEY="short")
    assert short.returncode != 0 and "shorter than 40" in short.stderr
    fine = run_python(load + "; print(yousu.settings.production.DEBUG)", SECRET_KEY="k" * 50, DEBUG="0")
    assert fine.returncode == 0 and fine.stdout.strip() == "False"


def test_defaults_are_chinese_and_shanghai(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_cache_uses_redis_when_configured(settings):
    """The suite runs once with REDIS_URL (CI's PostgreSQL pass) and once without."""
    from django.core.cache import caches

    cache = caches["default"]
    expected = "ResilientRedisCache" if settings.REDIS_URL else "LocMemCache"
    assert type(cache).__name__ == expected
    cache.set("yousu-test-key", "值", 30)
    assert cache.get("yousu-test-key") == "值"
    cache.delete("yousu-test-key")
