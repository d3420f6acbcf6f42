from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "yousu.reports"
    verbose_name = _("统计报表")

    def ready(self) -> None:
        # The dashboard's counters are fed by supervision's periodic job (Celery beat or the
        # in-process timer) through its hook list; supervision must not import the apps after it.
        from yousu.intelligence.hot_issues import hot_issues_periodic
        from yousu.supervision.jobs import PERIODIC_HOOKS

        from .tallies import tallies_periodic

        if tallies_periodic not in PERIODIC_HOOKS:
            PERIODIC_HOOKS.append(tallies_periodic)
        # The dashboard's hot issues come from the same job; intelligence stands before supervision
        # in the flow, so the report stage, which comes after both, registers it.
        if hot_issues_periodic not in PERIODIC_HOOKS:
            PERIODIC_HOOKS.append(hot_issues_periodic)
