"""Ids a request names in its body rather than in its URL.

One that is not found (or that the caller may not see) makes the request unprocessable: 422,
naming the field. 404 would say that the URL itself was not found, and a client that has just
created the resource it posts to would be told that resource is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from registry.errors import NotFound, ValidationFailed

Found = TypeVar("Found")


def referenced(field: str, find: Callable[[], Found]) -> Found:
    """What `find` finds for the body's `field`; ValidationFailed on that field if nothing."""
    try:
        return find()
    except NotFound as missing:
        raise ValidationFailed.on(field, missing.template, **missing.params) from None


@contextmanager
def named_as_sent(**names: str) -> Iterator[None]:
    """A refusal of a field the registry names otherwise (`scope`) names the body's own (`scope_id`):
    the field as the caller wrote it."""
    try:
        yield
    except ValidationFailed as refused:
        if refused.field not in names:
            raise
        raise ValidationFailed.on(names[refused.field], refused.template, **refused.params) from None
