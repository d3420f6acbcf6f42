"""How a page carries out a domain action from a POST: the domain's refusal, word for word, or the
page's own confirmation becomes the message shown after the redirect."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages

from yousu.core.errors import DomainError


def attempt(request, action: Callable[[], object], done: str | Callable[[object], str]) -> object | None:
    """Run `action`; on success show `done` (or `done(result)`) and return the result, on a refusal
    show it and return None. An action may also end in a refusal that is itself recorded (a return
    request refused by rule is kept, not raised): a DomainError returned is shown as a refusal too."""
    try:
        outcome = action()
    except DomainError as error:
        messages.error(request, error.message)
        return None
    if isinstance(outcome, DomainError):
        messages.error(request, outcome.message)
        return None
    messages.success(request, done(outcome) if callable(done) else done)
    return outcome
