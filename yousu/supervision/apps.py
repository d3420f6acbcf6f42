from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "yousu.supervision"
    label = "supervision"
    verbose_name = _("督办")

    def ready(self) -> None:
        # The summons notice: dispatch calls its whistle hooks when a street or community blows; the
        # follow-up of the report-in hooks in here so that dispatch never imports supervision.
        from yousu.dispatch.whistles import WHISTLE_BLOWN_HOOKS

        from .report_ins import notify_summoned

        if notify_summoned not in WHISTLE_BLOWN_HOOKS:
            WHISTLE_BLOWN_HOOKS.append(notify_summoned)
