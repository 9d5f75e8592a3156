# gunicorn reads this file from the folder it starts in (`make serve`, the live tests, the
# systemd unit in deploy/); a command line option still wins over it.
import os

from api.database import after_fork
from api.logs import config_dict
from api.settings import default_workers

# Requests gunicorn refuses itself (a request line over its limit, a malformed header) are
# answered in the API's error shape too.
worker_class = "api.worker.Worker"

# The longest request line the API's description allows (a search with every filter at its
# longest, in four-byte characters, percent-encoded) is about 6,000 bytes: past gunicorn's
# default of 4,094, within its highest limit.
limit_request_line = 8190

# Loopback unless told: the reverse proxy in deploy/ is what faces the network.
bind = os.environ.get("REGISTRY_BIND", "127.0.0.1:8000")
# WEB_CONCURRENCY, else two sync workers per core and one more (api.settings.default_workers;
# `registry doctor` counts the same way).
workers = default_workers()
# The app is built once in the master and the workers fork from it: a broken setting stops the
# start instead of every worker, and the workers share the master's memory. Nothing connects
# before the fork (engines connect on first use, post_fork drops anything inherited).
preload_app = True
# A request longer than this is killed (the database's lock timeout, 20 s, comes first); a
# restart lets running requests finish for this long.
timeout = 30
graceful_timeout = 20
keepalive = 5
# Workers are replaced now and then, so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200

# X-Forwarded-* headers are believed only from the proxy in deploy/, on the same machine, and
# only as far as REGISTRY_PROXY_HOPS says (api/hosts.py); gunicorn itself trusts no other address.
forwarded_allow_ips = os.environ.get("REGISTRY_PROXY_ADDRESSES", "127.0.0.1,::1")

# JSON lines on stderr (api/logs.py); no access log, whose lines would hold query strings.
logconfig_dict = config_dict(os.environ.get("REGISTRY_LOG_LEVEL", "INFO"))
accesslog = None


def post_fork(server, worker):
    """Each worker drops the database connections it inherited (there should be none), so no
    two processes ever share a socket."""
    if worker.app.callable is not None:
        after_fork(worker.app.callable)
