"""Settings shared by every environment; values come from the environment through yousu.env."""

import datetime as dt
from pathlib import Path

import phonenumbers
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from yousu.env import (
    csp_source_of,
    env_bool,
    env_choice,
    env_database,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_redis_url,
    env_str,
    env_timezone,
)

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PACKAGE_DIR.parent
VAR_DIR = Path(env_str("YOUSU_VAR_DIR", str(BASE_DIR / "var")))

# Known only to development; production.py refuses to start while it is in use.
DEFAULT_SECRET_KEY = "yousu-development-only-secret-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
# The start page lists the demo accounts and their password (development settings turn it on).
YOUSU_SHOW_DEMO_ACCOUNTS = env_bool("YOUSU_SHOW_DEMO_ACCOUNTS", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    # Login throttling (django-axes): failed logins, lock-outs and their admin pages.
    "axes",
    "csp",
    "yousu.core",
    "yousu.org",
    "yousu.catalog",
    "yousu.appeals",
    "yousu.dispatch",
    "yousu.notifications",
    "yousu.supervision",
    "yousu.grid",
    "yousu.evaluation",
    "yousu.callbacks",
    "yousu.reports",
    "yousu.public",
    "yousu.intelligence",
    "yousu.knowledge",
    "yousu.open311",
    "yousu.api",
    "yousu.demo",
    "yousu.web",
]

MIDDLEWARE = [
    # First, so that it times the whole stack (yousu_request_duration_seconds on /metrics).
    "yousu.core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header and request.csp_nonce (settings below; none when YOUSU_CSP=off).
    "csp.middleware.CSPMiddleware",
    # The platform serves its own CSS, scripts and front-end libraries (no CDN, no separate web server
    # required on an intranet): WhiteNoise answers /static/ before the rest of the stack runs.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A signed-in session ends when idle or too old (yousu/web/signin.py); after messages, to say why.
    "yousu.web.signin.IdleSessionMiddleware",
    # Turns a login refused for too many failures into the lock-out answer (yousu.web.signin.locked_out).
    "axes.middleware.AxesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A database briefly gone answers 503 with Retry-After, not 500 (yousu/core/unavailable.py).
    "yousu.core.unavailable.DatabaseUnavailableMiddleware",
    # A NUL in an API path or query parameter is a 400 naming it, not a 500 (yousu/api/middleware.py).
    "yousu.api.middleware.UnstorableInputMiddleware",
]

ROOT_URLCONF = "yousu.urls"
WSGI_APPLICATION = "yousu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yousu.web.context.desks",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", VAR_DIR / "yousu.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    # Django's Redis cache, except that a Redis it cannot reach is an empty cache, not an error: the
    # platform works on without it (yousu.core.cache says what that costs).
    CACHES = {"default": {"BACKEND": "yousu.core.cache.ResilientRedisCache", "LOCATION": REDIS_URL}}

AUTH_USER_MODEL = "org.Person"
# Passwords (checked by person_create, the admin's forms, createsuperuser and changepassword): at least
# YOUSU_PASSWORD_MIN_LENGTH characters, not one of the 20,000 common passwords, not all digits, not
# like the username or name.
YOUSU_PASSWORD_MIN_LENGTH = env_int("YOUSU_PASSWORD_MIN_LENGTH", 10, minimum=8)
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "full_name", "email")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": YOUSU_PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks every login (the platform's page, the API's, the admin's) before the password is
# looked at; its backend has no get_user, so force_login and sessions go on using ModelBackend.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (docs/accounts.md): YOUSU_LOGIN_FAILURE_LIMIT failures of one username from one
# address lock that pair out for YOUSU_LOGIN_COOLOFF_MINUTES (another failure meanwhile starts the
# wait again), whatever password comes next. By the pair, so guessing from one address never locks
# the real person out at their own desk. The address is the one every limit counts by (behind the
# platform's own proxies only). Lock-outs are listed in the admin; `yousu unlock USERNAME` lifts one.
AXES_FAILURE_LIMIT = env_int("YOUSU_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("YOUSU_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "yousu.core.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "yousu.web.signin.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
# A signed-in session (staff only: citizens never sign in) ends YOUSU_SESSION_HOURS after the login, a
# hotline shift, and after YOUSU_SESSION_IDLE_MINUTES without a request (yousu.web.signin).
YOUSU_SESSION_HOURS = env_int("YOUSU_SESSION_HOURS", 12, minimum=1)
YOUSU_SESSION_IDLE_MINUTES = env_int("YOUSU_SESSION_IDLE_MINUTES", 30, minimum=1)
# Everyone signs in on the platform's own page: the admin's login admits staff only, and leaders,
# operators and unit staff are not staff.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "start"

LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("英文"))]
LANGUAGE_CODE = env_choice("LANGUAGE_CODE", "zh-hans", [code for code, _name in LANGUAGES])
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_timezone("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Never served as such (yousu/urls.py has no media route): attachments are downloaded only through the
# views that check who may see the appeal (dispatch-attachment, unit-attachment).
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# The REST API (yousu.api): token or session, JSON errors that name the field, an OpenAPI schema.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "yousu.api.permissions.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "yousu.api.parsers.JSONParser",
        "yousu.api.parsers.MultiPartParser",
        "yousu.api.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "yousu.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "有诉 Yousu API",
    "DESCRIPTION": "诉求受理、派单、办理、会商与吹哨报到的 REST 接口（令牌或会话认证）。",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema name per choice set, where several fields share it or share a field name.
    "ENUM_NAME_OVERRIDES": {
        "AppealStatusEnum": "yousu.appeals.choices.AppealStatus",
        "OrderStatusEnum": "yousu.dispatch.choices.OrderStatus",
        "RequestStatusEnum": "yousu.dispatch.choices.RequestStatus",
        "ReplyResultEnum": "yousu.dispatch.choices.ReplyResult",
        "ReturnReasonEnum": "yousu.dispatch.choices.ReturnReason",
        "PauseReasonEnum": "yousu.dispatch.choices.PauseReason",
        "TimeNodeEnum": "yousu.dispatch.choices.TimeNode",
        "SupervisionStatusEnum": "yousu.supervision.choices.SupervisionStatus",
        "RuleTargetEnum": "yousu.catalog.choices.RuleTarget",
        "RuleLevelEnum": "yousu.api.serializers.RULE_LEVELS",
    },
}

