from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "yousu.evaluation"
    label = "evaluation"
    verbose_name = _("考评")

    def ready(self) -> None:
        # Supervision's periodic job runs our work through its hook list: supervision stands below
        # evaluation and never imports it (DESIGN.md §4).
        from yousu.supervision.jobs import PERIODIC_HOOKS

        from .publication import assessment_periodic

        if assessment_periodic not in PERIODIC_HOOKS:
            PERIODIC_HOOKS.append(assessment_periodic)
