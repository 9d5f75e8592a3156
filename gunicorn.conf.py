# gunicorn reads this file from the folder it starts in (`make serve`, the live tests); the
# command line still names the address and the number of workers.

# Requests gunicorn refuses itself (a request line over its limit, a malformed header) are
# answered in the API's error shape too.
worker_class = "api.worker.Worker"
