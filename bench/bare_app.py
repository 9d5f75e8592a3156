"""The ceiling for the list benchmark: a Flask app that answers the list's URL with the bytes the
registry answered, read once from the file BENCH_BODY. What the registry adds above this is
its own work (query, visibility, serialisation), with gunicorn, Flask and the network equal.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response

app = Flask(__name__)
BODY = Path(os.environ["BENCH_BODY"]).read_bytes()


@app.get("/api/v1/organisations")
def organisations() -> Response:
    return Response(BODY, mimetype="application/json")
