"""Limits on QR self check-in guesses: four phone digits are only 10,000 choices, so guesses must be few.

Two counters in the rate limiter's storage (memory, or Redis shared by every process):
- attempts per (briefing, person), whatever the address and however the person id is spelled (`07`, ` 7` and `+7`
  are all person 7): several secretaries share one ward Wi-Fi address, and an attacker has many addresses;
- wrong guesses per (briefing, endpoint): someone walking the roster name by name stops there, and the endpoint's
  operator (who is not limited) checks people in by hand meanwhile.

The person counter is taken before the digits are compared (an atomic increment), so parallel guesses cannot slip
past it. The endpoint counter counts only refusals, so a busy endpoint's real check-ins never trip it; it is checked
before and raised after a refusal, so a burst of parallel guesses may pass it by the size of the burst, which the
person counter still bounds.
"""

from __future__ import annotations

import logging

from flask import current_app
from limits import RateLimitItem, parse

from meeting_hub.extensions import limiter

log = logging.getLogger(__name__)


def _item(setting: str) -> RateLimitItem:
    # MEETING_HUB_SELF_CHECK_IN_PERSON_LIMIT (default 5 per 10 minutes), ..._ENDPOINT_LIMIT (20 per 10 minutes).
    return parse(str(current_app.config[setting]))


def _person_key(briefing_id: int, person_id: int) -> tuple[str, ...]:
    return ("self-check-in-person", str(briefing_id), str(person_id))


def _endpoint_key(briefing_id: int, endpoint_id: int) -> tuple[str, ...]:
    return ("self-check-in-endpoint", str(briefing_id), str(endpoint_id))


def take_attempt(briefing_id: int, endpoint_id: int, person_id: int) -> bool:
    """Count one attempt for the person; tell whether it may go on (False: the person's or the endpoint's limit is
    reached). Refuses while the limiter's storage fails: the operator can still check people in."""
    if not limiter.enabled:  # the test configuration, and a deployment that turns rate limits off
        return True
    try:
        if not limiter.limiter.test(_item("SELF_CHECK_IN_ENDPOINT_LIMIT"), *_endpoint_key(briefing_id, endpoint_id)):
            return False
        return limiter.limiter.hit(_item("SELF_CHECK_IN_PERSON_LIMIT"), *_person_key(briefing_id, person_id))
    except Exception:  # the storage (Redis) is down: fail closed on a 4-digit secret
        log.warning("self check-in limit storage failed; attempt refused", exc_info=True)
        return False


def count_wrong_guess(briefing_id: int, endpoint_id: int) -> None:
    """Count a refused guess (wrong digits, or a person not on this endpoint's roster) against the endpoint."""
    if not limiter.enabled:
        return
    try:
        limiter.limiter.hit(_item("SELF_CHECK_IN_ENDPOINT_LIMIT"), *_endpoint_key(briefing_id, endpoint_id))
    except Exception:
        log.warning("self check-in limit storage failed; wrong guess not counted", exc_info=True)
