"""The web form's defences and its one action: CAPTCHA-free spam checks, a per-address limit, then intake.

No CAPTCHA (the 2013 SNS guideline asks for no barrier to complain, and a CAPTCHA shuts out screen-reader
users). Instead, cheap signals that together stop the bots that fill every field at once:
- a honeypot field people never see (hidden with CSS) and bots fill in;
- a signed timestamp issued with the form: a person needs seconds to write a complaint, a script does not;
- a cap on links (advertising spam is links);
- the same text again within a day (copy-paste floods);
- at most N submissions per address per window, counted in the database so every web worker agrees.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.inbound import InboundAttachment
from sotong.cases.models import Attachment, Case, Message
from sotong.channels.webform.errors import FormError, RateLimited, SpamRefused
from sotong.channels.webform.models import WebformSubmission
from sotong.db import atomic, utcnow
from sotong.errors import DuplicateSubmission
from sotong.orgs.models import Category, Channel, ChannelAccount, Organisation
from sotong.settings import Settings
from sotong.triage import actions as triage_actions

TOKEN_SALT = "sotong-webform-issued"
TOKEN_MAX_AGE = dt.timedelta(days=1)  # a form left open longer is shown again with a fresh token
REPEAT_WINDOW = dt.timedelta(days=1)

_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{7,18}[0-9]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

log = logging.getLogger(__name__)


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=TOKEN_SALT)


def form_token(settings: Settings, *, now: dt.datetime | None = None) -> str:
    """The signed "form shown at" time embedded in the form."""
    return _serializer(settings).dumps({"t": (now or utcnow()).timestamp()})


def check_spam(
    *,
    settings: Settings,
    honeypot: str | None,
    token: str | None,
    text: str,
    now: dt.datetime,
    browser: bool = True,
) -> None:
    """Refuse an automated-looking submission (SpamRefused) or a form too old to trust (FormError).

    The honeypot and the fill time exist only where we showed a page (`browser`); a client of the public JSON API
    was shown none, and meets the link cap here and the rate limit and repeated-text checks of `precheck`."""
    if browser:
        _check_page(settings, honeypot=honeypot, token=token, now=now)
    if len(_LINK.findall(text)) > settings.webform_max_links:
        raise SpamRefused("channels.webform.error.links", count=settings.webform_max_links)


def _check_page(settings: Settings, *, honeypot: str | None, token: str | None, now: dt.datetime) -> None:
    """The signs of a bot on our own page: the field people never see was filled, or the form came back faster
    than anyone types (or without the token the page carried)."""
    if honeypot and honeypot.strip():
        raise SpamRefused("channels.webform.error.spam")
    try:
        issued = _serializer(settings).loads(token or "", max_age=int(TOKEN_MAX_AGE.total_seconds()))
        shown_at = dt.datetime.fromtimestamp(float(issued["t"]), dt.UTC)
    except SignatureExpired:
        raise FormError("channels.webform.error.expired") from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise FormError("channels.webform.error.expired") from None
    if (now - shown_at).total_seconds() < settings.webform_min_fill_seconds:
        raise SpamRefused("channels.webform.error.too_fast")


def address_hash(address: str, settings: Settings) -> str:
    """A keyed hash of the client address: counts submissions without storing who sent them."""
    return hmac.new(settings.secret_key.encode(), f"webform:{address}".encode(), hashlib.sha256).hexdigest()


def text_hash(text: str) -> str:
    """The hash of the text with case and spacing evened out, so a re-pasted copy matches."""
    normalised = " ".join(text.lower().split())
    return hashlib.sha256(normalised.encode()).hexdigest()


def check_rate(session: Session, *, settings: Settings, address: str, now: dt.datetime) -> None:
    """RateLimited when this address has sent (or had refused as spam) the maximum within the window."""
    since = now - dt.timedelta(seconds=settings.webform_window_seconds)
    count = session.scalar(
        select(func.count())
        .select_from(WebformSubmission)
        .where(WebformSubmission.address_hash == address, WebformSubmission.at > since)
    )
    if (count or 0) >= settings.webform_max_per_window:
        minutes = max(1, settings.webform_window_seconds // 60)
        raise RateLimited("channels.webform.error.rate_limited", count=settings.webform_max_per_window, minutes=minutes)


def check_repeated(session: Session, *, digest: str, now: dt.datetime) -> None:
    """SpamRefused when the same text was accepted within the last day (from any address)."""
    seen = session.scalar(
        select(WebformSubmission.id)
        .where(
            WebformSubmission.text_hash == digest,
            WebformSubmission.outcome == "accepted",
            WebformSubmission.at > now - REPEAT_WINDOW,
        )
        .limit(1)
    )
    if seen is not None:
        raise SpamRefused("channels.webform.error.repeated")


def check_contact(phone: str | None, email: str | None) -> None:
    """Refuse a reply route we could not use (the citizen would wait for an answer that never comes)."""
    if phone and not _PHONE.match(phone):
        raise FormError("channels.webform.error.phone")
    if email and not _EMAIL.match(email):
        raise FormError("channels.webform.error.email")


def _form_message(session: Session, org_slug: str, submission_id: str) -> Message | None:
    """The message this very form (same submission id) made, wherever it is now."""
    return session.scalar(
        select(Message)
        .join(ChannelAccount, ChannelAccount.id == Message.channel_account_id)
        .join(Organisation, Organisation.id == ChannelAccount.org_id)
        .where(
            Organisation.slug == org_slug,
            Message.channel == Channel.web,
            Message.external_id == f"web:{submission_id}",
        )
    )


def _already_received(session: Session, org_slug: str, submission_id: str) -> Case | None:
    """The case this very form (same submission id) already made: a double click or a resend."""
    message = _form_message(session, org_slug, submission_id)
    return session.get(Case, message.case_id) if message is not None and message.case_id is not None else None


@dataclass(frozen=True)
class Outcome:
    """What became of a form: the case its message is on now, and whether the form opened that case (else the
    message joined the citizen's open case as a follow-up); the photos that arrived with it."""

    case: Case
    opened: bool
    photos: list[Attachment]


def outcome(session: Session, *, org_slug: str, submission_id: str) -> Outcome | None:
    """What became of the form with this submission id (None: nothing was taken in)."""
    message = _form_message(session, org_slug, submission_id) if submission_id else None
    if message is None or message.case_id is None:
        return None
    case = session.get(Case, message.case_id)
    if case is None:
        return None
    first = session.scalar(select(Message.id).where(Message.case_id == case.id).order_by(Message.id).limit(1))
    photos = list(
        session.scalars(select(Attachment).where(Attachment.message_id == message.id).order_by(Attachment.id))
    )
    return Outcome(case=case, opened=first == message.id, photos=photos)


def _remember(
    session: Session, *, address: str, digest: str, outcome: str, case_id: int | None, now: dt.datetime
) -> None:
    session.add(WebformSubmission(address_hash=address, text_hash=digest, outcome=outcome, case_id=case_id, at=now))


@dataclass(frozen=True)
class Submission:
    """What the citizen typed (already trimmed), without the photos."""

    org_slug: str
    text: str
    submission_id: str
    category_hint: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    phone: str | None = None
    email: str | None = None
    visibility: str = "public"  # 공개 / 비공개 / 공익신고, as the citizen chose


def submit(
    session: Session,
    *,
    settings: Settings,
    form: Submission,
    attachments: tuple[InboundAttachment, ...],
    client_address: str,
    honeypot: str | None,
    token: str | None,
    now: dt.datetime | None = None,
    browser: bool = True,
) -> Case:
    """Take one web form complaint in, or refuse it with a reason the citizen can read.

    The submission row that the rate limit counts is written in the same transaction as the case, so a
    complaint is counted exactly when it exists. A refusal as spam is counted too (a bot's retries use up
    its own address's allowance); other refusals (a photo too large) are not held against the citizen.
    """
    now = now or utcnow()
    precheck(
        session,
        settings=settings,
        form=form,
        client_address=client_address,
        honeypot=honeypot,
        token=token,
        now=now,
        browser=browser,
    )
    session.rollback()  # end the reads above: the action opens the transaction that writes
    with atomic(session):
        case = actions.submit_web_form(
            session,
            org_slug=form.org_slug,
            text=form.text,
            submission_id=form.submission_id,
            received_at=now,
            category_hint=form.category_hint,
            latitude=form.latitude,
            longitude=form.longitude,
            address=form.address,
            phone=form.phone,
            email=form.email,
            attachments=attachments,
            visibility=form.visibility,
        )
        _remember(
            session,
            address=address_hash(client_address, settings),
            digest=text_hash(form.text),
            outcome="accepted",
            case_id=case.id,
            now=now,
        )
    # Triage now rather than on the worker's next pass (milliseconds): the receipt can then say what became of the
    # form, such as the citizen's own open case it was added to, instead of promising a new case that triage
    # would close a moment later. If it fails, the complaint is kept and the worker triages it.
    try:
        triage_actions.triage_new_case(session, case_id=case.id)
    except Exception:
        session.rollback()
        log.exception("web form: triage of case %s failed; the worker will triage it", case.number)
    return case


def precheck(
    session: Session,
    *,
    settings: Settings,
    form: Submission,
    client_address: str,
    honeypot: str | None,
    token: str | None,
    now: dt.datetime,
    browser: bool = True,
) -> None:
    """Every refusal that needs no photo: run before the photos are decoded, so a flood costs us little.

    The web form and the public JSON API both come through here (`browser` False for the API: no page, so no
    honeypot or fill time), so a bot cannot skip the limits by posting to the API instead of the form."""
    earlier = _already_received(session, form.org_slug, form.submission_id) if form.submission_id else None
    if earlier is not None:
        raise DuplicateSubmission(f"이 신고는 이미 {earlier.number} 번으로 접수되었습니다", case_number=earlier.number)
    address = address_hash(client_address, settings)
    digest = text_hash(form.text)
    check_rate(session, settings=settings, address=address, now=now)
    try:
        check_spam(settings=settings, honeypot=honeypot, token=token, text=form.text, now=now, browser=browser)
        check_repeated(session, digest=digest, now=now)
    except SpamRefused:
        session.rollback()
        with atomic(session):
            _remember(session, address=address, digest=digest, outcome="spam", case_id=None, now=now)
        raise
    check_contact(form.phone, form.email)


def categories_by_org(session: Session) -> dict[str, list[dict[str, str]]]:
    """Each organisation's categories (code and name) by organisation slug, for the form's 분야.

    One name once per organisation: an organisation that keeps the standard taxonomy beside its own codes may
    hold two categories both named 단순 의견, and a citizen cannot choose between identical words.
    """
    rows = session.execute(
        select(Organisation.slug, Category.code, Category.name)
        .join(Organisation, Organisation.id == Category.org_id)
        .order_by(Organisation.slug, Category.name, Category.code)
    )
    grouped: dict[str, list[dict[str, str]]] = {}
    seen: set[tuple[str, str]] = set()
    for slug, code, name in rows:
        if (slug, name) in seen:
            continue
        seen.add((slug, name))
        grouped.setdefault(slug, []).append({"code": code, "name": name})
    return grouped


def category_hint(session: Session, *, org_slug: str, code: str | None) -> str | None:
    """The citizen's 분야 if it is one of the chosen organisation's categories, else None (a hint from another
    organisation's list, or a stale form, must not route the case by another organisation's codes)."""
    if not code:
        return None
    found = session.scalar(
        select(Category.code)
        .join(Organisation, Organisation.id == Category.org_id)
        .where(Organisation.slug == org_slug, Category.code == code)
    )
    return found


def starting_org(slugs: list[str], *, asked: str | None, default: str | None) -> str | None:
    """The organisation the form starts on: the one in the link (`?org=`), else the deployment's default, else
    the only one; with several and no default, none (the citizen chooses, or the map pin does), never the
    alphabetically first."""
    for candidate in (asked, default):
        if candidate and candidate in slugs:
            return candidate
    return slugs[0] if len(slugs) == 1 else None


def send_link(
    session: Session,
    *,
    settings: Settings,
    case_number: str,
    token: str,
    phone: str | None,
    email: str | None,
    address: str,
    now: dt.datetime | None = None,
) -> None:
    """The receipt's "send me this link": once per case (the action refuses a second), and counted against the
    sender's address like a submission, so the public page cannot be used to text strangers in bulk."""
    now = now or utcnow()
    hashed = address_hash(address, settings)
    check_rate(session, settings=settings, address=hashed, now=now)
    session.rollback()
    with atomic(session):
        case = actions.send_tracking_link(session, case_number=case_number, token=token, phone=phone, email=email)
        _remember(
            session, address=hashed, digest=text_hash(f"link:{case_number}"), outcome="link", case_id=case.id, now=now
        )


def org_for_place(session: Session, names: list[str]) -> str | None:
    """The slug of the organisation named like the place, most specific first (송파구, then 서울특별시), or None.

    A suggestion for the form's 기관 from a map pin or a found address; the citizen can still choose another.
    """
    orgs = session.execute(select(Organisation.slug, Organisation.name)).all()
    for name in names:
        if not name:
            continue
        for slug, org_name in orgs:
            if org_name == name or org_name.endswith(f" {name}"):
                return str(slug)
    return None


def purge_submissions(
    session: Session, *, before: dt.datetime, org_id: int | None, limit: int, dry_run: bool = False
) -> int:
    """Delete (or with `dry_run` count) up to `limit` submissions older than `before`, in the caller's transaction:
    those that made one of the organisation's cases, or with `org_id` None those that made none (spam refused).

    The form's limits read the last day (REPEAT_WINDOW, the hourly window), so two days is the shortest period.
    """
    made = (
        WebformSubmission.case_id.in_(select(Case.id).where(Case.org_id == org_id))
        if org_id is not None
        else WebformSubmission.case_id.is_(None)
    )
    query = select(WebformSubmission.id).where(WebformSubmission.at < before, made)
    if dry_run:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ids = list(session.scalars(query.order_by(WebformSubmission.id).limit(limit)))
    if ids:
        session.execute(delete(WebformSubmission).where(WebformSubmission.id.in_(ids)))
    return len(ids)
