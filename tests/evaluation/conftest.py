"""The default scheme comes from a data migration; a live-server test's flush removes it, so the
assessment tests put it back (as `defaults` does for roles and time-limit classes)."""

import importlib

import pytest
from django.apps import apps as django_apps


@pytest.fixture(autouse=True)
def default_scheme(request):
    if "world" not in request.fixturenames:
        return
    request.getfixturevalue("world")
    migration = importlib.import_module("yousu.evaluation.migrations.0002_default_scheme")
    migration.create_default_scheme(django_apps, None)