# Background jobs (yousu.celery). With a broker (Redis in production), Celery workers run the jobs and
# Celery beat runs the schedule; without one, `yousu serve` runs the same jobs in-process.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Seconds between two runs of the periodic job (time nodes, notification retries).
YOUSU_SWEEP_INTERVAL = env_int("YOUSU_SWEEP_INTERVAL", 60, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "sweep": {"task": "yousu.supervision.tasks.sweep", "schedule": float(YOUSU_SWEEP_INTERVAL)},
    # The monthly assessment (考评) of the month just ended, early on the 1st when nobody is working.
    "assess-previous-month": {
        "task": "yousu.evaluation.tasks.assess_previous_month",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
}

# /metrics (yousu.core.metrics): answered to these addresses or networks (e.g. 10.0.0.0/8), or to any
# request carrying `Authorization: Bearer <YOUSU_METRICS_TOKEN>` when a token is set; else 403.
YOUSU_METRICS_ALLOWED = env_networks("YOUSU_METRICS_ALLOWED", ["127.0.0.1", "::1"])
YOUSU_METRICS_TOKEN = env_str("YOUSU_METRICS_TOKEN", "")

# Notifications (yousu.notifications). The in-app inbox is always written; these channels are added
# where the recipient has an address. The SMS gateway is a dotted path to a class (the default only
# writes to the "yousu.sms" log); e-mail goes through Django's mail settings.
YOUSU_NOTIFY_CHANNELS = env_list("YOUSU_NOTIFY_CHANNELS", ["inbox", "sms", "email", "webhook"])
YOUSU_NOTIFY_MAX_ATTEMPTS = env_int("YOUSU_NOTIFY_MAX_ATTEMPTS", 6, minimum=1)
YOUSU_SMS_GATEWAY = env_str("YOUSU_SMS_GATEWAY", "yousu.notifications.sms.LogSmsGateway")
# Callbacks (yousu.callbacks): phone attempts before a callback is recorded as unreachable; days a
# citizen's one-time link stays valid; the address the link in the text message starts with.
YOUSU_CALLBACK_MAX_ATTEMPTS = env_int("YOUSU_CALLBACK_MAX_ATTEMPTS", 3, minimum=1)
YOUSU_CALLBACK_LINK_DAYS = env_int("YOUSU_CALLBACK_LINK_DAYS", 7, minimum=1)
YOUSU_PUBLIC_URL = env_str("YOUSU_PUBLIC_URL", "http://127.0.0.1:8000")
# Knowledge base (yousu.knowledge.answers): hours after an on-the-spot answer before the citizen is
# called back and asked whether it helped (time to act on it); how many "did not help" answers since
# the entry's last review, and what percentage of those asked, flag the entry and hide it from
# operators until its unit reviews it.
YOUSU_INTAKE_ANSWER_CHECK_HOURS = env_int("YOUSU_INTAKE_ANSWER_CHECK_HOURS", 24, minimum=0)
YOUSU_KNOWLEDGE_UNHELPFUL_FLAG = env_int("YOUSU_KNOWLEDGE_UNHELPFUL_FLAG", 3, minimum=1)
YOUSU_KNOWLEDGE_UNHELPFUL_SHARE = env_int("YOUSU_KNOWLEDGE_UNHELPFUL_SHARE", 30, minimum=0)
# Rebuild a worker's search index in a thread after a write, answering from the old one meanwhile
# (yousu.knowledge.search.entry_index). Off here, so a search right after a write finds it (the
# tests' expectation, and harmless on a small base); production turns it on.
YOUSU_KNOWLEDGE_BACKGROUND_REBUILD = env_bool("YOUSU_KNOWLEDGE_BACKGROUND_REBUILD", False)
# Seconds between two refreshes of the leader's dashboard (/dashboard/).
YOUSU_DASHBOARD_POLL_SECONDS = env_int("YOUSU_DASHBOARD_POLL_SECONDS", 30, minimum=1)
# The dashboard counters (yousu.reports.tallies) count events older than this many seconds: on
# PostgreSQL an event's id is taken before its transaction commits, so a younger one may still have
# an older neighbour on the way. The summary adds the younger events itself.
YOUSU_TALLY_HORIZON_SECONDS = env_int("YOUSU_TALLY_HORIZON_SECONDS", 300, minimum=0)
# Seconds the summary keeps the counters' rows of one generation in the cache (0: read every time).
YOUSU_DASHBOARD_CACHE_SECONDS = env_int("YOUSU_DASHBOARD_CACHE_SECONDS", 300, minimum=0)
# Automatic dispatch (yousu.dispatch.auto): an appeal whose suggested catalog item has at least this
# probability (0–1) is dispatched without a dispatcher, who may withdraw it. Empty: off (the default).
YOUSU_AUTO_DISPATCH_CONFIDENCE = env_float("YOUSU_AUTO_DISPATCH_CONFIDENCE", None, minimum=0.0, maximum=1.0)
# Reply review (yousu.intelligence.reply_review): a reply scoring below this (0–100) is approved only
# after the reviewing dispatcher confirms it. docs/reply-review.md shows what each threshold asks.
YOUSU_REPLY_REVIEW_LOW_SCORE = env_int("YOUSU_REPLY_REVIEW_LOW_SCORE", 60, minimum=0)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "yousu@localhost")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds; a worker holds a notification while it sends, so a mail server that hangs must not hold it long.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)

