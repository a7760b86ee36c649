"""The JSON codec of Socket.IO packets: orjson to write, several times faster than the standard library's.

Every coalesced `events` message and every watch snapshot (6 MB at a whole national roll-call) is encoded here;
measured with bench/snapshot.py, the standard json took 60-78 ms for that snapshot, orjson about 6 ms. orjson writes
UTF-8 as is, so Vietnamese text also travels without \\u escapes. Reading stays with engineio's standard decoder:
client messages are small, and orjson would read an integer beyond 64 bits as a float instead of refusing it.
"""

from __future__ import annotations

from typing import Any

import orjson
from engineio import json as standard_json

from meeting_hub import json_input


def dumps(obj: Any, **_options: Any) -> str:
    """Encode a packet's data (the compact separators python-socketio asks for are orjson's only form)."""
    return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()


def loads(text: str | bytes, **options: Any) -> Any:
    """Decode a packet's data: engineio's reading (which refuses huge integers), where a nesting too deep is
    invalid JSON, not a RecursionError."""
    return json_input.loads(text, parse=standard_json.loads, **options)
