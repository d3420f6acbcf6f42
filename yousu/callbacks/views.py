"""The citizen's callback page (/callback/<token>/): three questions, answered once. It shows the
appeal's title and the unit's reply, and nothing else about anyone."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from yousu.core.errors import DomainError

from .choices import CallbackStatus, Satisfaction
from .selectors import callback_for_token
from .services import callback_by_token


class CallbackAnswerForm(forms.Form):
    solved = forms.TypedChoiceField(
        label=_("您反映的问题解决了吗？"),
        choices=[("yes", _("已解决")), ("no", _("未解决"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label=_("您对办理结果满意吗？"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("您的意见（选填）"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )


@never_cache
def answer(request, token: str):
    callback = callback_for_token(token)
    if callback is None:
        raise Http404(_("回访链接无效"))
    form = CallbackAnswerForm(request.POST or None)
    answered = callback.status == CallbackStatus.DONE
    closed = callback.status != CallbackStatus.PENDING or (
        callback.token_expires_at is not None and callback.token_expires_at <= timezone.now()
    )
    if request.method == "POST" and not closed and form.is_valid():
        try:
            callback = callback_by_token(token=token, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return render(request, "callbacks/answer.html", {"callback": callback, "thanks": True})
    status = 200 if not (request.method == "POST" and closed) else 409
    context = {"callback": callback, "form": form, "answered": answered, "closed": closed}
    return render(request, "callbacks/answer.html", context, status=status)