# Duplicates and hot issues (yousu.intelligence, docs/hot-issues.md). Duplicates: open appeals received
# within the window whose score (text cosine + place bonus / − penalty for another district) reaches
# the threshold. Hot issues: an appeal joins the hot issue (active within its window) whose score reaches
# the threshold, else starts one; the dashboard and API list those with at least MIN_APPEALS appeals.
YOUSU_DUPLICATE_WINDOW_DAYS = env_int("YOUSU_DUPLICATE_WINDOW_DAYS", 7, minimum=1)
YOUSU_DUPLICATE_THRESHOLD = env_float("YOUSU_DUPLICATE_THRESHOLD", 0.5, minimum=0.0, maximum=2.0)
YOUSU_DUPLICATE_MAX_CANDIDATES = env_int("YOUSU_DUPLICATE_MAX_CANDIDATES", 5000, minimum=1)
YOUSU_PLACE_BONUS = env_float("YOUSU_PLACE_BONUS", 0.1, minimum=0.0, maximum=1.0)
YOUSU_PLACE_PENALTY = env_float("YOUSU_PLACE_PENALTY", 0.25, minimum=0.0, maximum=1.0)
YOUSU_HOT_ISSUE_WINDOW_DAYS = env_int("YOUSU_HOT_ISSUE_WINDOW_DAYS", 14, minimum=1)
YOUSU_HOT_ISSUE_THRESHOLD = env_float("YOUSU_HOT_ISSUE_THRESHOLD", 0.55, minimum=0.0, maximum=2.0)
YOUSU_HOT_ISSUE_MIN_APPEALS = env_int("YOUSU_HOT_ISSUE_MIN_APPEALS", 3, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    # Without a real SMS gateway the log is where text messages go, so it is kept at INFO.
    "loggers": {"yousu.sms": {"level": "INFO"}},
}

# Phone numbers (yousu.core.phones): the country whose numbers are read without a country code and
# stored in their national form (13812345678, 09718123456); another country's keep it (+16502530000).
YOUSU_PHONE_REGION = env_choice("YOUSU_PHONE_REGION", "CN", sorted(phonenumbers.SUPPORTED_REGIONS))

