"""The jobs the app knows, declared in code next to the work they do: `@job(...)` and `@daily_job(...)`.

A job is a plain function taking JSON-friendly keyword arguments (ids, ISO dates). It runs in an app context with its
own database session; the worker commits what it wrote together with the mark that the run is done, so a job that
only writes to the database runs exactly once. A job with an effect outside the database (a file, a message) must
make that effect idempotent: after a crash the run starts again from the top.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

JobFunction = Callable[..., Any]
F = TypeVar("F", bound=JobFunction)
#: A minute chore: a cheap look at the database, given the time, that enqueues keyed runs for what is due.
MinuteChore = Callable[[datetime], Any]
C = TypeVar("C", bound=MinuteChore)


@dataclass(frozen=True)
class JobDefinition:
    """A registered job: its name, its function and, for a daily job, the setting naming its local time."""

    name: str
    function: JobFunction
    #: For a daily job: the config key whose "HH:MM" (network time zone) says when it runs each day.
    daily_at_setting: str | None = None


_definitions: dict[str, JobDefinition] = {}
_minute_chores: dict[str, MinuteChore] = {}


def _register(definition: JobDefinition) -> None:
    existing = _definitions.get(definition.name)
    if existing is not None and existing.function is not definition.function:
        raise ValueError(f"two jobs are named {definition.name!r}")
    _definitions[definition.name] = definition


def job(name: str) -> Callable[[F], F]:
    """Declare a job that code enqueues with `enqueue_after_commit(name, ...)`."""

    def decorator(function: F) -> F:
        _register(JobDefinition(name, function))
        return function

    return decorator


def daily_job(name: str, *, at_setting: str) -> Callable[[F], F]:
    """Declare a job run once a day, at the local time held by the config key `at_setting` (or later that day)."""

    def decorator(function: F) -> F:
        _register(JobDefinition(name, function, daily_at_setting=at_setting))
        return function

    return decorator


def get(name: str) -> JobDefinition | None:
    """Return the job registered under this name, if any."""
    return _definitions.get(name)


def daily_jobs() -> list[JobDefinition]:
    """Return the daily jobs, by name."""
    return sorted((d for d in _definitions.values() if d.daily_at_setting), key=lambda d: d.name)


def every_minute(name: str) -> Callable[[C], C]:
    """Declare a chore the worker's minute tick runs (e.g. finding the briefing reminders that are due).

    A chore must be cheap (a few indexed queries) and safe to run twice or in two workers at once: it should only
    add keyed runs (`enqueue_after_commit(..., key=...)`), whose jobs do the work.
    """

    def decorator(function: C) -> C:
        existing = _minute_chores.get(name)
        if existing is not None and existing is not function:
            raise ValueError(f"two minute chores are named {name!r}")
        _minute_chores[name] = function
        return function

    return decorator


def minute_chores() -> list[tuple[str, MinuteChore]]:
    """Return the minute chores, by name."""
    return sorted(_minute_chores.items())
