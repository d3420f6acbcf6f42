"""Fixtures of the callback tests: the real-HTTP client of the API tests."""

from __future__ import annotations

import pytest

from ..api.helpers import Api


@pytest.fixture
def api(live_server) -> Api:
    return Api(live_server.url)
