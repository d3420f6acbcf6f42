from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "yousu.web"
    label = "web"
    verbose_name = _("网页")

    def ready(self):
        # Connects the login signal that sets a signed-in session's limits (docs/accounts.md).
        from . import signin  # noqa: F401
