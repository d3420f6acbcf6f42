"""Settings for the test suite: the database from DATABASE_URL (SQLite in memory by default)."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
# Tests create users by the hundred; the default hasher would dominate the run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="yousu-test-media-"))
