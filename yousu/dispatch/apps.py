from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "yousu.dispatch"
    label = "dispatch"
    verbose_name = _("派单与办理")

    def ready(self) -> None:
        from yousu.appeals.selectors import APPEAL_REACH_HOOKS
        from yousu.appeals.services import RECEIVED_HOOKS

        from .auto import auto_dispatch_received
        from .selectors import appeals_reached_through_dispatch

        if auto_dispatch_received not in RECEIVED_HOOKS:
            RECEIVED_HOOKS.append(auto_dispatch_received)
        if appeals_reached_through_dispatch not in APPEAL_REACH_HOOKS:
            APPEAL_REACH_HOOKS.append(appeals_reached_through_dispatch)
