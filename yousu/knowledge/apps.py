from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    """The knowledge base (知识库): entries owned and reviewed by units, versioned on every change, and
    ranked retrieval over their Chinese text for the operators at intake."""

    name = "yousu.knowledge"
    label = "knowledge"
    verbose_name = _("知识库")
    default_auto_field = "django.db.models.BigAutoField"
