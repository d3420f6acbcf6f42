"""Choice sets of supervision."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SupervisionStatus(models.TextChoices):
    OPEN = "open", _("待反馈")
    ANSWERED = "answered", _("已反馈")
    CLOSED = "closed", _("已销号")
