"""The API's documentation page: Swagger UI, served from the flask-swagger-ui package's own
copy of its assets, so the page works offline and tells no CDN who reads the docs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask_swagger_ui
from flask import Blueprint, Flask, Response, send_from_directory

ASSETS = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
ASSETS_URL = "/api/v1/docs/assets/"

blp = Blueprint("swagger_ui_assets", __name__, static_folder=str(ASSETS), static_url_path=ASSETS_URL.rstrip("/"))


def settings() -> dict[str, Any]:
    """flask-smorest's Swagger UI settings; they must be set before Api(app)."""
    return {
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": ASSETS_URL,
        # No validator badge: it would send the spec to a third-party validator.
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None, "deepLinking": True},
    }


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return send_from_directory(ASSETS, "favicon-32x32.png", mimetype="image/png")
