"""gunicorn settings for Meeting Hub: one gevent worker per process (Socket.IO keeps a client's session in one
process); scale with more processes behind nginx (sticky by ip_hash) and the Redis message queue.

    MEETING_HUB_ASYNC_MODE=gevent gunicorn -c python:meeting_hub.gunicorn_config 'meeting_hub:create_app()'

It ships inside the package, so an install from the wheel has it; a checkout can also use deploy/gunicorn.conf.py.

Never install gevent-websocket next to this: engineio would pick it and every websocket would fail with "The
gevent-websocket server is not configured appropriately". Never add `threads`: they do not mix with gevent workers.
"""

import os

bind = os.environ.get("MEETING_HUB_BIND", "127.0.0.1:8000")
worker_class = "gevent"
workers = 1
# Each open websocket is one greenlet; a national briefing holds about 1,300 sockets per process at most.
worker_connections = int(os.environ.get("MEETING_HUB_WORKER_CONNECTIONS", "4000"))
# Websockets stay open for the whole briefing: the timeout is the worker's heartbeat, not a request's.
timeout = 60
graceful_timeout = 20
keepalive = 5
# Off: the app writes one access line per request itself, with the request id and the user (docs/deployment.md,
# "Logs and metrics"). Set MEETING_HUB_ACCESS_LOG=- only to debug gunicorn itself.
accesslog = os.environ.get("MEETING_HUB_ACCESS_LOG") or None
# gunicorn's own messages (workers starting and stopping), in its text format; the app's lines go to stderr as
# MEETING_HUB_LOG_FORMAT says.
errorlog = "-"
loglevel = os.environ.get("MEETING_HUB_LOG_LEVEL", "info")
# The app is loaded in the worker, after gevent has patched it; never with --preload (the patch would come too late).
preload_app = False
