"""Settings for one machine: the embedded SQLite database and DEBUG on unless told otherwise."""

from yousu.env import env_bool

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = env_bool("DEBUG", True)
VAR_DIR.mkdir(parents=True, exist_ok=True)
