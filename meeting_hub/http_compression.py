"""Compression of HTTP responses by the app itself, so that `meeting-hub run` (no nginx in front) sends pages, styles
and scripts as light as the proxied deployment does: an operator's first load over a phone link is mostly Bootstrap.

Flask-Compress does the encoding (brotli for browsers, gzip for the rest); this module decides what is compressed.
Socket.IO never reaches these hooks (python-engineio answers /socket.io/ below Flask and compresses its own polling
payloads). Downloads (Content-Disposition: attachment), partial responses (206) and responses marked no-transform
are sent as they are: a byte range of a compressed body is not a byte range of the file.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from meeting_hub.extensions import compress

#: Flask-Compress's settings, unless the configuration sets them. Brotli at 4 and gzip at 1 keep the CPU cost low
#: on the one embedded process: a whole national roll-call's snapshot is 6 MB of JSON (docs/performance.md).
COMPRESS_DEFAULTS = {
    "COMPRESS_REGISTER": False,  # registered through `compress_response` below, which applies the policy first
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 4,
    "COMPRESS_LEVEL": 1,
    "COMPRESS_MIN_SIZE": 500,
    # Streamed responses (exports written row by row) go as they are; static files are read whole below instead.
    "COMPRESS_STREAMS": False,
}

#: Largest file (a static asset, the favicon) read into memory to be compressed whole; larger ones go as they are.
FILE_BUFFER_LIMIT = 1024 * 1024


def init_app(app: Flask) -> None:
    """Compress responses when HTTP_COMPRESSION is on (the default; off behind a proxy that compresses)."""
    for key, value in COMPRESS_DEFAULTS.items():
        app.config.setdefault(key, value)
    if not app.config["HTTP_COMPRESSION"]:
        return
    compress.init_app(app)
    app.after_request(compress_response)


def compress_response(response: Response) -> Response:
    """Compress a response the client accepts compressed, unless it is a download, a byte range or no-transform."""
    if response.status_code == 206 or _is_download(response) or "no-transform" in response.cache_control:
        return response
    if _small_file(response):
        # send_file streams the file, and Flask-Compress would then leave it alone (COMPRESS_STREAMS is off):
        # page assets are small (the largest is ~100 KB), so read them and compress them whole.
        source = response.response
        response.direct_passthrough = False
        response.set_data(response.get_data())
        if hasattr(source, "close"):
            source.close()  # the file send_file opened: reading it whole does not close it
    return compress.after_request(response)


def _small_file(response: Response) -> bool:
    return (
        response.direct_passthrough
        and response.status_code == 200
        and response.mimetype in current_app.config["COMPRESS_MIMETYPES"]
        and response.content_length is not None
        and response.content_length <= FILE_BUFFER_LIMIT
        and "Accept-Encoding" in request.headers
    )


def _is_download(response: Response) -> bool:
    return response.headers.get("Content-Disposition", "").lower().startswith("attachment")
