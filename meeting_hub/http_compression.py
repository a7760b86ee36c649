"""Compression of HTTP responses by the app itself, so that `meeting-hub run` (no nginx in front) sends pages, styles
and scripts as light as a proxied deployment: an operator's first load over a phone link was mostly Bootstrap.

Page assets (static files, the favicon) are compressed once per file version at the highest level and kept in
memory; everything else (pages, JSON) is compressed per response by Flask-Compress at a low level, cheap for the
one embedded process even on a whole national roll-call's 6 MB snapshot (docs/performance.md). Brotli for
browsers, gzip for the rest. Socket.IO never reaches these hooks (python-engineio answers /socket.io/ below Flask).
Downloads (Content-Disposition: attachment), partial responses (206) and responses marked no-transform are sent as
they are: a byte range of a compressed body is not a byte range of the file.
"""

from __future__ import annotations

import gzip
import threading

import brotli
from flask import Flask, Response, current_app, request

from meeting_hub.extensions import compress

#: Flask-Compress's settings for pages and JSON, unless the configuration sets them. Brotli 1 compresses the 6 MB
#: snapshot in ~18 ms (to 416 KB; level 4: ~75 ms for 377 KB), like the gzip level 1 nginx uses for it.
COMPRESS_DEFAULTS = {
    "COMPRESS_REGISTER": False,  # registered through `compress_response` below, which applies the policy first
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 1,
    "COMPRESS_LEVEL": 1,
    "COMPRESS_MIN_SIZE": 500,
    # Streamed responses (exports written row by row) go as they are.
    "COMPRESS_STREAMS": False,
}
#: Largest file read into memory to be compressed whole; larger ones go as they are.
FILE_BUFFER_LIMIT = 1024 * 1024
#: Compressed files kept (a few dozen page assets, each version once); the oldest go first beyond this.
FILE_CACHE_SIZE = 128

_file_cache: dict[tuple[str, str, str], bytes] = {}
_file_cache_lock = threading.Lock()


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
        return _compress_file(response)
    return compress.after_request(response)


def _compress_file(response: Response) -> Response:
    """Send a page asset compressed at the highest level, compressing each version of it once per process."""
    response.vary.add("Accept-Encoding")
    algorithm = _preferred_encoding(request.headers.get("Accept-Encoding", ""))
    etag, weak = response.get_etag()
    if algorithm is None or etag is None:
        return response
    key = (request.path, etag, algorithm)
    with _file_cache_lock:
        body = _file_cache.get(key)
    source = response.response
    response.direct_passthrough = False
    if body is None:
        data = response.get_data()
        body = brotli.compress(data, quality=11) if algorithm == "br" else gzip.compress(data, 9, mtime=0)
        with _file_cache_lock:
            if len(_file_cache) >= FILE_CACHE_SIZE:
                _file_cache.pop(next(iter(_file_cache)))
            _file_cache[key] = body
    if hasattr(source, "close"):
        source.close()  # the file send_file opened: replacing the body does not close it
    response.set_data(body)
    response.headers["Content-Encoding"] = algorithm
    # The encoding is part of the validator: a cached compressed copy is never taken for the plain one.
    response.set_etag(f"{etag}:{algorithm}", weak=bool(weak))
    response.make_conditional(request)
    return response


def _preferred_encoding(accept_encoding: str) -> str | None:
    """Return "br" or "gzip" when the client accepts it (brotli first), else None."""
    accepted = set()
    for part in accept_encoding.lower().split(","):
        name, _, parameters = part.partition(";")
        quality = parameters.strip()
        if quality.startswith("q="):
            try:
                if float(quality[2:]) <= 0:
                    continue
            except ValueError:
                continue
        accepted.add(name.strip())
    return next((name for name in ("br", "gzip") if name in accepted), None)


def _small_file(response: Response) -> bool:
    # send_file streams the file, and Flask-Compress leaves streams alone: small page assets are read whole instead.
    return (
        response.direct_passthrough
        and response.status_code == 200
        and response.mimetype in current_app.config["COMPRESS_MIMETYPES"]
        and response.content_length is not None
        and response.content_length <= FILE_BUFFER_LIMIT
    )


def _is_download(response: Response) -> bool:
    return response.headers.get("Content-Disposition", "").lower().startswith("attachment")
