"""`yousu check-deploy`: is this installation ready to serve a city? One line per check, OK/WARN/FAIL;
a non-zero exit on any FAIL (and on a WARN with --strict). See docs/deployment.md.

Each check is a small function returning its findings, so the tests call them one by one; the command
only prints them. Nothing here prints a secret: a URL is shown without its user and password, and every
message passes through `scrub()`, which blanks the secrets the settings hold.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core import checks as django_checks
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from yousu.core import metrics

OK, WARN, FAIL = "OK", "WARN", "FAIL"
PRODUCTION_SETTINGS = "yousu.settings.production"
# The files the pages cannot do without: Django's admin and the front-end libraries that `make install`
# (or the Dockerfile's node stage) copies into yousu/web/static/vendor before collectstatic.
REQUIRED_STATIC = (
    "admin/css/base.css",
    "vendor/htmx/htmx.min.js",
    "vendor/echarts/echarts.min.js",
    "vendor/leaflet/leaflet.js",
)
MIN_TOKEN_LENGTH = 16
# Django's HSTS advice that is the domain owner's decision, not the platform's: every subdomain on
# https, and the browsers' preload list (rarely possible for a government subdomain). Shown, not warned.
ADVISORY_CHECKS = {"security.W005", "security.W021"}


@dataclass(frozen=True)
class Finding:
    status: str
    label: str
    message: str

    def line(self) -> str:
        return f"{self.status:<4} {self.label}：{scrub(self.message)}"


# -- secrets -------------------------------------------------------------------------------------------


def _secrets() -> list[str]:
    values = [
        settings.SECRET_KEY,
        getattr(settings, "YOUSU_METRICS_TOKEN", ""),
        getattr(settings, "EMAIL_HOST_PASSWORD", ""),
    ]
    values += [db.get("PASSWORD") or "" for db in settings.DATABASES.values()]
    for url in (getattr(settings, "REDIS_URL", None), getattr(settings, "CELERY_BROKER_URL", "")):
        if url:
            values.append(urllib.parse.urlsplit(url).password or "")
    # A value of a few characters would blank ordinary words of the message; such a secret is no secret.
    return [value for value in values if value and len(value) >= 4]


def scrub(text: str) -> str:
    """The text with every secret of the settings replaced by ***."""
    for secret in sorted(_secrets(), key=len, reverse=True):
        text = text.replace(secret, "***")
    return " ".join(text.split())


def where(url: str) -> str:
    """scheme://host:port/path of a URL, without user or password."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


# -- the checks ----------------------------------------------------------------------------------------


def check_settings_module() -> list[Finding]:
    label = "配置模块 settings module"
    module = settings.SETTINGS_MODULE or os.environ.get("DJANGO_SETTINGS_MODULE", "")
    if module == PRODUCTION_SETTINGS:
        return [Finding(OK, label, module)]
    if module.startswith("yousu.settings."):
        return [
            Finding(
                FAIL,
                label,
                f"{module} 不是生产配置；请设置 DJANGO_SETTINGS_MODULE={PRODUCTION_SETTINGS}",
            )
        ]
    return [
        Finding(
            WARN,
            label,
            f"{module} 是本地自定义配置；请确认它以 `from {PRODUCTION_SETTINGS} import *` 开头",
        )
    ]


def check_secret_key() -> list[Finding]:
    from yousu.settings.base import DEFAULT_SECRET_KEY

    label = "密钥 SECRET_KEY"
    key = settings.SECRET_KEY or ""
    if not key or key == DEFAULT_SECRET_KEY:
        return [Finding(FAIL, label, "仍是开发用默认值；请设置一个长随机值（至少 50 个字符）")]
    if len(key) < 40:
        return [Finding(FAIL, label, f"只有 {len(key)} 个字符；生产配置要求至少 40 个")]
    return [Finding(OK, label, f"已设置（{len(key)} 个字符，不显示内容）")]


def check_allowed_hosts() -> list[Finding]:
    label = "主机名 ALLOWED_HOSTS"
    hosts = list(settings.ALLOWED_HOSTS)
    if not hosts:
        return [Finding(FAIL, label, "为空：所有请求都会被拒绝（400）")]
    if "*" in hosts:
        return [Finding(FAIL, label, "含 *：任何主机名都被接受（Host 头伪造）；请列出平台的域名")]
    local = {"127.0.0.1", "localhost", "::1", "[::1]"}
    if set(hosts) <= local:
        return [
            Finding(
                WARN,
                label,
                f"只有本机地址（{', '.join(hosts)}）；请加上平台对外的域名，例如 12345.example.gov.cn",
            )
        ]
    return [Finding(OK, label, ", ".join(hosts))]


