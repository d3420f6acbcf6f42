from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallbacksConfig(AppConfig):
    name = "yousu.callbacks"
    label = "callbacks"
    verbose_name = _("回访")

    def ready(self) -> None:
        # Supervision's periodic job runs our work through its hook list: supervision stands before
        # callbacks in the flow and must not import us.
        from yousu.supervision.jobs import PERIODIC_HOOKS

        from .services import callbacks_periodic

        if callbacks_periodic not in PERIODIC_HOOKS:
            PERIODIC_HOOKS.append(callbacks_periodic)
