"""Settings for one machine (`yousu serve`, `make run`): the embedded SQLite database, DEBUG off unless
asked for (DEBUG=1 or `yousu serve --debug`), and the demo accounts on the start page."""

from yousu.env import env_bool

from .base import *  # noqa: F403
from .base import STATIC_ROOT, VAR_DIR

# Off by default: `make run` serves a demo city with citizens' names, phones and photos, and a debug
# page shows the URL map and settings to anyone who reaches the port (issue 21).
DEBUG = env_bool("DEBUG", False)
VAR_DIR.mkdir(parents=True, exist_ok=True)
# One machine serves its static files from the apps' folders, DEBUG on or off (no collectstatic).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
# Newcomers need the demo accounts to look around; a deployment never lists them.
YOUSU_SHOW_DEMO_ACCOUNTS = env_bool("YOUSU_SHOW_DEMO_ACCOUNTS", True)