def check_django_deploy() -> list[Finding]:
    """Django's own `check --deploy`: every registered check, deployment ones included, as Django runs
    them (SILENCED_SYSTEM_CHECKS respected)."""
    from yousu.org.checks import CALENDAR_CHECK_IDS

    label = "Django 部署检查 check --deploy"
    messages = django_checks.run_checks(include_deployment_checks=True)
    findings = []
    for message in messages:
        if message.id in CALENDAR_CHECK_IDS:
            continue  # check_calendars reports the same notices, as FAIL or WARN by the year
        if message.id in ADVISORY_CHECKS:
            status = OK
        elif message.level >= django_checks.ERROR:
            status = FAIL
        elif message.level >= django_checks.WARNING:
            status = WARN
        else:
            continue
        findings.append(Finding(status, label, f"{message.id}: {message.msg}"))
    return findings or [Finding(OK, label, "没有警告或错误")]


def check_time_zone() -> list[Finding]:
    label = "时区 TIME_ZONE"
    if not settings.USE_TZ:
        return [Finding(FAIL, label, "USE_TZ 关闭：时限按办公时间计算，必须使用带时区的时间")]
    if settings.CELERY_TIMEZONE != settings.TIME_ZONE:
        return [
            Finding(
                FAIL,
                label,
                f"CELERY_TIMEZONE={settings.CELERY_TIMEZONE} 与 TIME_ZONE={settings.TIME_ZONE} 不一致：定时任务会在错误的时刻运行",
            )
        ]
    if settings.TIME_ZONE in {"UTC", "Etc/UTC", "GMT"}:
        return [
            Finding(
                WARN, label, f"{settings.TIME_ZONE}：办公时间和工作日按本地时间计算，通常应为 Asia/Shanghai"
            )
        ]
    return [Finding(OK, label, f"{settings.TIME_ZONE}，现在 {timezone.localtime():%Y-%m-%d %H:%M}")]


def check_database() -> list[Finding]:
    label = "数据库 database"
    try:
        metrics.check_database()
    except Exception as exc:
        return [Finding(FAIL, label, f"无法连接：{_error(exc)}")]
    vendor = connection.vendor
    if vendor == "postgresql":
        version = connection.pg_version
        return [
            Finding(
                OK,
                label,
                f"PostgreSQL {version // 10000}.{version % 10000}，{connection.settings_dict['NAME']}",
            )
        ]
    return [
        Finding(
            WARN,
            label,
            f"{vendor}：生产环境请用 PostgreSQL（DATABASE_URL=postgres://…）；SQLite 只适合单机试用",
        )
    ]


def check_migrations() -> list[Finding]:
    from django.db.migrations.executor import MigrationExecutor

    label = "数据库迁移 migrations"
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return [Finding(FAIL, label, f"无法读取迁移状态：{_error(exc)}")]
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:3])
        more = "…" if len(plan) > 3 else ""
        return [Finding(FAIL, label, f"{len(plan)} 个迁移未应用（{names}{more}）；请运行 yousu migrate")]
    return [Finding(OK, label, "全部已应用")]


def check_cache() -> list[Finding]:
    label = "缓存 cache"
    backend = settings.CACHES["default"]["BACKEND"]
    try:
        metrics.check_cache()
    except Exception as exc:
        return [Finding(FAIL, label, f"读写失败（{backend.rsplit('.', 1)[-1]}）：{_error(exc)}")]
    redis_url = getattr(settings, "REDIS_URL", None)
    if redis_url and "redis" in backend.lower():
        return [Finding(OK, label, f"Redis {where(redis_url)} 可读写")]
    return [
        Finding(
            WARN,
            label,
            f"{backend.rsplit('.', 1)[-1]} 只在本进程内有效：多个 gunicorn 进程的限流计数和工作日历版本"
            "不能共享；请设置 REDIS_URL",
        )
    ]


def check_broker() -> list[Finding]:
    label = "任务队列 Celery broker"
    url = settings.CELERY_BROKER_URL
    if not url:
        return [
            Finding(
                WARN,
                label,
                "未设置 CELERY_BROKER_URL：只有 `yousu serve` 会在进程内运行定时巡检；用 gunicorn 时请配置 "
                "Redis 并运行 yousu-worker 和 yousu-beat，否则时间节点不会触发",
            )
        ]
    try:
        metrics.check_queue()
    except Exception as exc:
        return [
            Finding(FAIL, label, f"{where(url)} 在 {metrics.BROKER_TIMEOUT:g} 秒内没有应答：{_error(exc)}")
        ]
    return [Finding(OK, label, f"{where(url)} 可连接")]


