from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "yousu.org"
    label = "org"
    verbose_name = _("组织机构")

    def ready(self):
        # Registers the working calendar's system check (`yousu check`).
        from . import checks  # noqa: F401
