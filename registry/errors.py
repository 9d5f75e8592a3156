"""The domain's errors: the only exceptions registry/ raises at its callers.

The API maps each class to one HTTP status; the CLI prints the message. `fields` carries a
message per offending field so a form or a spreadsheet row can point at the exact cell.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a message id for the catalogs (api/translations): registry/ speaks English, and
    api/errors.py says the message in the reader's language."""
    return message


class Said(str):
    """Words for a person made where the refusal is made: a message id (N_) and its parameters,
    which read as their English wherever they are used as text, and which the skin says in the
    reader's language (api.i18n.say). A parameter may itself be Said ("KH-0203 (district of
    Battambang)"), and is then said in the same language."""

    template: str
    params: dict[str, object]

    def __new__(cls, message: str, **params: object) -> Said:
        said = super().__new__(cls, message % params if params else message)
        said.template, said.params = message, params
        return said


class Named(str):
    """A name from the data in a message ("Battambang"), with the names it has in other languages
    ({"km": "បាត់ដំបង"}): it reads as itself, and the skin says the reader's where there is one."""

    names: dict[str, str]

    def __new__(cls, name: str, names: dict[str, str] | None = None) -> Named:
        named = super().__new__(cls, name)
        named.names = dict(names or {})
        return named


def joined(parts: list[str], message: str) -> str:
    """Parts said one after the other through `message` ("%(one)s or %(other)s"), so that the
    word joining them is said in the reader's language too."""
    whole = parts[0]
    for part in parts[1:]:
        whole = Said(message, one=whole, other=part)
    return whole


REFUSED_FIELDS = N_("%(what)s was refused (%(reasons)s)")


class RegistryError(Exception):
    """Base of every refusal by the registry. `message` is meant for the person acting, in
    English; a refusal raised with a message id (N_) and its `params` keeps both, so that the
    API can say it in the reader's language. What a person typed (a name) goes in `params`,
    never into the id."""

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None,
                 params: dict[str, object] | None = None) -> None:
        self.template, self.params = message, dict(params or {})
        self.message = message % self.params if self.params else message
        super().__init__(self.message)
        self.fields = fields or {}
        self.field: str | None = None  # set by ValidationFailed.on

    @property
    def said(self) -> Said:
        """The refusal's message as Said, to be put in another refusal's fields."""
        return Said(self.template, **self.params)


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
    def on(cls, field: str, message: str, **params: object) -> ValidationFailed:
        text = message % params if params else message
        refused = cls(f"{field}: {text}", fields={field: [text]})
        refused.template, refused.params, refused.field = message, dict(params), field
        return refused

    @classmethod
    def of(cls, what: str, fields: dict[str, list[str]]) -> ValidationFailed:
        """One refusal listing every field's problems, e.g. "the contact was refused (kind: ...)";
        `what` may be a message id, the fields' messages Said."""
        summary = "; ".join(f"{k}: {message}" for k, messages in sorted(fields.items()) for message in messages)
        return cls(REFUSED_FIELDS, fields=fields, params={"what": what if isinstance(what, Said) else Said(what),
                                                                                 "reasons": summary})
