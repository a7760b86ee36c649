"""The server's concurrency model: OS threads (default) or gevent, chosen by MEETING_HUB_ASYNC_MODE.

gevent must patch the standard library (socket, ssl, threading, select, time) before anything else imports it, or
some code keeps the blocking originals and one slow call stalls every connection of the process. The package's
`__init__` calls `patch_if_configured()` as its first statement, so every entry point that imports `meeting_hub`
(the `meeting-hub` command, `wsgi.py` under gunicorn, `python -m`) is patched in time. gunicorn's `-k gevent`
worker patches on its own before it loads the app; patching again is skipped.
"""

from __future__ import annotations

import os
import sys

ENV_VARIABLE = "MEETING_HUB_ASYNC_MODE"
MODES = ("threading", "gevent")


def configured_mode() -> str:
    """Return the async mode the environment asks for (threading when unset)."""
    return os.environ.get(ENV_VARIABLE, "").strip() or "threading"


def gevent_patched() -> bool:
    """Tell whether gevent has monkey-patched this process."""
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey is not None and monkey.is_module_patched("socket"))


def patch_if_configured() -> None:
    """Monkey-patch the standard library with gevent when MEETING_HUB_ASYNC_MODE=gevent."""
    if configured_mode() != "gevent" or gevent_patched():
        return
    from gevent import monkey

    monkey.patch_all()


def check(mode: str) -> None:
    """Refuse a configured mode the process cannot honour (gevent unpatched, or threading inside a patched process)."""
    if mode not in MODES:
        raise RuntimeError(f"ASYNC_MODE must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "gevent" and not gevent_patched():
        raise RuntimeError(
            "ASYNC_MODE=gevent needs gevent's monkey-patching before the app is imported: set "
            f"{ENV_VARIABLE}=gevent in the environment (or serve with gunicorn -k gevent)"
        )
    if mode == "threading" and gevent_patched():
        raise RuntimeError(f"this process is patched by gevent (gunicorn -k gevent?): set {ENV_VARIABLE}=gevent")
