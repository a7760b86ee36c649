"""Socket.IO packets are written with orjson and read with the standard decoder."""

from __future__ import annotations

import json

import pytest

from meeting_hub.realtime import packet_json


def test_vietnamese_text_travels_as_utf8_and_round_trips() -> None:
    data = {"note": "Đường ngập, đến muộn", "seq": 7, "nested": [{"a": None, "b": 1.5, "c": True}]}
    encoded = packet_json.dumps(data, separators=(",", ":"))
    assert "Đường ngập" in encoded
    assert json.loads(encoded) == data
    assert packet_json.loads(encoded) == data


def test_huge_integers_from_clients_are_read_exactly_or_refused() -> None:
    assert packet_json.loads('{"person_id": 1000000000000000000000000000000}') == {"person_id": 10**30}
    with pytest.raises(ValueError):
        packet_json.loads('{"person_id": ' + "9" * 101 + "}")  # engineio's own limit on huge integers
