"""The framework, subclassed once: the project's Api leaves error rendering to api.errors,
so flask-smorest's own errors (422 from marshmallow, 404 from pagination) take the registry's
one error shape and resources never see two formats."""

from __future__ import annotations

import flask_smorest


class Api(flask_smorest.Api):
    def _register_error_handlers(self) -> None:
        """api.errors registers the one HTTPException handler; smorest's would replace it."""


class Blueprint(flask_smorest.Blueprint):
    """The base for every resource module."""
