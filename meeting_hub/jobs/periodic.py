"""The daily jobs, declared here and run by whichever worker runs the scheduler (each is safe to run twice).

Each daily job gets one run per local day, keyed "<name>@<yyyy-mm-dd>", added at its set time or at the first tick
after it (a worker started at 09:00 still sends the 07:00 overdue notices that day).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from meeting_hub.accounts import services as accounts
from meeting_hub.database import utcnow
from meeting_hub.follow_up import notifications
from meeting_hub.jobs import runs
from meeting_hub.jobs.registry import daily_job
from meeting_hub.scheduling import services as scheduling

logger = logging.getLogger(__name__)


@daily_job("follow_up.overdue_notices", at_setting="JOBS_OVERDUE_NOTICES_AT")
def overdue_notices() -> None:
    """Notify agencies and leaders of issues past their due date (one notice per user, issue and due date)."""
    created = notifications.notify_overdue()
    logger.info("overdue notices: %s new", created)


@daily_job("scheduling.extend_series", at_setting="JOBS_NIGHTLY_AT")
def extend_series() -> None:
    """Generate the next occurrences of open-ended series up to their horizon (nothing when they are there)."""
    created = scheduling.extend_all_series()
    logger.info("open-ended series: %s new briefings", created)


@daily_job("jobs.purge_finished", at_setting="JOBS_NIGHTLY_AT")
def purge_finished() -> None:
    """Delete the ledger's runs done more than JOBS_KEEP_DAYS ago (failed runs stay)."""
    days = int(current_app.config["JOBS_KEEP_DAYS"])
    deleted = runs.purge_finished(utcnow() - timedelta(days=days))
    logger.info("job ledger: %s finished runs purged", deleted)


@daily_job("accounts.purge_sign_ins", at_setting="JOBS_NIGHTLY_AT")
def purge_sign_ins() -> None:
    """Delete the browser sign-ins ended more than JOBS_KEEP_DAYS ago, and those older than the remember-me cookie."""
    now = utcnow()
    remembered = current_app.config.get("REMEMBER_COOKIE_DURATION") or timedelta(days=365)
    deleted = accounts.purge_sign_ins(
        ended_before=now - timedelta(days=int(current_app.config["JOBS_KEEP_DAYS"])),
        started_before=now - remembered - timedelta(days=1),
    )
    logger.info("sign-ins: %s ended or expired purged", deleted)
