"""The gunicorn worker the registry runs under (gunicorn.conf.py names it).

gunicorn answers a request it cannot parse itself, before the application sees it: a request
line past its limit (414), a malformed or oversized header (400, 431). This worker gives those
answers in the API's one error shape, as JSON, instead of gunicorn's HTML page.
"""

from __future__ import annotations

import json
import socket

from gunicorn import util
from gunicorn.workers.sync import SyncWorker

from api.errors import error_code


def write_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's util.write_error, in the API's error shape."""
    body = json.dumps({"status": status_int, "error": error_code(status_int), "message": mesg or reason}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"X-Content-Type-Options: nosniff\r\nContent-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + body)


class Worker(SyncWorker):
    def init_process(self) -> None:
        # gunicorn has no setting for its own error pages; every one goes through
        # util.write_error, so the worker process replaces it before serving anything.
        util.write_error = write_error
        super().init_process()
