"""Settings for a real deployment; refuses to start with a development secret or DEBUG on."""

from django.core.exceptions import ImproperlyConfigured

from yousu.env import env_bool, env_int

from .base import *  # noqa: F403
from .base import DEBUG, DEFAULT_SECRET_KEY, SECRET_KEY

if SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is the development default; set a long random SECRET_KEY")
if len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("SECRET_KEY is shorter than 40 characters; set a long random SECRET_KEY")
if DEBUG:
    raise ImproperlyConfigured("DEBUG is on; production settings require DEBUG=0")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
# nginx redirects http to https too; this catches a proxy that forgot. The health and metrics probes
# reach gunicorn directly over http, so they are not redirected.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
# A worker answers searches from its current knowledge index while a thread builds the next one
# after a write: an operator never waits for someone else's edit (docs/knowledge.md).
YOUSU_KNOWLEDGE_BACKGROUND_REBUILD = env_bool("YOUSU_KNOWLEDGE_BACKGROUND_REBUILD", True)
