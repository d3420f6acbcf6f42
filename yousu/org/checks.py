"""System checks of the org app: `yousu check` says when a city's working calendar lacks a year its
deadlines need (yousu.org.calendar.calendar_notices).

Registered without Django's `database` tag, because `yousu check` runs only untagged checks unless
given `--database`, and an administrator running it must see this. Every command that runs the
checks therefore runs this one, so it asks the database nothing before 1 December (while the package
covers the year), and it never stops a command: a database that cannot be reached or is not migrated
yet (`yousu migrate` runs the checks before it migrates, and is what fixes it) gives no message, and
the query runs in its own savepoint so that a failure does not break a transaction around it.
"""

from __future__ import annotations

import logging

from django.core import checks
from django.db import transaction
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# A year this or next year's deadlines need is not declared: deadlines into it cannot be computed.
UNDECLARED = "org.W001"
# Declared provisionally: shown, not a warning, so a deployment (or the demo) that did the right thing
# before the State Council published the year's arrangement passes `yousu check --fail-level WARNING`.
PROVISIONAL = "org.I001"
CALENDAR_CHECK_IDS = frozenset({UNDECLARED, PROVISIONAL})


@checks.register()
def working_calendar_years(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if app_configs is not None and not any(config.label == "org" for config in app_configs):
        return []
    from .calendar import calendar_notices

    try:
        with transaction.atomic():
            notices = calendar_notices()
    except Exception as exc:  # no database yet, or one not migrated: nothing to say about it
        logger.debug("working calendar check skipped: %s", exc)
        return []
    found = []
    for notice in notices:
        if notice.provisional:
            found.append(checks.Info(notice.message, id=PROVISIONAL))
        else:
            found.append(
                checks.Warning(
                    notice.message,
                    hint=_("管理后台 → 工作日历 → 已录入年份"),
                    id=UNDECLARED,
                )
            )
    return found