def check_static_files() -> list[Finding]:
    label = "静态文件 static files"
    root = Path(settings.STATIC_ROOT) if settings.STATIC_ROOT else None
    if getattr(settings, "WHITENOISE_USE_FINDERS", False):
        return [
            Finding(
                WARN,
                label,
                "WHITENOISE_USE_FINDERS 开启：从源码目录提供静态文件（开发配置），生产环境请先 collectstatic",
            )
        ]
    if root is None or not root.is_dir():
        return [Finding(FAIL, label, f"STATIC_ROOT {root} 不存在；请运行 yousu collectstatic --noinput")]
    missing = [name for name in REQUIRED_STATIC if not (root / name).is_file()]
    if missing:
        hint = (
            "（前端库：先 make install 或 npm ci 并复制到 yousu/web/static/vendor）"
            if any(name.startswith("vendor/") for name in missing)
            else ""
        )
        return [
            Finding(
                FAIL, label, f"{root} 缺少 {', '.join(missing)}{hint}；请运行 yousu collectstatic --noinput"
            )
        ]
    if isinstance(staticfiles_storage, ManifestFilesMixin):
        manifest = root / staticfiles_storage.manifest_name
        if not manifest.is_file():
            return [
                Finding(
                    FAIL, label, f"{manifest} 不存在（清单存储需要它）；请运行 yousu collectstatic --noinput"
                )
            ]
    return [Finding(OK, label, f"已收集到 {root}")]


def check_media_root() -> list[Finding]:
    label = "附件目录 MEDIA_ROOT"
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return [Finding(FAIL, label, f"{root} 不存在；请创建并交给运行平台的用户（例如 yousu）")]
    try:
        with tempfile.NamedTemporaryFile(dir=root, prefix=".check-deploy-"):
            pass
    except OSError as exc:
        return [Finding(FAIL, label, f"{root} 不可写（当前用户 uid {os.getuid()}）：{exc.strerror or exc}")]
    return [Finding(OK, label, f"{root} 可写")]


def check_metrics() -> list[Finding]:
    label = "监控指标 /metrics"
    findings = []
    token = settings.YOUSU_METRICS_TOKEN
    networks = [ipaddress.ip_network(entry, strict=False) for entry in settings.YOUSU_METRICS_ALLOWED]
    everyone = [str(n) for n in networks if n.prefixlen == 0]
    public = [str(n) for n in networks if n.prefixlen and not (n.is_private or n.is_loopback)]
    if everyone:
        findings.append(
            Finding(FAIL, label, f"YOUSU_METRICS_ALLOWED 含 {', '.join(everyone)}：任何地址都能读取")
        )
    elif public:
        findings.append(Finding(WARN, label, f"YOUSU_METRICS_ALLOWED 含公网地址 {', '.join(public)}"))
    if token and len(token) < MIN_TOKEN_LENGTH:
        findings.append(Finding(WARN, label, f"YOUSU_METRICS_TOKEN 太短（少于 {MIN_TOKEN_LENGTH} 个字符）"))
    multiproc = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc and not (os.path.isdir(multiproc) and os.access(multiproc, os.W_OK)):
        findings.append(Finding(FAIL, label, f"PROMETHEUS_MULTIPROC_DIR={multiproc} 不存在或不可写"))
    if not findings:
        allowed = ", ".join(str(n) for n in networks) or "无"
        findings.append(Finding(OK, label, f"允许 {allowed}；令牌{'已设置' if token else '未设置'}"))
    return findings


def check_browser_protection() -> list[Finding]:
    """The Content-Security-Policy (YOUSU_CSP) and the proxies whose client-address header is believed
    (YOUSU_TRUSTED_PROXIES): trusting every address is the same as believing any client's header."""
    label = "内容安全策略与代理 CSP, proxies"
    findings = []
    networks = [ipaddress.ip_network(entry, strict=False) for entry in settings.YOUSU_TRUSTED_PROXIES]
    everyone = [str(n) for n in networks if n.prefixlen == 0]
    public = [str(n) for n in networks if n.prefixlen and not (n.is_private or n.is_loopback)]
    if settings.YOUSU_CITIZEN_IP_HEADER and everyone:
        findings.append(
            Finding(
                FAIL,
                label,
                f"YOUSU_TRUSTED_PROXIES 含 {', '.join(everyone)}：任何客户端都能用 "
                f"{settings.YOUSU_CITIZEN_IP_HEADER} 冒充地址，绕过频率限制",
            )
        )
    elif settings.YOUSU_CITIZEN_IP_HEADER and public:
        findings.append(Finding(WARN, label, f"YOUSU_TRUSTED_PROXIES 含公网地址 {', '.join(public)}"))
    if settings.YOUSU_CSP != "enforce":
        findings.append(Finding(WARN, label, f"YOUSU_CSP={settings.YOUSU_CSP}：内容安全策略未强制执行"))
    if not findings:
        header = settings.YOUSU_CITIZEN_IP_HEADER or "未设置（按连接地址计）"
        trusted = ", ".join(str(n) for n in networks)
        findings.append(Finding(OK, label, f"强制执行；地址头 {header}，信任代理 {trusted}"))
    return findings


