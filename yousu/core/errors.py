"""Domain errors: raised by services when a rule of the platform refuses an action.

Each error names the field (or rule) it is about, so an API can answer 400 with that name and a
command can print one line; nothing half-done is left behind because services run in transactions.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the platform's rules refuse. `field` names the offending input, if any."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class NotFound(DomainError):
    code = "not_found"


class PermissionRefused(DomainError):
    code = "permission_refused"


class ResponsibilityNotFound(DomainError):
    """No rule in the catalog names a responsible unit for this item and place."""

    code = "no_responsible_unit"


class PushDownRefused(DomainError):
    """An item would be given to a community although it is not on the community access list."""

    code = "not_on_access_list"
