from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    """The knowledge base (知识库): entries owned and reviewed by units, versioned on every change, and
    ranked retrieval over their Chinese text for the operators at intake."""

    name = "yousu.knowledge"
    label = "knowledge"
    verbose_name = _("知识库")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Learning from replies: dispatch calls its completion hooks when a reply is approved; the
        # knowledge base hooks in here so that dispatch never imports it.
        from yousu.dispatch.services import ORDER_COMPLETED_HOOKS

        from .proposals import proposal_from_approved_reply

        if proposal_from_approved_reply not in ORDER_COMPLETED_HOOKS:
            ORDER_COMPLETED_HOOKS.append(proposal_from_approved_reply)