def check_calendars(today: dt.date | None = None) -> list[Finding]:
    """Every active city's working calendar holds this year (else a deadline in it raises
    CalendarNotCovered: intake and dispatch fail); from 1 December, the next year too (a WARN: only the
    deadlines that cross the new year fail). A year declared provisionally is a WARN until confirmed.
    The rule is yousu.org.calendar.calendar_notices, which the desk banner, /healthz and `yousu check`
    ask too."""
    from yousu.org.calendar import calendar_notices
    from yousu.org.models import WorkingCalendar
    from yousu.org.selectors import jurisdictions

    label = "工作日历 working calendar"
    today = today or timezone.localdate()
    cities = list(jurisdictions())
    if not cities:
        return [Finding(WARN, label, "还没有启用的市级区域；请先导入区域（yousu import areas FILE）")]
    with_row = set(WorkingCalendar.objects.filter(area__in=cities).values_list("area_id", flat=True))
    notices = {}
    for notice in calendar_notices(today=today, cities=cities):
        notices.setdefault(notice.city.pk, []).append(notice)
    findings = []
    for city in cities:
        if notices.get(city.pk):
            findings += [
                Finding(
                    FAIL if notice.current and not notice.provisional else WARN,
                    label,
                    f"{city.code}：{notice.message}",
                )
                for notice in notices[city.pk]
            ]
            continue
        if city.pk not in with_row:
            findings.append(
                Finding(
                    WARN,
                    label,
                    f"{city.name}（{city.code}）没有本市工作日历：使用默认办公时间 08:30–12:00、14:00–18:00",
                )
            )
            continue
        findings.append(Finding(OK, label, f"{city.name}（{city.code}）{today.year} 年已覆盖"))
    return findings


# (check, what it needs: the database answering, or the database answering and fully migrated)
CHECKS = (
    (check_settings_module, None),
    (check_secret_key, None),
    (check_allowed_hosts, None),
    (check_time_zone, None),
    (check_django_deploy, None),
    (check_database, None),
    (check_migrations, "database"),
    (check_cache, None),
    (check_broker, None),
    (check_static_files, None),
    (check_media_root, None),
    (check_metrics, None),
    (check_browser_protection, None),
    (check_calendars, "migrations"),
)
SKIPPED_LABELS = {check_migrations: "数据库迁移 migrations", check_calendars: "工作日历 working calendar"}


def run_all() -> list[Finding]:
    findings: list[Finding] = []
    passed = {"database": True, "migrations": True}
    for check, needs in CHECKS:
        if needs == "database" and not passed["database"]:
            findings.append(Finding(FAIL, SKIPPED_LABELS[check], "数据库不可用，未检查"))
            continue
        if needs == "migrations" and not (passed["database"] and passed["migrations"]):
            findings.append(Finding(FAIL, SKIPPED_LABELS[check], "数据库不可用或迁移未完成，未检查"))
            continue
        try:
            result = check()
        except Exception as exc:  # a broken check is a failed check, not a traceback
            result = [Finding(FAIL, check.__name__, f"检查出错：{_error(exc)}")]
        findings += result
        if check is check_database:
            passed["database"] = all(f.status != FAIL for f in result)
        if check is check_migrations:
            passed["migrations"] = all(f.status != FAIL for f in result)
    return findings


class Command(BaseCommand):
    help = "部署检查：配置、数据库、缓存、队列、静态文件、附件目录、监控和工作日历是否已就绪（OK/WARN/FAIL）"

    def add_arguments(self, parser):
        parser.add_argument("--strict", action="store_true", help="有 WARN 时也以非零状态退出")

    def handle(self, **options):
        findings = run_all()
        for finding in findings:
            self.stdout.write(finding.line())
        counts = {status: sum(f.status == status for f in findings) for status in (OK, WARN, FAIL)}
        summary = f"{counts[OK]} OK，{counts[WARN]} WARN，{counts[FAIL]} FAIL"
        if counts[FAIL] or (options["strict"] and counts[WARN]):
            raise CommandError(f"部署检查未通过 (deployment check failed)：{summary}")
        self.stdout.write(f"部署检查通过 (deployment check passed)：{summary}")
