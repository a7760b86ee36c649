"""Whether a websocket may negotiate permessage-deflate: a small WSGI middleware in front of Socket.IO.

Browsers offer permessage-deflate on every websocket and simple-websocket accepts it whenever offered; the server
then compresses every frame for every client separately, so a broadcast to D dashboards costs D compressions. Measured
with the bench harness (docs/performance.md), that cuts fan-out by about a factor of three. The policy, set with
LIVE_WEBSOCKET_DEFLATE:

- "never" (default): drop the offer; frames go out uncompressed (the events are small JSON batches anyway).
- "on-request": keep the offer only when the Socket.IO URL asks for it with `deflate=1` (an operator console on a
  slow, metered link may; dashboards on the organizers' network do not).
- "always": keep whatever the client offers.

Behind nginx the same can be done with `proxy_set_header Sec-WebSocket-Extensions "";` (docs/deployment.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

POLICIES = ("never", "on-request", "always")
_OFFER = "HTTP_SEC_WEBSOCKET_EXTENSIONS"


class WebSocketDeflatePolicy:
    """Strip the client's Sec-WebSocket-Extensions offer unless the policy allows compression for this request."""

    def __init__(self, wsgi_app: WSGIApplication, policy: str) -> None:
        if policy not in POLICIES:
            raise ValueError(f"LIVE_WEBSOCKET_DEFLATE must be one of {', '.join(POLICIES)}, not {policy!r}")
        self.wsgi_app = wsgi_app
        self.policy = policy

    def allows(self, environ: WSGIEnvironment) -> bool:
        """Tell whether this handshake may keep its compression offer."""
        if self.policy == "always":
            return True
        if self.policy == "on-request":
            return parse_qs(environ.get("QUERY_STRING", "")).get("deflate") == ["1"]
        return False

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if _OFFER in environ and not self.allows(environ):
            del environ[_OFFER]
        return self.wsgi_app(environ, start_response)
