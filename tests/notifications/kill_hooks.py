"""Imported by the worker processes of the kill tests: with MEETING_HUB_TEST_KILL_AT=after_send, the worker kills
itself with SIGKILL right after the provider took a message and before the row is marked sent (nothing of this is
in the product's code)."""

from __future__ import annotations

import os
import signal

from meeting_hub.notifications import sending

if os.environ.get("MEETING_HUB_TEST_KILL_AT") == "after_send":

    def _die(*_args: object) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    sending.record_sent = _die
