"""The stack's ceiling: a bare python-socketio server with the /live protocol's shape and no application logic.

`watch` joins the dashboards' room and acks an empty snapshot; `check_in` takes the next seq and emits one
`events` message per check-in to the dashboards (and to the sender, as the app does to the endpoint's room), with
the same fields as the app's attendance event. No database, no auth, no coalescing: what the same fan-out costs
the stack itself. Usage: python bench/ceiling_server.py PORT threading|gevent never|always
"""

from __future__ import annotations

import sys

MODE = sys.argv[2] if len(sys.argv) > 2 else "threading"
if MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()

import threading  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

import socketio  # noqa: E402

NAMESPACE = "/live"
DASHBOARDS = "dashboards"


def create(mode: str, deflate: str) -> Any:
    """Return the WSGI app of the bare server."""
    sio = socketio.Server(async_mode=mode, cors_allowed_origins=None)
    kinds: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()
    state = {"seq": 0}

    @sio.on("connect", namespace=NAMESPACE)
    def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        kinds[sid] = auth if isinstance(auth, dict) else {}

    @sio.on("disconnect", namespace=NAMESPACE)
    def disconnect(sid: str, *args: Any) -> None:
        kinds.pop(sid, None)

    @sio.on("watch", namespace=NAMESPACE)
    def watch(sid: str, data: Any = None) -> dict[str, Any]:
        if kinds.get(sid, {}).get("kind") == "dashboard":
            sio.enter_room(sid, DASHBOARDS, namespace=NAMESPACE)
        seq = state["seq"]
        briefing_id = data.get("briefing_id") if isinstance(data, dict) else None
        return {
            "ok": True,
            "seq": seq,
            "snapshot": {"briefing_id": briefing_id, "seq": seq, "endpoints": [], "records": []},
        }

    @sio.on("check_in", namespace=NAMESPACE)
    def check_in(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        auth = kinds.get(sid, {})
        # Emitting under the lock keeps seq order on the wire, as the app's per-briefing seq does.
        with lock:
            state["seq"] += 1
            seq = state["seq"]
            event = {
                "seq": seq,
                "type": "attendance",
                "briefing_id": data["briefing_id"],
                "person_id": data["person_id"],
                "endpoint_id": auth.get("endpoint_id"),
                "status": data["status"],
                "note": "",
                "substitute_name": "",
                "recorded_at": datetime.now(UTC).isoformat(),
                "recorded_by": "bench",
                "via": "operator",
            }
            message = {"briefing_id": data["briefing_id"], "events": [event]}
            sio.emit("events", message, to=DASHBOARDS, namespace=NAMESPACE)
            sio.emit("events", message, to=sid, namespace=NAMESPACE)
        return {"ok": True, "seq": seq, "replayed": False}

    app: Any = socketio.WSGIApp(sio)

    def strip_deflate(environ: dict[str, Any], start_response: Any) -> Any:
        if deflate == "never":
            environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"status": "ok"}']
        return app(environ, start_response)

    return strip_deflate


def main() -> None:
    port = int(sys.argv[1])
    deflate = sys.argv[3] if len(sys.argv) > 3 else "never"
    app = create(MODE, deflate)
    if MODE == "gevent":
        from gevent import pywsgi

        pywsgi.WSGIServer(("127.0.0.1", port), app, log=None).serve_forever()
    else:
        from werkzeug.serving import run_simple

        run_simple("127.0.0.1", port, app, threaded=True)


if __name__ == "__main__":
    main()
