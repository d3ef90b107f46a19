"""Import every table so SQLAlchemy's metadata (and Alembic) see the whole schema."""

from sotong.audit.models import AuditEvent
from sotong.cases.answers.models import AnswerTemplate
from sotong.cases.assignment import DepartmentAssignment
from sotong.cases.deadlines.models import ClosureDay, SlaPolicy
from sotong.cases.models import Answer, Attachment, Case, CaseNumberSequence, Message
from sotong.channels.health import AccountHealth
from sotong.channels.intake.events import InboundEvent
from sotong.channels.kakao.models import KakaoSkillTurn
from sotong.channels.open311.models import Open311ApiKey
from sotong.channels.webform.models import WebformSubmission
from sotong.db import Base
from sotong.notes.models import Note
from sotong.notifications.models import Notification, NotificationPreference, OrgWebhook
from sotong.orgs.models import (
    ApiToken,
    Category,
    ChannelAccount,
    Department,
    LoginAttempt,
    Organisation,
    RecoveryCode,
    User,
)
from sotong.outbox.models import OutboxItem
from sotong.portal.models import ShowcaseEntry
from sotong.portal.stats import PUBLIC_STATS_INDEX
from sotong.retention.models import RetentionPolicy, RetentionRun
from sotong.runtime.models import SchemaRelease, ServiceState, WorkerHeartbeat
from sotong.search.models import CaseSearchDoc
from sotong.triage.models import RoutingRule, TriageLabel, TriageModelVersion, TriageResult

__all__ = [
    "PUBLIC_STATS_INDEX",
    "AccountHealth",
    "Answer",
    "AnswerTemplate",
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "Base",
    "Case",
    "CaseNumberSequence",
    "CaseSearchDoc",
    "Category",
    "ChannelAccount",
    "ClosureDay",
    "Department",
    "DepartmentAssignment",
    "InboundEvent",
    "KakaoSkillTurn",
    "LoginAttempt",
    "Message",
    "Note",
    "Notification",
    "NotificationPreference",
    "Open311ApiKey",
    "OrgWebhook",
    "Organisation",
    "OutboxItem",
    "RecoveryCode",
    "RetentionPolicy",
    "RetentionRun",
    "RoutingRule",
    "SchemaRelease",
    "ServiceState",
    "ShowcaseEntry",
    "SlaPolicy",
    "TriageLabel",
    "TriageModelVersion",
    "TriageResult",
    "User",
    "WebformSubmission",
    "WorkerHeartbeat",
]
