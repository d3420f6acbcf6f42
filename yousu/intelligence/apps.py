from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntelligenceConfig(AppConfig):
    name = "yousu.intelligence"
    verbose_name = _("智能辅助")

    def ready(self):
        from .places import connect_signals

        connect_signals()
