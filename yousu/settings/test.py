"""Settings for the test suite: the database from DATABASE_URL (SQLite in memory by default)."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
# Tests create users by the hundred; the default hasher would dominate the run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="yousu-test-media-"))
# Nothing is collected for the tests: WhiteNoise serves the apps' static folders as in development.
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="yousu-test-static-"))
WHITENOISE_USE_FINDERS = True
# The suite's generated replies are a few words ("已处理") and would all score low; the reply-review
# rule is tested with its own threshold (tests/dispatch/test_reply_review_rule.py).
YOUSU_REPLY_REVIEW_LOW_SCORE = 0
