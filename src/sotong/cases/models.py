"""Tables of the case domain: inbound messages, their attachments, chat conversations, cases and answers."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sotong.db import Base, BigId, JsonDoc, UTCDateTime, str_enum, utcnow
from sotong.orgs.models import Channel


class PeriodUnit(StrEnum):
    hours = "hours"  # working hours
    days = "days"  # working days, first day included


class ComplaintType(StrEnum):
    """민원 종류: sets the statutory deadline."""

    other = "other"  # 기타: everyday inconvenience, within 3 working hours
    inquiry = "inquiry"  # 질의 (procedure): 7 days
    inquiry_law = "inquiry_law"  # 질의 (interpretation of a law): 14 days
    suggestion = "suggestion"  # 건의: 14 days
    grievance = "grievance"  # 고충: 7 days
    opinion = "opinion"  # 단순의견: answered like 기타


class CaseStatus(StrEnum):
    received = "received"  # 접수
    triaged = "triaged"  # 분류
    assigned = "assigned"  # 배정
    in_progress = "in_progress"  # 처리중
    on_hold = "on_hold"  # 보류
    transferred = "transferred"  # 이송 (to another department, awaiting its assignment)
    transferred_out = "transferred_out"  # 이송 (to another organisation: closed here, a new case there)
    answered = "answered"  # 답변
    closed = "closed"  # 종결
    rejected = "rejected"  # 숨김 (spam, abuse, advertising: kept, never deleted)
    reopened = "reopened"  # 재문의


class RejectReason(StrEnum):
    spam = "spam"
    abuse = "abuse"
    advertising = "advertising"
    not_relevant = "not_relevant"
    duplicate = "duplicate"
    repeated = "repeated"  # same complaint 3+ times with no new reason, after two answers


class CaseNumberSequence(Base):
    """The last case number issued per organisation and year; only ever incremented, so never reused."""

    __tablename__ = "case_number_sequences"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class PublicGeneration(Base):
    """One row (id 1): a number bumped in the transaction of every change of what the public may see (a case
    released, edited, hidden, made private). Each web process compares it with the one it last saw before serving
    a cached public page, feed or figure, and empties its caches when it moved: a hidden case leaves every
    process's caches at once, not after their TTL (portal/generation.py). Created by the first bump."""

    __tablename__ = "public_generation"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigId, default=0)


# The open statuses (cases/status.OPEN_STATUSES, which imports this module) as SQL, for the partial indexes of
# the department queue; console/queue.py writes its condition with the same literal list so the planner can
# prove the index applies (tests/console/test_queue_indexes.py keeps the two in step).
OPEN_STATUS_SQL = "status IN ('assigned', 'in_progress', 'on_hold', 'received', 'reopened', 'transferred', 'triaged')"


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_org_status", "org_id", "status"),
        Index("ix_cases_org_department_status", "org_id", "department_id", "status"),
        Index("ix_cases_org_received_at", "org_id", "received_at"),
        Index("ix_cases_due_at", "due_at"),
        # The case page lists the citizen's other cases on the same account (console/queue.citizen_history).
        Index("ix_cases_account_author", "channel_account_id", "author_handle"),
        # The escalation sweep reads only rows with a pending escalation.
        Index(
            "ix_cases_next_escalation_at",
            "next_escalation_at",
            postgresql_where=text("next_escalation_at IS NOT NULL"),
            sqlite_where=text("next_escalation_at IS NOT NULL"),
        ),
        # The department queue (console/queue.py): its open cases by deadline, the overdue and due-soon counts,
        # the unassigned ones, an officer's own (and every officer's load), all read as ranges of one index.
        Index(
            "ix_cases_dept_open_due",
            "org_id",
            "department_id",
            "due_at",
            "id",
            postgresql_where=text(OPEN_STATUS_SQL),
            sqlite_where=text(OPEN_STATUS_SQL),
        ),
        Index(
            "ix_cases_dept_unassigned_due",
            "org_id",
            "department_id",
            "due_at",
            "id",
            postgresql_where=text(f"officer_id IS NULL AND {OPEN_STATUS_SQL}"),
            sqlite_where=text(f"officer_id IS NULL AND {OPEN_STATUS_SQL}"),
        ),
        Index(
            "ix_cases_officer_open_due",
            "officer_id",
            "due_at",
            "id",
            postgresql_where=text(OPEN_STATUS_SQL),
            sqlite_where=text(OPEN_STATUS_SQL),
        ),
        # A department's case list (officers, managers) and the queue sorted by arrival: newest first.
        Index("ix_cases_org_department_received", "org_id", "department_id", "received_at"),
        # The inbox filtered by status (접수: what the desk works down), newest first.
        Index("ix_cases_org_status_received", "org_id", "status", "received_at"),
        # The triage worker looks for new cases only: a small slice of the table, whatever its size.
        Index(
            "ix_cases_received",
            "id",
            postgresql_where=text("status = 'received'"),
            sqlite_where=text("status = 'received'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, 16), default=CaseStatus.received)
    # Where `resume` returns to after 보류.
    held_from_status: Mapped[CaseStatus | None] = mapped_column(str_enum(CaseStatus, 16))
    hold_reason: Mapped[str | None] = mapped_column(Text)
    # 보류: the day work is expected to resume (Seoul's calendar day), told to the citizen with the reason.
    hold_until: Mapped[dt.date | None] = mapped_column(Date)
    reject_reason: Mapped[RejectReason | None] = mapped_column(str_enum(RejectReason, 16))

    complaint_type: Mapped[ComplaintType] = mapped_column(str_enum(ComplaintType, 16), default=ComplaintType.other)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    # Where it came from: the first message's channel and official account.
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    channel_account_id: Mapped[int | None] = mapped_column(ForeignKey("channel_accounts.id"))
    author_handle: Mapped[str | None] = mapped_column(String(200))
    # How the citizen asked to be answered (phone / e-mail for SMS and e-mail answers); never public.
    contact: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)

    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # the complaint as written: personal data included, never public
    public_text: Mapped[str | None] = mapped_column(Text)  # masked, what the portal shows
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    is_whistleblower: Mapped[bool] = mapped_column(Boolean, default=False)  # 공익신고: never listed
    # Review before publishing (cases/actions/publication.py): nothing is public before a person or the
    # organisation's automatic release let it out; hiding it again clears the time.
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    public_title: Mapped[str | None] = mapped_column(String(200))  # masked; the first line of public_text if None
    # The citizen asked for 비공개 (on the form, in the chat, or later on the tracking page): never released again.
    citizen_private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))

    # Times of the life cycle.
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    triaged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    # Deadlines, computed by cases.sla and stored so the sweep and the queues read an index.
    # The clock starts here; an organisation transfer starts a new case with a new clock.
    clock_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id"))
    period_value: Mapped[int] = mapped_column(Integer, default=3)
    period_unit: Mapped[PeriodUnit] = mapped_column(str_enum(PeriodUnit, 8), default=PeriodUnit.hours)
    first_response_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answer_target_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    original_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    extended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    # 0: nothing raised, 1: officer warned (due soon), 2: manager told (overdue).
    escalation_level: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_escalation_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)  # 1..5, from the citizen
    satisfaction_comment: Mapped[str | None] = mapped_column(Text)

    source_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))  # transferred in from
    transferred_to_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # Read by the receipt on the web form: lets the citizen rate and ask a follow-up without an account.
    citizen_token: Mapped[str | None] = mapped_column(String(64))

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When the retention period's anonymisation removed the citizen's personal data (cases/actions/privacy.py).
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    messages: Mapped[list[Message]] = relationship(
        back_populates="case", order_by="Message.received_at", foreign_keys="Message.case_id"
    )
    answers: Mapped[list[Answer]] = relationship(back_populates="case", order_by="Answer.created_at")


