from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yousu.core"
    label = "core"
    verbose_name = _("平台")

    def ready(self):
        from django.core.signals import request_finished

        from .files import discard_uncommitted

        # A file written in a transaction of the request that did not commit is deleted when the
        # request finishes (yousu.core.files).
        request_finished.connect(discard_uncommitted, dispatch_uid="yousu.core.files.discard_uncommitted")
