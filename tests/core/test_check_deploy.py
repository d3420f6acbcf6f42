"""`yousu check-deploy`: every check fails when its condition is broken and passes when it is fixed; the
exit code; no secret printed. And the deployment's gunicorn configuration serving /healthz for real."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core import checks as django_checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

from yousu.cli import main
from yousu.core.management.commands import check_deploy as cd
from yousu.org.calendar import calendar_year_declare
from yousu.org.services import area_create, person_create
from yousu.settings.base import DEFAULT_SECRET_KEY

REPO = Path(__file__).resolve().parents[2]
LONG_SECRET = "check-deploy-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set (the SQLite run has no Redis)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def statuses(findings) -> list[str]:
    return [f.status for f in findings]


def only(findings) -> cd.Finding:
    assert len(findings) == 1, findings
    return findings[0]


@pytest.fixture(autouse=True)
def keep_test_connection(monkeypatch):
    # A command run from the command line closes every connection when it ends; in-process, that
    # would close the test's own transaction on PostgreSQL.
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)


# -- settings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "status"),
    [
        ("yousu.settings.production", cd.OK),
        ("yousu.settings.development", cd.FAIL),
        ("yousu.settings.test", cd.FAIL),
        ("xining.settings", cd.WARN),
    ],
)
def test_settings_module(module, status):
    with override_settings(SETTINGS_MODULE=module):
        assert only(cd.check_settings_module()).status == status


def test_secret_key_default_short_and_long():
    with override_settings(SECRET_KEY=DEFAULT_SECRET_KEY):
        assert only(cd.check_secret_key()).status == cd.FAIL
    with override_settings(SECRET_KEY="x" * 39):
        assert only(cd.check_secret_key()).status == cd.FAIL
    with override_settings(SECRET_KEY=LONG_SECRET):
        finding = only(cd.check_secret_key())
    assert finding.status == cd.OK and LONG_SECRET not in finding.line()


@pytest.mark.parametrize(
    ("hosts", "status"),
    [
        ([], cd.FAIL),
        (["*"], cd.FAIL),
        (["yousu.example.gov.cn", "*"], cd.FAIL),
        (["127.0.0.1", "localhost"], cd.WARN),
        (["yousu.example.gov.cn", "127.0.0.1"], cd.OK),
    ],
)
def test_allowed_hosts(hosts, status):
    with override_settings(ALLOWED_HOSTS=hosts):
        assert only(cd.check_allowed_hosts()).status == status


SECURE = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "DEBUG": False,
    "SECRET_KEY": LONG_SECRET,
}


def test_django_deploy_checks_warn_on_an_insecure_cookie_and_pass_when_fixed(db):
    with override_settings(**{**SECURE, "SESSION_COOKIE_SECURE": False}):
        findings = cd.check_django_deploy()
    assert any(f.status == cd.WARN and "security.W012" in f.message for f in findings)
    with override_settings(**SECURE):
        findings = cd.check_django_deploy()
    # The HSTS choices that belong to the domain's owner are shown, not warned.
    assert set(statuses(findings)) == {cd.OK}, [f.line() for f in findings]
    assert "security.W012" not in " ".join(f.message for f in findings)


def test_django_errors_fail(monkeypatch):
    monkeypatch.setattr(
        django_checks, "run_checks", lambda **kw: [django_checks.Error("broken", id="yousu.E999")]
    )
    assert only(cd.check_django_deploy()).status == cd.FAIL


def test_time_zone():
    with override_settings(USE_TZ=False):
        assert only(cd.check_time_zone()).status == cd.FAIL
    with override_settings(TIME_ZONE="Asia/Shanghai", CELERY_TIMEZONE="UTC"):
        assert only(cd.check_time_zone()).status == cd.FAIL
    with override_settings(TIME_ZONE="UTC", CELERY_TIMEZONE="UTC"):
        assert only(cd.check_time_zone()).status == cd.WARN
    with override_settings(TIME_ZONE="Asia/Shanghai", CELERY_TIMEZONE="Asia/Shanghai"):
        assert only(cd.check_time_zone()).status == cd.OK


# -- database and migrations -------------------------------------------------------------------------


def test_database_is_postgresql_or_a_warning_for_sqlite(db):
    finding = only(cd.check_database())
    expected = cd.OK if connection.vendor == "postgresql" else cd.WARN
    assert finding.status == expected
    assert finding.message.startswith("PostgreSQL ") == (connection.vendor == "postgresql")


def test_unreachable_database_fails_and_skips_what_needs_it(db, monkeypatch):
    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(cd.metrics, "check_database", down)
    assert only(cd.check_database()).status == cd.FAIL
    by_label = {f.label: f for f in cd.run_all()}
    assert by_label["数据库迁移 migrations"].status == cd.FAIL
    assert "未检查" in by_label["工作日历 working calendar"].message


def test_unapplied_migration_fails_until_applied(db):
    recorder = MigrationRecorder(connection)
    # Inside the test's transaction, rolled back afterwards.
    recorder.record_unapplied("contenttypes", "0002_remove_content_type_name")
    finding = only(cd.check_migrations())
    assert finding.status == cd.FAIL and "contenttypes.0002_remove_content_type_name" in finding.message
    recorder.record_applied("contenttypes", "0002_remove_content_type_name")
    assert only(cd.check_migrations()).status == cd.OK


# -- cache and broker --------------------------------------------------------------------------------


def test_local_cache_is_a_warning():
    local = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=local, REDIS_URL=None):
        assert only(cd.check_cache()).status == cd.WARN


def test_unreachable_redis_cache_fails():
    url = f"redis://127.0.0.1:{free_port()}/0"
    broken = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    with override_settings(CACHES=broken, REDIS_URL=url):
        assert only(cd.check_cache()).status == cd.FAIL


@needs_redis
def test_real_redis_cache_passes():
    real = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    with override_settings(CACHES=real, REDIS_URL=REDIS_URL):
        finding = only(cd.check_cache())
    assert finding.status == cd.OK and "Redis" in finding.message


def test_broker_missing_is_a_warning_and_a_dead_one_fails_quickly_without_its_password():
    with override_settings(CELERY_BROKER_URL=""):
        assert only(cd.check_broker()).status == cd.WARN
    url = f"redis://:hunter2-broker@127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    with override_settings(CELERY_BROKER_URL=url):
        finding = only(cd.check_broker())
        line = finding.line()
    assert finding.status == cd.FAIL and time.monotonic() - started < 10
    assert "hunter2-broker" not in line and "127.0.0.1" in line


@needs_redis
def test_real_broker_passes():
    with override_settings(CELERY_BROKER_URL=REDIS_URL):
        assert only(cd.check_broker()).status == cd.OK


# -- files -------------------------------------------------------------------------------------------


def collect(root: Path, names) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("/* collected */")


def test_static_files(tmp_path):
    root = tmp_path / "static"
    with override_settings(STATIC_ROOT=root, WHITENOISE_USE_FINDERS=False):
        assert only(cd.check_static_files()).status == cd.FAIL  # never collected
        collect(root, ["admin/css/base.css"])
        finding = only(cd.check_static_files())
        assert finding.status == cd.FAIL and "vendor/htmx/htmx.min.js" in finding.message  # no npm assets
        collect(root, cd.REQUIRED_STATIC)
        assert only(cd.check_static_files()).status == cd.OK
    with override_settings(STATIC_ROOT=root, WHITENOISE_USE_FINDERS=True):
        assert only(cd.check_static_files()).status == cd.WARN  # served from the source tree


def test_static_manifest_required_by_manifest_storage(tmp_path):
    root = tmp_path / "static"
    collect(root, cd.REQUIRED_STATIC)
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=root, WHITENOISE_USE_FINDERS=False, STORAGES=storages):
        finding = only(cd.check_static_files())
        assert finding.status == cd.FAIL and "staticfiles.json" in finding.message
        (root / "staticfiles.json").write_text(json.dumps({"paths": {}, "version": "1.1"}))
        assert only(cd.check_static_files()).status == cd.OK


def test_media_root(tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path / "missing"):
        assert only(cd.check_media_root()).status == cd.FAIL
    with override_settings(MEDIA_ROOT=tmp_path):
        assert only(cd.check_media_root()).status == cd.OK
    assert list(tmp_path.iterdir()) == [], "the probe file must not stay behind"


def test_unwritable_media_root():
    # /proc is a directory no one can create files in, root included (CI runs as root, where a
    # chmod-ed directory would still be writable).
    with override_settings(MEDIA_ROOT="/proc"):
        finding = only(cd.check_media_root())
    assert finding.status == cd.FAIL and "不可写" in finding.message


# -- metrics -----------------------------------------------------------------------------------------


def test_metrics_protection(tmp_path, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with override_settings(YOUSU_METRICS_ALLOWED=["0.0.0.0/0"], YOUSU_METRICS_TOKEN=""):
        assert statuses(cd.check_metrics()) == [cd.FAIL]
    with override_settings(YOUSU_METRICS_ALLOWED=["127.0.0.1", "8.8.8.8"], YOUSU_METRICS_TOKEN=""):
        assert statuses(cd.check_metrics()) == [cd.WARN]
    with override_settings(YOUSU_METRICS_ALLOWED=["127.0.0.1"], YOUSU_METRICS_TOKEN="short"):
        assert statuses(cd.check_metrics()) == [cd.WARN]
    token = "a-long-enough-metrics-token-42"
    with override_settings(YOUSU_METRICS_ALLOWED=["127.0.0.1", "10.0.0.0/8"], YOUSU_METRICS_TOKEN=token):
        finding = only(cd.check_metrics())
        assert finding.status == cd.OK and token not in finding.line()
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "absent"))
        assert statuses(cd.check_metrics()) == [cd.FAIL]
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
        assert statuses(cd.check_metrics()) == [cd.OK]


# -- content security policy and proxies -------------------------------------------------------------


def test_browser_protection():
    header = {"YOUSU_CITIZEN_IP_HEADER": "HTTP_X_REAL_IP", "YOUSU_CSP": "enforce"}
    with override_settings(**header, YOUSU_TRUSTED_PROXIES=["127.0.0.1", "::1"]):
        assert statuses(cd.check_browser_protection()) == [cd.OK]
    with override_settings(**header, YOUSU_TRUSTED_PROXIES=["0.0.0.0/0"]):
        assert "冒充地址" in only(cd.check_browser_protection()).line()
        assert statuses(cd.check_browser_protection()) == [cd.FAIL]
    with override_settings(**header, YOUSU_TRUSTED_PROXIES=["127.0.0.1", "8.8.8.0/24"]):
        assert statuses(cd.check_browser_protection()) == [cd.WARN]
    # Without a header nothing is believed, whoever is listed.
    with override_settings(YOUSU_CITIZEN_IP_HEADER="", YOUSU_CSP="enforce", YOUSU_TRUSTED_PROXIES=["::/0"]):
        assert statuses(cd.check_browser_protection()) == [cd.OK]
    with override_settings(**{**header, "YOUSU_CSP": "report-only"}, YOUSU_TRUSTED_PROXIES=["127.0.0.1"]):
        assert statuses(cd.check_browser_protection()) == [cd.WARN]


# -- working calendar --------------------------------------------------------------------------------


@pytest.fixture
def city(defaults):
    return area_create(code="DC", name="部署市", kind="city")


@pytest.fixture
def admin_person(defaults):
    return person_create(username="deploy_admin", full_name="部署管理员", unit=None, roles=["administrator"])


def test_no_city_yet_is_a_warning(db):
    assert only(cd.check_calendars(today=dt.date(2026, 6, 1))).status == cd.WARN


def test_calendar_of_an_uncovered_year_fails_until_declared(city, admin_person):
    # 2031: beyond the chinesecalendar package; a deadline in it raises CalendarNotCovered.
    finding = only(cd.check_calendars(today=dt.date(2031, 6, 1)))
    assert finding.status == cd.FAIL and "2031" in finding.message and "DC" in finding.message
    calendar_year_declare(area=city, year=2031, source="测试：国办发明电", by=admin_person)
    assert only(cd.check_calendars(today=dt.date(2031, 6, 1))).status == cd.OK


def test_next_year_is_checked_in_december(city, admin_person):
    calendar_year_declare(area=city, year=2031, source="测试", by=admin_person)
    assert only(cd.check_calendars(today=dt.date(2031, 11, 30))).status == cd.OK
    finding = only(cd.check_calendars(today=dt.date(2031, 12, 1)))
    assert finding.status == cd.WARN and "2032" in finding.message
    calendar_year_declare(area=city, year=2032, source="测试", by=admin_person)
    assert only(cd.check_calendars(today=dt.date(2031, 12, 1))).status == cd.OK


def test_a_provisional_next_year_is_a_warning_until_confirmed(city, admin_person):
    calendar_year_declare(area=city, year=2031, source="测试", by=admin_person)
    calendar_year_declare(area=city, year=2032, source="已录入元旦", by=admin_person, provisional=True)
    finding = only(cd.check_calendars(today=dt.date(2031, 12, 1)))
    assert finding.status == cd.WARN and "临时声明" in finding.message and "DC" in finding.message
    calendar_year_declare(area=city, year=2032, source="测试：国办发明电", by=admin_person)
    assert only(cd.check_calendars(today=dt.date(2031, 12, 1))).status == cd.OK


def test_city_without_its_own_calendar_uses_default_hours(city):
    finding = only(cd.check_calendars(today=dt.date(2026, 6, 1)))  # a year the package covers
    assert finding.status == cd.WARN and "08:30" in finding.message


# -- the command -------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_the_command_prints_one_line_per_check_and_no_secret(db, capsys):
    password = "pg-password-never-shown"
    databases = {"default": {**connection.settings_dict, "PASSWORD": password}}
    # Only what is printed sees the password: the connection in use keeps its settings.
    with (
        override_settings(SECRET_KEY=LONG_SECRET, DATABASES=databases),
        pytest.raises(CommandError) as failed,
    ):
        call_command("check-deploy")
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines and all(line.split()[0] in {"OK", "WARN", "FAIL"} for line in lines), out
    assert "配置模块" in out and "工作日历" in out
    assert LONG_SECRET not in out and password not in out
    assert "FAIL" in str(failed.value)  # the test settings are not the production ones


@pytest.mark.parametrize(
    ("found", "strict", "code"),
    [
        ([cd.OK], False, 0),
        ([cd.OK, cd.WARN], False, 0),
        ([cd.OK, cd.WARN], True, 1),
        ([cd.OK, cd.FAIL], False, 1),
    ],
)
def test_exit_code(monkeypatch, capsys, found, strict, code):
    monkeypatch.setattr(cd, "run_all", lambda: [cd.Finding(status, "测试 test", "…") for status in found])
    assert main(["check-deploy", *(["--strict"] if strict else [])]) == code
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == len(found) + (0 if code else 1)
    if code:
        assert "部署检查未通过" in captured.err


# -- gunicorn with the deployment's configuration ----------------------------------------------------


def get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_gunicorn_serves_healthz_with_the_deploy_config(tmp_path):
    port = free_port()
    prometheus = tmp_path / "prometheus"
    prometheus.mkdir()
    (prometheus / "stale_1.db").write_bytes(b"")  # left by a previous run: gunicorn empties the folder
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="yousu.settings.production",
        SECRET_KEY=LONG_SECRET,
        DATABASE_URL=f"sqlite:///{tmp_path / 'yousu.sqlite3'}",
        YOUSU_VAR_DIR=str(tmp_path / "var"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="2",
        PROMETHEUS_MULTIPROC_DIR=str(prometheus),
    )
    migrate = subprocess.Popen(
        [sys.executable, "-m", "yousu.cli", "migrate", "-v0"], env=env, cwd=tmp_path, stderr=subprocess.PIPE
    )
    # Started alongside the migration (SQLite in WAL mode lets both at it): the whole test stays short.
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(REPO / "deploy" / "gunicorn.conf.py")],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert migrate.wait(timeout=60) == 0, migrate.stderr.read().decode()
        deadline = time.monotonic() + 20
        status, body = None, b""
        while time.monotonic() < deadline:
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                time.sleep(0.2)
        assert status == 200, body
        report = json.loads(body)
        assert (report["status"], report["database"], report["queue"]) == ("ok", "ok", "in-process")
        # /metrics reads the migrated tables; from 127.0.0.1 it is allowed.
        status, body = get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and b"yousu_orders" in body and b"yousu_request_duration_seconds" in body
        assert not (prometheus / "stale_1.db").exists()
    finally:
        for process in (server, migrate):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        for process in (server, migrate):
            process.stderr.close()
