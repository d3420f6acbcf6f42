"""The jurisdiction tests: the shared test city and a second one (the `north` fixture of
tests/conftest.py), on one deployment."""

from __future__ import annotations

import pytest

from ..api.helpers import Api


@pytest.fixture
def api(live_server) -> Api:
    return Api(live_server.url)