class Message(Base):
    """One inbound message exactly as it arrived; the same platform message can only be stored once."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "channel_account_id", "external_id", name="uq_messages_channel_account_external"),
        Index("ix_messages_org_received_at", "org_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # A chat bubble waits here, with no case yet, until its conversation falls silent (Conversation).
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    channel_account_id: Mapped[int] = mapped_column(ForeignKey("channel_accounts.id"))
    external_id: Mapped[str] = mapped_column(String(200))
    in_reply_to_external_id: Mapped[str | None] = mapped_column(String(200))
    author_handle: Mapped[str | None] = mapped_column(String(200))
    author_name: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case | None] = relationship(back_populates="messages", foreign_keys=[case_id])
    attachments: Mapped[list[Attachment]] = relationship(back_populates="message")


class ConversationStatus(StrEnum):
    gathering = "gathering"  # bubbles still arriving: no case yet
    opened = "opened"  # fell silent: its case is open (case_id)


class Conversation(Base):
    """A citizen's chat bubbles on one account, gathered into one complaint (cases/actions/conversations.py).

    A citizen writes a complaint on a chat channel as several bubbles (text, text, photo) within a minute or two.
    Each bubble is stored at once under the author's gathering conversation; when no bubble has come for the
    account's window (`closes_at`), one case is opened from all of them, with one receipt. At most one gathering
    conversation per author and account (a partial unique index): concurrent bubbles meet on that row.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        Index(
            "uq_conversations_gathering",
            "channel_account_id",
            "author_handle",
            unique=True,
            postgresql_where=text("status = 'gathering'"),
            sqlite_where=text("status = 'gathering'"),
        ),
        # The worker's pass reads only the gathering ones that fell silent.
        Index(
            "ix_conversations_closes_at",
            "closes_at",
            postgresql_where=text("status = 'gathering'"),
            sqlite_where=text("status = 'gathering'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    channel_account_id: Mapped[int] = mapped_column(ForeignKey("channel_accounts.id"))
    author_handle: Mapped[str] = mapped_column(String(200))
    status: Mapped[ConversationStatus] = mapped_column(
        str_enum(ConversationStatus, 16), default=ConversationStatus.gathering
    )
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))


class Attachment(Base):
    """A file kept on disk under the media directory, addressed by its SHA-256."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    message: Mapped[Message | None] = relationship(back_populates="attachments")


class Answer(Base):
    """What the organisation said to the citizen; `public_body` is the masked form shown on the portal."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    public_body: Mapped[str | None] = mapped_column(Text)
    # 공무원 실명제: "name · department · department phone" of who answered, when the organisation signs answers.
    # Kept apart from `public_body`: the masker would take the officer's name for a citizen's.
    signature: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="answers")
    # Photos of the result sent with the answer (cases/actions/answer.py); the portal may show them.
    attachments: Mapped[list[Attachment]] = relationship(foreign_keys="Attachment.answer_id", order_by="Attachment.id")
