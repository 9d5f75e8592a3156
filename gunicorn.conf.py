# gunicorn reads this file from the folder it starts in (`make serve`, the live tests); the
# command line still names the address and the number of workers.

# Requests gunicorn refuses itself (a request line over its limit, a malformed header) are
# answered in the API's error shape too.
worker_class = "api.worker.Worker"

# The longest request line the API's description allows (a search with every filter at its
# longest, in four-byte characters, percent-encoded) is about 6,000 bytes: past gunicorn's
# default of 4,094, within its highest limit.
limit_request_line = 8190
