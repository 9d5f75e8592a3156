"""The domain's errors: the only exceptions registry/ raises at its callers.

The API maps each class to one HTTP status; the CLI prints the message. `fields` carries a
message per offending field so a form or a spreadsheet row can point at the exact cell.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base of every refusal by the registry. `message` is meant for the person acting."""

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(RegistryError):
    """The object does not exist, or the actor may not know that it exists."""


class Conflict(RegistryError):
    """The change clashes with existing data (a duplicate name, a stale version)."""


class NotPermitted(RegistryError):
    """The actor is known but may not do this."""


class InvalidTransition(RegistryError):
    """A state change that the lifecycle does not allow from the current state."""


class ValidationFailed(RegistryError):
    """One or more values are invalid; `fields` says which and why."""

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", fields={field: [message]})

    @classmethod
    def of(cls, what: str, fields: dict[str, list[str]]) -> ValidationFailed:
        """One refusal listing every field's problems, e.g. "the contact was refused (kind: ...)"."""
        summary = "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(fields.items()))
        return cls(f"{what} was refused ({summary})", fields=fields)
