"""The jobs the app knows, declared in code next to the work they do: `@job(...)` and `@daily_job(...)`.

A job is a plain function taking JSON-friendly keyword arguments (ids, ISO dates). It runs in an app context with its
own database session; the worker commits what it wrote together with the mark that the run is done, so a job that
only writes to the database runs exactly once. A job with an effect outside the database (a file, a message) must
make that effect idempotent: after a crash the run starts again from the top.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

JobFunction = Callable[..., Any]
F = TypeVar("F", bound=JobFunction)


@dataclass(frozen=True)
class JobDefinition:
    """A registered job: its name, its function and, for a daily job, the setting naming its local time."""

    name: str
    function: JobFunction
    #: For a daily job: the config key whose "HH:MM" (network time zone) says when it runs each day.
    daily_at_setting: str | None = None


_definitions: dict[str, JobDefinition] = {}


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
