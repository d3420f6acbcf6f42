"""Settings for one machine: the embedded SQLite database and DEBUG on unless told otherwise."""

from yousu.env import env_bool

from .base import *  # noqa: F403
from .base import STATIC_ROOT, VAR_DIR

DEBUG = env_bool("DEBUG", True)
VAR_DIR.mkdir(parents=True, exist_ok=True)
# One machine serves its static files from the apps' folders, DEBUG on or off (no collectstatic).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
