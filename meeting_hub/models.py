"""Every model of the app, imported in one place so the metadata (Alembic, create_all) sees all tables."""

from meeting_hub.accounts.models import ApiToken, AuditEvent, SignInSession, User
from meeting_hub.attendance.models import AttendanceRecord, EndpointLink
from meeting_hub.bulletins.models import Bulletin, BulletinLink, BulletinOpen, BulletinReceipt
from meeting_hub.event_log.models import BriefingEvent, BriefingSequence, ClientOperation
from meeting_hub.follow_up.models import Issue, IssueCategory, IssueEvent, Notification
from meeting_hub.jobs.models import JobRun
from meeting_hub.network.models import Agency, Cell, Endpoint, Person
from meeting_hub.notifications.announcements import BriefingAnnouncement
from meeting_hub.notifications.models import OutboundMessage
from meeting_hub.polls.models import Poll, PollBallot, PollEndpointReport, PollParticipant, PollTally
from meeting_hub.reports.models import MaterialReceipt, MinutesVersion
from meeting_hub.scheduling.models import (
    AgendaItem,
    Briefing,
    BriefingReopening,
    BriefingSeries,
    Holiday,
    HolidaySeedYear,
    Material,
)

__all__ = [
    "Poll",
    "PollBallot",
    "PollEndpointReport",
    "PollParticipant",
    "PollTally",
    "AttendanceRecord",
    "BriefingAnnouncement",
    "BriefingEvent",
    "BriefingSequence",
    "ClientOperation",
    "EndpointLink",
    "AgendaItem",
    "Agency",
    "ApiToken",
    "AuditEvent",
    "Briefing",
    "Bulletin",
    "BulletinLink",
    "BulletinOpen",
    "BulletinReceipt",
    "BriefingReopening",
    "BriefingSeries",
    "Cell",
    "Endpoint",
    "Holiday",
    "HolidaySeedYear",
    "Issue",
    "IssueCategory",
    "IssueEvent",
    "JobRun",
    "Material",
    "MaterialReceipt",
    "MinutesVersion",
    "Notification",
    "OutboundMessage",
    "Person",
    "SignInSession",
    "User",
]
