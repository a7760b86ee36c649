"""The benchmark's verifier counts per person: an acked check-in whose record holds another seq is lost; an event
beyond one per remembered operation is a duplicate, whatever the totals say."""

from __future__ import annotations

from collections import Counter

from bench.live import Tally


def test_lost_and_duplicated_are_counted_per_person() -> None:
    tally = Tally(
        events=Counter({1: 1, 2: 2, 3: 1, 4: 1}),
        records={1: 10, 2: 12, 3: 13},
        operations=Counter({1: 1, 2: 1, 3: 1, 4: 1}),
        events_without_operation=1,
    )
    # Person 2 got two events for one operation; person 4's event has no record; person 3 was acked an older seq.
    assert tally.duplicated() == {2: 1}
    assert tally.lost({1: 10, 3: 11, 4: 14}) == [3, 4]


def test_two_operations_for_one_person_are_not_a_duplicate() -> None:
    tally = Tally(Counter({5: 2}), {5: 21}, Counter({5: 2}), 0)
    assert tally.duplicated() == {}
    assert tally.lost({5: 21}) == []
