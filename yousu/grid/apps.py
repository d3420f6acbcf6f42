from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridConfig(AppConfig):
    """Grid governance and proactive handling (网格治理 · 未诉先办): grid reports, daily discovery
    reports and their study, joint meetings, stationed and patrol staff, and their figures."""

    name = "yousu.grid"
    label = "grid"
    verbose_name = _("网格治理与未诉先办")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The missing-daily-report check runs with the periodic job; supervision never imports grid.
        from yousu.supervision.jobs import PERIODIC_HOOKS

        from .services import flag_missing_daily_reports

        if flag_missing_daily_reports not in PERIODIC_HOOKS:
            PERIODIC_HOOKS.append(flag_missing_daily_reports)