# The citizen portal (/h5/, yousu.appeals.portal and .limits). Hourly allowances: appeals per phone
# number and per network address, tracking look-ups per address (counted in the cache, so set
# REDIS_URL when several web processes serve). Photos per appeal (each within the attachment limits
# of yousu.appeals.services). The unit that receives online appeals (a unit code; empty: the one city
# platform). The header that carries the citizen's address when the platform's own reverse proxy sets
# it (for example HTTP_X_REAL_IP; empty: the connection's address). A tile URL on the platform's own
# intranet for the map, such as /tiles/{z}/{x}/{y}.png (empty: the areas' boundaries only).
YOUSU_CITIZEN_SUBMISSIONS_PER_PHONE_HOUR = env_int("YOUSU_CITIZEN_SUBMISSIONS_PER_PHONE_HOUR", 5, minimum=1)
YOUSU_CITIZEN_SUBMISSIONS_PER_IP_HOUR = env_int("YOUSU_CITIZEN_SUBMISSIONS_PER_IP_HOUR", 20, minimum=1)
YOUSU_CITIZEN_TRACKS_PER_IP_HOUR = env_int("YOUSU_CITIZEN_TRACKS_PER_IP_HOUR", 30, minimum=1)
YOUSU_CITIZEN_MAX_PHOTOS = env_int("YOUSU_CITIZEN_MAX_PHOTOS", 6, minimum=0)
YOUSU_CITIZEN_INTAKE_UNIT = env_str("YOUSU_CITIZEN_INTAKE_UNIT", "")
YOUSU_CITIZEN_IP_HEADER = env_str("YOUSU_CITIZEN_IP_HEADER", "")
YOUSU_CITIZEN_MAP_TILE_URL = env_str("YOUSU_CITIZEN_MAP_TILE_URL", "")
# The proxies whose word on the caller's address is taken (addresses or networks): the header above is
# read only on a connection from one of them, so a client that reaches gunicorn directly cannot pick
# its address (yousu.core.ratelimit.client_ip, which every limit and the login lock-out count by).
YOUSU_TRUSTED_PROXIES = env_networks("YOUSU_TRUSTED_PROXIES", ["127.0.0.1", "::1"])

# Content-Security-Policy (django-csp, csp.middleware.CSPMiddleware): scripts, styles, fonts and
# images come from the platform itself; no inline script runs without the response's nonce
# (request.csp_nonce), no inline event handler, style attribute or <style> element applies, and no
# other site may frame a page or receive a form. The map's tiles may come from the tile server's host.
# YOUSU_CSP: enforce (default), report-only (the browser reports and blocks nothing: to try a change
# on a live site), off.
YOUSU_CSP = env_choice("YOUSU_CSP", "enforce", ["enforce", "report-only", "off"])
_CSP_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *csp_source_of("YOUSU_CITIZEN_MAP_TILE_URL", YOUSU_CITIZEN_MAP_TILE_URL)],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
CONTENT_SECURITY_POLICY = _CSP_POLICY if YOUSU_CSP == "enforce" else None
CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP_POLICY if YOUSU_CSP == "report-only" else None

# The Open311 GeoReport v2 interface (/open311/v2/, yousu.open311). Requests per minute allowed to one
# client key (an administrator may set another allowance per key) and to one network address calling
# without a key (counted in the cache: set REDIS_URL when several web processes serve). The unit that
# receives each city's Open311 requests (unit codes, one per city; empty: the city's one city platform).
# Whether a post is answered with a token instead of the request's id (GeoReport v2 allows either).
# The contact and the way to get a key that the discovery document shows.
YOUSU_OPEN311_REQUESTS_PER_KEY_MINUTE = env_int("YOUSU_OPEN311_REQUESTS_PER_KEY_MINUTE", 120, minimum=1)
YOUSU_OPEN311_REQUESTS_PER_IP_MINUTE = env_int("YOUSU_OPEN311_REQUESTS_PER_IP_MINUTE", 60, minimum=1)
YOUSU_OPEN311_INTAKE_UNIT = env_list("YOUSU_OPEN311_INTAKE_UNIT", [])
YOUSU_OPEN311_ANSWER_WITH_TOKEN = env_bool("YOUSU_OPEN311_ANSWER_WITH_TOKEN", False)
YOUSU_OPEN311_CONTACT = env_str("YOUSU_OPEN311_CONTACT", "12345 政务服务便民热线")
YOUSU_OPEN311_KEY_SERVICE = env_str("YOUSU_OPEN311_KEY_SERVICE", "请向平台管理员申请 API 密钥")

# Grid governance (未诉先办): the time of day by which each community's daily discovery report
# (发现问题日报告) is due on a working day; a report not in by then is flagged to the street.
YOUSU_DAILY_REPORT_DUE = env_str("YOUSU_DAILY_REPORT_DUE", "18:00")
# How far back (days) a found problem looks for a citizen's appeal about the same matter and place.
YOUSU_PRIOR_COMPLAINT_DAYS = env_int("YOUSU_PRIOR_COMPLAINT_DAYS", 30, minimum=1)
