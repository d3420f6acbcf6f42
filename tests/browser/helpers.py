"""Helpers of the browser tests: where Debian's chromium is, and the one reason a browser test skips."""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"


def skip_without_chromium() -> None:
    """Called at the top of each browser test module: without chromium there is nothing to drive."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"{CHROMIUM} is missing (apt-get install chromium); CI installs it", allow_module_level=True
        )
