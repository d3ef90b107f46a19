"""Load the demo: three organisations, their staff personas and a month of citizen complaints in every status.

Everything goes through the real action functions, so the demo exercises (and shows) the product's own paths:
masking, case numbers, deadlines, audit events and outbox rows all come from the actions.

History is replayed in time order under `sotong.db.clock_at`, so an answer given "on 11월 5일" carries that
time in its audit event, case columns and outbox row, and deadlines are computed from the message times.
The whole load is one transaction: it lands completely or not at all.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sotong.actors import CITIZEN, CLI, Actor, Role
from sotong.cases import actions
from sotong.cases.answers import actions as answer_actions
from sotong.cases.assignment import AssignmentPolicy
from sotong.cases.assignment import set_policy as set_assignment_policy
from sotong.cases.deadlines import actions as deadline_actions
from sotong.cases.deadlines.sla import BusinessCalendar, calendar_for
from sotong.cases.inbound import InboundMessage
from sotong.cases.models import Case, CaseStatus, ComplaintType, Message, RejectReason
from sotong.cases.status import OPEN_STATUSES
from sotong.channels import accounts as channel_accounts
from sotong.channels import registry, sandbox
from sotong.channels.base import Connector
from sotong.db import atomic, clock_at, utcnow
from sotong.demo import data
from sotong.demo.data import STANDARD_OF, OrgSpec, Place, Topic
from sotong.i18n.particles import FORMATTER
from sotong.orgs import actions as org_actions
from sotong.orgs.models import Category, Channel, ChannelAccount, Department, Organisation, User
from sotong.orgs.passwords import hash_password
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.settings import get_settings

ProgressFn = Callable[[str, int, int], None]

HISTORY_DAYS = 30
# Replayed steps never land closer to the real present than this: the load itself takes a few seconds.
PRESENT_MARGIN = dt.timedelta(minutes=2)
SEOUL_TZ = "Asia/Seoul"


@dataclass(frozen=True)
class Login:
    org_name: str
    username: str
    role: Role
    department: str | None


@dataclass
class DemoResult:
    password: str
    logins: list[Login]
    case_count: int
    message_count: int
    status_counts: dict[str, int]


# --------------------------------------------------------------------------------------------- the world


@dataclass
class _World:
    orgs: dict[str, Organisation] = field(default_factory=dict)
    specs: dict[str, OrgSpec] = field(default_factory=dict)
    depts: dict[tuple[str, str], Department] = field(default_factory=dict)
    categories: dict[tuple[str, str], Category] = field(default_factory=dict)
    accounts: dict[tuple[str, str], ChannelAccount] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    calendars: dict[str, BusinessCalendar] = field(default_factory=dict)
    logins: list[Login] = field(default_factory=list)

    def actor(self, username: str) -> Actor:
        return Actor.for_user(self.users[username])

    def category_codes(self, slug: str) -> set[str]:
        return {code for (org, code) in self.categories if org == slug}

    def dept_code_of(self, slug: str, category: str) -> str | None:
        for code, _name, dept in self.specs[slug].categories:
            if code == category:
                return dept
        return None


def _build_world(session: Session, *, anchor: dt.datetime, progress: ProgressFn | None, base_url: str) -> _World:
    world = _World()
    total = sum(len(data.personas(spec)) for spec in data.ORGS)
    # One hash for the shared demo password: argon2 at full cost is slow on purpose, 40 times over is minutes.
    password_hash = hash_password(data.DEMO_PASSWORD)
    done = 0
    for spec in data.ORGS:
        parent = world.orgs[spec.parent].id if spec.parent else None
        org = org_actions.create_organisation(
            session, actor=CLI, slug=spec.slug, name=spec.name, short_name=spec.short_name, parent_id=parent
        )
        world.orgs[spec.slug], world.specs[spec.slug] = org, spec
        for dept in spec.departments:
            world.depts[(spec.slug, dept.code)] = org_actions.create_department(
                session, actor=CLI, org_id=org.id, name=dept.name, code=dept.code
            )
        for code, name, dept_code in spec.categories:
            department = world.depts[(spec.slug, dept_code)] if dept_code else None
            world.categories[(spec.slug, code)] = org_actions.create_category(
                session,
                actor=CLI,
                org_id=org.id,
                code=code,
                name=name,
                department_id=department.id if department else None,
                standard_code=STANDARD_OF.get(code),
            )
        _create_accounts(session, world, spec, org, base_url)
        for policy in spec.policies:
            category = world.categories[(spec.slug, policy.category)] if policy.category else None
            deadline_actions.create_sla_policy(
                session,
                actor=CLI,
                org_id=org.id,
                name=policy.name,
                priority=policy.priority,
                channel=policy.channel,
                category_id=category.id if category else None,
                resolution_value=policy.resolution[0] if policy.resolution else None,
                resolution_unit=policy.resolution[1] if policy.resolution else None,
                first_response_minutes=policy.first_response_minutes,
                answer_target_minutes=policy.answer_target_minutes,
            )
        _create_answer_templates(session, world, spec, org)
        if spec.closure_reason:
            deadline_actions.add_closure_day(
                session, actor=CLI, org_id=org.id, day=_closure_day(anchor), reason=spec.closure_reason
            )
        for persona in data.personas(spec):
            home = world.depts[(spec.slug, persona.department_code)] if persona.department_code else None
            user = org_actions.create_user(
                session,
                actor=CLI,
                org_id=org.id,
                username=persona.username,
                password_hash=password_hash,
                role=Role(persona.role),
                display_name=persona.display_name,
                department_id=home.id if home else None,
                email=f"{persona.username}@{spec.slug}.example",
            )
            world.users[user.username] = user
            world.logins.append(Login(org.name, user.username, user.role, home.name if home else None))
            done += 1
            if progress:
                progress("기관·직원 만들기 (organisations and staff)", done, total)
        world.calendars[spec.slug] = calendar_for(session, org)
    return world


def _create_accounts(session: Session, world: _World, spec: OrgSpec, org: Organisation, base_url: str) -> None:
    # Personal accounts point at the account that answers for them, so those are created last.
    for account in sorted(spec.accounts, key=lambda a: a.reply_via is not None):
        if account.channel is Channel.web:
            # create_organisation already opened the web form account.
            world.accounts[(spec.slug, account.key)] = session.scalars(
                select(ChannelAccount).where(ChannelAccount.org_id == org.id, ChannelAccount.channel == Channel.web)
            ).one()
            continue
        via = world.accounts[(spec.slug, account.reply_via)] if account.reply_via else None
        world.accounts[(spec.slug, account.key)] = channel_accounts.create_channel_account(
            session,
            actor=CLI,
            org_id=org.id,
            channel=account.channel,
            handle=account.handle,
            display_name=account.display_name,
            config=_account_config(spec, account, base_url),
            reply_via_account_id=via.id if via else None,
        )


def _account_config(spec: OrgSpec, account: data.AccountSpec, base_url: str) -> dict[str, Any]:
    """A demo account's config: connected to the bundled sandbox of its platform where there is one
    (channels/sandbox.py), otherwise to no platform at all."""
    practice = sandbox.practice_config(
        account.channel, base_url, name=f"{spec.slug}-{account.key}", handle=account.handle
    )
    return {"demo": True, **(practice or {})}


def _create_answer_templates(session: Session, world: _World, spec: OrgSpec, org: Organisation) -> None:
    """The standard answers (표준답안) of one organisation, for the categories it has."""
    for template in data.ANSWER_TEMPLATES:
        category = world.categories.get((spec.slug, template.category)) if template.category else None
        if template.category and category is None:
            continue
        answer_actions.create_template(
            session,
            actor=CLI,
            org_id=org.id,
            title=template.title,
            body=template.body,
            category_id=category.id if category else None,
            required_elements=template.required,
        )


def _closure_day(anchor: dt.datetime) -> dt.date:
    """A working day about twelve days back, so some demo deadlines visibly skip it."""
    calendar = BusinessCalendar.from_hours(timezone=SEOUL_TZ)
    day = (anchor.astimezone(calendar.tz) - dt.timedelta(days=12)).date()
    while not calendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


# --------------------------------------------------------------------------------------------- planning


@dataclass
class _Plan:
    """One citizen message and what happens to it, as timed steps."""

    index: int
    received_at: dt.datetime
    org: str  # receiving organisation
    account: str
    topic: Topic
    competent: str  # organisation that handles it
    place: Place
    text: str
    external_id: str
    author_handle: str | None
    author_name: str | None
    contact: dict[str, str]
    located: bool
    scenario: str
    bus: str
    steps: list[tuple[dt.datetime, str, dict[str, Any]]] = field(default_factory=list)
    # Filled while replaying.
    case_id: int | None = None
    current_org: str = ""
    current_dept: str | None = None


# Final state of a complaint by age: recent ones are still being worked on, older ones mostly closed.
_BY_AGE: tuple[tuple[dt.timedelta, dict[str, int]], ...] = (
    (dt.timedelta(hours=4), {"received": 35, "triaged": 30, "assigned": 20, "in_progress": 15}),
    (
        dt.timedelta(days=2),
        {"triaged": 8, "assigned": 12, "in_progress": 20, "on_hold": 5, "transferred": 5, "answered": 25, "closed": 25},
    ),
    (
        dt.timedelta(days=7),
        {
            "in_progress": 6,
            "extended": 8,
            "on_hold": 6,
            "transferred_then_closed": 4,
            "answered": 15,
            "closed": 35,
            "rated": 12,
            "reopened": 5,
        },
    ),
    (
        dt.timedelta(days=HISTORY_DAYS + 1),
        {
            "on_hold": 4,
            "extended_then_closed": 6,
            "hold_then_closed": 5,
            "transferred_then_closed": 5,
            "answered": 6,
            "closed": 45,
            "rated": 18,
            "reopened": 3,
            "reopened_then_closed": 7,
        },
    ),
)

# One of each, first, so that even a small demo shows every status (and the flows around them).
_REQUIRED: tuple[tuple[str, str, dt.timedelta], ...] = (
    # (scenario, kind of message, age)
    ("received", "complaint", dt.timedelta(minutes=40)),
    ("triaged", "complaint", dt.timedelta(hours=3)),
    ("assigned", "complaint", dt.timedelta(hours=20)),
    ("in_progress", "complaint", dt.timedelta(days=1, hours=4)),
    ("on_hold", "complaint", dt.timedelta(days=4)),
    ("transferred", "complaint", dt.timedelta(days=1, hours=2)),
    ("transfer_out", "to_city", dt.timedelta(days=6)),
    ("transfer_out", "to_district", dt.timedelta(days=9)),
    ("answered", "complaint", dt.timedelta(days=2, hours=3)),
    ("closed", "complaint", dt.timedelta(days=11)),
    ("rejected", "spam", dt.timedelta(days=3)),
    ("reopened", "complaint", dt.timedelta(days=8)),
    ("reopened_then_closed", "complaint", dt.timedelta(days=18)),
    ("extended", "complaint", dt.timedelta(days=5)),
    ("rated", "complaint", dt.timedelta(days=14)),
    ("acknowledged", "praise", dt.timedelta(days=10)),
)

_HOUR_WEIGHTS = (1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 7, 8, 7, 6, 7, 6, 6, 5, 5, 5, 6, 6, 7, 8, 7, 4)


class _Planner:
    def __init__(self, world: _World, rng: random.Random, now: dt.datetime) -> None:
        self.world, self.rng, self.now = world, rng, now
        self.tz = BusinessCalendar.from_hours(timezone=SEOUL_TZ).tz
        self.serial = 0

    # ---- picking

    def _weighted(self, options: dict[str, int] | dict[str, float]) -> str:
        keys = list(options)
        return self.rng.choices(keys, weights=[options[k] for k in keys])[0]

    def _received_at(self) -> dt.datetime:
        """A moment in the last month with Seoul's rhythm: busy mornings and evenings, quieter weekends."""
        while True:
            day = (self.now.astimezone(self.tz) - dt.timedelta(days=self.rng.randrange(HISTORY_DAYS))).date()
            if day.weekday() >= 5 and self.rng.random() < 0.4:
                continue
            hour = self.rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
            moment = dt.datetime.combine(
                day, dt.time(hour, self.rng.randrange(60), self.rng.randrange(60)), self.tz
            ).astimezone(dt.UTC)
            if moment < self.now - PRESENT_MARGIN * 3:
                return moment

    def _topics(self, kinds: set[str], codes: set[str] | None = None) -> Topic:
        choices = [t for t in data.TOPICS if t.kind in kinds and (codes is None or t.code in codes)]
        return self.rng.choices(choices, weights=[t.weight for t in choices])[0]

    def _org_spec(self) -> OrgSpec:
        return self.rng.choices(data.ORGS, weights=[o.weight for o in data.ORGS])[0]

    def _account(self, spec: OrgSpec) -> str:
        return self.rng.choices(spec.accounts, weights=[a.weight for a in spec.accounts])[0].key

    # ---- one message

    def plan(self, index: int, *, kind: str | None = None, scenario: str | None = None, age: Any = None) -> _Plan:
        rng = self.rng
        # Required messages get their age give or take a fifth, so they do not share one minute and second.
        received = self.now - age * rng.uniform(0.8, 1.2) if age is not None else self._received_at()
        spec = self._org_spec()
        if kind in ("to_city", "to_district"):
            spec = data.SEOUL if kind == "to_district" else rng.choice([data.SONGPA, data.MAPO])
        elif kind is None and rng.random() < 0.06:
            kind = "to_district" if spec.slug == "seoul" else "to_city"
        own_codes = self.world.category_codes(spec.slug)
        if kind == "to_city":
            topic = self._topics({"complaint"}, {t.code for t in data.TOPICS if t.level == "city"} - own_codes)
            competent = "seoul"
        elif kind == "to_district":
            topic = self._topics({"complaint"}, {"road-damage", "streetlight", "illegal-parking", "illegal-dumping"})
            competent = rng.choice(["songpa", "mapo"])
        else:
            kinds = {kind} if kind else {"complaint", "info", "praise", "opinion", "spam", "advertising", "abuse"}
            if kind == "spam":
                kinds = {"spam", "advertising", "abuse"}
            codes = own_codes | {"spam", "advertising", "abuse"}
            topic = self._topics(kinds, codes)
            if kind == "complaint" and scenario != "rejected":
                while topic.whistleblower:
                    topic = self._topics(kinds, codes)
            competent = spec.slug
        # Places in the citizen's own district; a city account hearing about a district hears that district's.
        place_org = competent if spec.slug == "seoul" else spec.slug
        place = rng.choice(self.world.specs[place_org].places)
        account = self._account(spec)
        if kind in ("to_city", "to_district") and spec.slug == "seoul":
            account = "mayor"  # the mayor's account hears everything, jurisdiction or not
        self.serial += 1
        handle, name, contact = self._author(spec, account)
        bus = rng.choice(data.BUS_ROUTES)
        text = self._fill(rng.choice(topic.texts), place=place, org=spec.name, bus=bus)
        if self._channel(spec, account) is Channel.email:
            text = f"안녕하세요. {text} 감사합니다."
        plan = _Plan(
            index=index,
            received_at=received,
            org=spec.slug,
            account=account,
            topic=topic,
            competent=competent,
            place=place,
            text=text,
            external_id=self._external_id(self._channel(spec, account), received),
            author_handle=handle,
            author_name=name,
            contact=contact,
            located=topic.kind == "complaint" and rng.random() < 0.5,
            scenario=scenario or self._scenario(topic, competent != spec.slug, self.now - received),
            bus=bus,
        )
        self._schedule(plan)
        return plan

    @staticmethod
    def _channel(spec: OrgSpec, account: str) -> Channel:
        return next(a.channel for a in spec.accounts if a.key == account)

    def _author(self, spec: OrgSpec, account: str) -> tuple[str | None, str | None, dict[str, str]]:
        rng = self.rng
        name = rng.choice(data.SURNAMES) + rng.choice(data.GIVEN)
        word = rng.choice(data.HANDLE_WORDS)
        phone = self._phone()
        # What a citizen looks like on the channel (a handle, a name, what they left to be answered on) is the
        # channel's own fact: its connector says.
        author = _connector(self._channel(spec, account)).sample_author(rng, name=name, phone=phone, word=word)
        return author.handle, author.name, author.contact

    def _phone(self) -> str:
        return f"010-{self.rng.randrange(2000, 9999)}-{self.rng.randrange(1000, 9999)}"

    def _fill(self, template: str, *, place: Place, org: str, bus: str) -> str:
        rng = self.rng
        plate = f"{rng.randrange(10, 399)}{rng.choice(data.PLATE_LETTERS)} {rng.randrange(1000, 9999)}"
        return template.format(
            place=place.name,
            phone=self._phone(),
            email=f"{rng.choice(data.HANDLE_WORDS)}{rng.randrange(10, 99)}@example.com",
            plate=plate,
            bus=bus,
            hour=rng.choice(data.HOURS),
            org=org,
        )

    def _external_id(self, channel: Channel, received: dt.datetime) -> str:
        return _connector(channel).sample_message_id(self.rng, received=received, serial=self.serial)

    def _scenario(self, topic: Topic, wrong_org: bool, age: dt.timedelta) -> str:
        if topic.kind in ("spam", "advertising", "abuse"):
            return "rejected"
        if wrong_org:
            return "transfer_out" if age > dt.timedelta(hours=2) else "received"
        if topic.kind in ("info", "praise", "opinion"):
            return "acknowledged" if age > dt.timedelta(hours=1) else "received"
        for limit, weights in _BY_AGE:
            if age <= limit:
                return self._weighted(weights)
        return "closed"

    # ---- timing

    def _schedule(self, plan: _Plan) -> None:
        """Turn the scenario into timed steps; staff act in business hours, citizens whenever they like."""
        rng = self.rng
        steps = plan.steps
        t = plan.received_at
        competent_calendar = self.world.calendars[plan.competent]
        calendar = self.world.calendars[plan.org]

        def staff(minutes: tuple[int, int], name: str, cal: BusinessCalendar | None = None, **kw: Any) -> None:
            nonlocal t
            t = (cal or calendar).add_working_minutes(t, rng.randint(*minutes))
            steps.append((t, name, kw))

        def citizen(hours: tuple[float, float], name: str, **kw: Any) -> None:
            nonlocal t
            t = t + dt.timedelta(hours=rng.uniform(*hours))
            steps.append((t, name, kw))

        steps.append((t, "receive", {}))
        scenario = plan.scenario
        if scenario == "received":
            return self._fit(plan)
        if scenario == "rejected":
            staff((3, 60), "reject")
            return self._fit(plan)
        if scenario == "acknowledged":
            staff((2, 20), "triage")
            staff((3, 25), "answer", by="operator")  # the centre answers simple ones itself, within minutes
            staff((60, 600), "close")
            return self._fit(plan)
        if scenario == "transfer_out":
            staff((10, 180), "transfer_org")
            calendar = competent_calendar
            scenario = self._weighted({"closed": 5, "rated": 2, "in_progress": 2, "assigned": 1})
        dept_transfer = scenario in ("transferred", "transferred_then_closed")
        staff((5, 60), "triage", wrong_dept=dept_transfer)
        if scenario == "triaged":
            return self._fit(plan)
        if dept_transfer:
            staff((30, 300), "transfer_dept")
            if scenario == "transferred":
                return self._fit(plan)
        staff((10, 120), "assign")
        if scenario == "assigned":
            return self._fit(plan)
        staff((10, 240), "start")
        # A reply goes to the case holding the citizen's message: after an organisation transfer that is the
        # closed original, so only cases that stayed put get "any news?" replies.
        if rng.random() < 0.1 and plan.org == plan.competent:
            citizen((1, 20), "follow_up", text=rng.choice(data.STILL_OPEN_FOLLOW_UPS))
        if scenario == "in_progress":
            return self._fit(plan)
        if scenario in ("on_hold", "hold_then_closed"):
            staff((60, 480), "hold", reason=rng.choice(data.HOLD_REASONS))
            if scenario == "on_hold":
                return self._fit(plan)
            staff((480, 2400), "resume")
        if scenario in ("extended", "extended_then_closed"):
            staff((60, 300), "extend", reason=rng.choice(data.EXTENSION_REASONS))
            if scenario == "extended":
                return self._fit(plan)
        days_type = plan.topic.complaint_type not in (ComplaintType.other, ComplaintType.opinion)
        staff((480, 3600) if days_type else (30, 330), "answer")
        if scenario == "answered":
            return self._fit(plan)
        if scenario in ("reopened", "reopened_then_closed"):
            if self._channel(self.world.specs[plan.org], plan.account) in (Channel.web, Channel.phone, Channel.visit):
                staff((60, 960), "reopen", reason=rng.choice(data.REOPEN_REASONS))
            else:
                citizen((2, 60), "follow_up", text=rng.choice(data.FOLLOW_UPS))
            if scenario == "reopened":
                return self._fit(plan)
            staff((240, 1440), "answer", again=True)
        staff((60, 960), "close")
        if scenario == "rated" or (scenario.endswith("closed") and rng.random() < 0.3):
            score = rng.choices([5, 4, 3, 2, 1], weights=[45, 25, 15, 10, 5])[0]
            comment = rng.choice(data.RATING_COMMENTS[score]) if rng.random() < 0.6 else None
            citizen((0.5, 48), "rate", score=score, comment=comment)
        return self._fit(plan)

    def _fit(self, plan: _Plan) -> None:
        """Squeeze steps planned past the present into the time left, keeping their order."""
        cap = self.now - PRESENT_MARGIN
        fitted: list[tuple[dt.datetime, str, dict[str, Any]]] = []
        previous = plan.received_at
        for position, (when, name, kw) in enumerate(plan.steps):
            if when > cap or when < previous:
                remaining = len(plan.steps) - position
                when = previous + (cap - previous) / (remaining + 1)
            fitted.append((when, name, kw))
            previous = when
        plan.steps = fitted


def _plans(world: _World, rng: random.Random, now: dt.datetime, count: int) -> list[_Plan]:
    planner = _Planner(world, rng, now)
    plans: list[_Plan] = []
    for index in range(count):
        if index < len(_REQUIRED):
            scenario, kind, age = _REQUIRED[index]
            plans.append(planner.plan(index, kind=kind, scenario=scenario, age=age))
        else:
            plans.append(planner.plan(index))
    return plans


# --------------------------------------------------------------------------------------------- replay


class _Replayer:
    def __init__(self, session: Session, world: _World) -> None:
        self.session, self.world = session, world
        self.messages = 0

    def run(self, plan: _Plan, when: dt.datetime, name: str, kw: dict[str, Any]) -> None:
        if name != "receive" and self._hidden_at_intake(plan):
            return  # triage took it for chatter at intake: acknowledged and hidden, nobody works on it
        with clock_at(when):
            getattr(self, f"_{name}")(plan, when, **kw)

    def _hidden_at_intake(self, plan: _Plan) -> bool:
        if plan.case_id is None:
            return False
        case = self.session.get(Case, plan.case_id)
        return case is not None and case.reject_reason is RejectReason.not_relevant

    # Who acts: the personas of the organisation and department that hold the case at that moment.
    def _operator(self, plan: _Plan) -> Actor:
        return self.world.actor(f"{plan.current_org}.operator")

    def _manager(self, plan: _Plan) -> Actor:
        return self.world.actor(f"{plan.current_org}.{plan.current_dept}.manager")

    def _officer(self, plan: _Plan) -> Actor:
        if plan.current_dept is None:
            return self._operator(plan)
        return self.world.actor(f"{plan.current_org}.{plan.current_dept}.officer")

    def _case_id(self, plan: _Plan) -> int:
        assert plan.case_id is not None
        return plan.case_id

    def _receive(self, plan: _Plan, when: dt.datetime) -> None:
        account = self.world.accounts[(plan.org, plan.account)]
        place = plan.place
        lat = place.lat + (plan.index % 7 - 3) * 0.0004 if plan.located else None
        lon = place.lon + (plan.index % 5 - 2) * 0.0004 if plan.located else None
        self.messages += 1
        plan.current_org = plan.org
        if account.channel is Channel.web:
            case = actions.submit_web_form(
                self.session,
                org_slug=plan.org,
                text=plan.text,
                submission_id=f"demo-{plan.index:05d}",
                received_at=when,
                latitude=lat,
                longitude=lon,
                address=place.name if plan.located else None,
                phone=plan.contact.get("phone"),
                email=plan.contact.get("email"),
            )
            plan.case_id = case.id
            return
        result = actions.receive_message(
            self.session,
            account_id=account.id,
            inbound=InboundMessage(
                external_id=plan.external_id,
                text=plan.text,
                received_at=when,
                author_handle=plan.author_handle,
                author_name=plan.author_name,
                raw={"demo": True, "source": account.channel.value},
                latitude=lat,
                longitude=lon,
                address=place.name if plan.located else None,
                contact=plan.contact,
            ),
            actor=CITIZEN,
        )
        assert result.case is not None  # built without `chat`: a case of its own
        plan.case_id = result.case.id

    def _follow_up(self, plan: _Plan, when: dt.datetime, text: str) -> None:
        account = self.world.accounts[(plan.org, plan.account)]
        self.messages += 1
        actions.receive_message(
            self.session,
            account_id=account.id,
            inbound=InboundMessage(
                external_id=f"{plan.external_id}-re{self.messages}",
                text=text,
                received_at=when,
                author_handle=plan.author_handle,
                author_name=plan.author_name,
                in_reply_to_external_id=plan.external_id,
                raw={"demo": True},
                contact=plan.contact,
            ),
            actor=CITIZEN,
        )

    def _triage(self, plan: _Plan, when: dt.datetime, wrong_dept: bool = False) -> None:
        topic = plan.topic
        org = plan.current_org
        category = self.world.categories[(org, topic.code)]
        dept_code = self.world.dept_code_of(org, topic.code)
        department_id = None
        if wrong_dept and dept_code is not None:
            # The desk's first guess is a neighbouring department; it will send the case on (이송).
            others = [d.code for d in self.world.specs[org].departments if d.code != dept_code]
            dept_code = others[plan.index % len(others)]
            department_id = self.world.depts[(org, dept_code)].id
        actions.triage(
            self.session,
            actor=self._operator(plan),
            case_id=self._case_id(plan),
            complaint_type=topic.complaint_type,
            category_id=category.id,
            department_id=department_id,
            is_public=False if topic.non_public else None,
            is_whistleblower=True if topic.whistleblower else None,
        )
        plan.current_dept = dept_code
        # The desk reviews the public version as it triages (공개 검토); one in seven waits in the review list, as
        # do the cases not yet triaged.
        if not topic.non_public and not topic.whistleblower and plan.index % 7 != 3:
            actions.release(self.session, actor=self._operator(plan), case_id=self._case_id(plan))

    def _transfer_dept(self, plan: _Plan, when: dt.datetime) -> None:
        right = self.world.dept_code_of(plan.current_org, plan.topic.code)
        assert right is not None
        target = self.world.depts[(plan.current_org, right)]
        actions.transfer_to_department(
            self.session,
            actor=self._manager(plan),
            case_id=self._case_id(plan),
            department_id=target.id,
            reason=data.TRANSFER_DEPT_REASON.format(to=target.name),
        )
        plan.current_dept = right

    def _transfer_org(self, plan: _Plan, when: dt.datetime) -> None:
        target = self.world.orgs[plan.competent]
        level = "city" if plan.competent == "seoul" else "district"
        topic_name = next(
            name for code, name, _ in self.world.specs[plan.competent].categories if code == plan.topic.code
        )
        new_case = actions.transfer_to_organisation(
            self.session,
            actor=self._operator(plan),
            case_id=self._case_id(plan),
            target_org_id=target.id,
            reason=FORMATTER.format(data.TRANSFER_ORG_REASONS[level], topic=topic_name, to=target.name),
        )
        plan.case_id, plan.current_org, plan.current_dept = new_case.id, plan.competent, None

    def _assign(self, plan: _Plan, when: dt.datetime) -> None:
        officer = self.world.users[f"{plan.current_org}.{plan.current_dept}.officer"]
        actions.assign(self.session, actor=self._manager(plan), case_id=self._case_id(plan), officer_id=officer.id)

    def _start(self, plan: _Plan, when: dt.datetime) -> None:
        actions.start_work(self.session, actor=self._officer(plan), case_id=self._case_id(plan))

    def _hold(self, plan: _Plan, when: dt.datetime, reason: str) -> None:
        until = (when + dt.timedelta(days=7)).astimezone(ZoneInfo(SEOUL_TZ)).date()  # a week, as centres often say
        actions.hold(self.session, actor=self._manager(plan), case_id=self._case_id(plan), reason=reason, until=until)

    def _resume(self, plan: _Plan, when: dt.datetime) -> None:
        actions.resume(self.session, actor=self._manager(plan), case_id=self._case_id(plan))

    def _extend(self, plan: _Plan, when: dt.datetime, reason: str) -> None:
        case = self.session.get(Case, self._case_id(plan))
        assert case is not None
        # The statute allows one extension as long as the original period; cities use all of it.
        actions.extend(
            self.session,
            actor=self._officer(plan),
            case_id=case.id,
            value=case.period_value,
            unit=case.period_unit,
            reason=reason,
        )

    def _answer(self, plan: _Plan, when: dt.datetime, by: str = "officer", again: bool = False) -> None:
        org = self.world.orgs[plan.current_org]
        dept = self.world.depts[(plan.current_org, plan.current_dept)] if plan.current_dept else None
        templates = data.REANSWERS if again else plan.topic.answers
        body = templates[plan.index % len(templates)].format(
            org=org.name,
            dept=dept.name if dept else "",
            place=plan.place.name,
            bus=plan.bus,
            date=f"{when.astimezone(self.world.calendars[org.slug].tz):%-m월 %-d일}",
        )
        actor = self._operator(plan) if by == "operator" else self._officer(plan)
        actions.answer(self.session, actor=actor, case_id=self._case_id(plan), body=body)

    def _close(self, plan: _Plan, when: dt.datetime) -> None:
        actions.close(self.session, actor=self._operator(plan), case_id=self._case_id(plan))

    def _reopen(self, plan: _Plan, when: dt.datetime, reason: str) -> None:
        actions.reopen(self.session, actor=self._operator(plan), case_id=self._case_id(plan), reason=reason)

    def _reject(self, plan: _Plan, when: dt.datetime) -> None:
        reason = {"spam": RejectReason.spam, "advertising": RejectReason.advertising}.get(
            plan.topic.kind, RejectReason.abuse
        )
        actions.reject(self.session, actor=self._operator(plan), case_id=self._case_id(plan), reason=reason)

    def _rate(self, plan: _Plan, when: dt.datetime, score: int, comment: str | None) -> None:
        case = self.session.get(Case, self._case_id(plan))
        assert case is not None and case.citizen_token is not None
        actions.rate(self.session, case_number=case.number, token=case.citizen_token, score=score, comment=comment)


def _timeline(plans: list[_Plan]) -> Iterator[tuple[dt.datetime, _Plan, int]]:
    """Every step of every plan in time order (a case's steps stay in their own order)."""
    heap = [(plan.steps[0][0], plan.index, 0) for plan in plans if plan.steps]
    heapq.heapify(heap)
    by_index = {plan.index: plan for plan in plans}
    while heap:
        when, index, position = heapq.heappop(heap)
        plan = by_index[index]
        yield when, plan, position
        if position + 1 < len(plan.steps):
            heapq.heappush(heap, (plan.steps[position + 1][0], index, position + 1))


# --------------------------------------------------------------------------------------------- settling


def _settle_demo_outbox(session: Session) -> int:
    """Mark the demo's historic deliveries as sent, so `sotong worker` does not try to deliver them.

    The demo's citizens and accounts are fictional and have no platform credentials: delivering their
    receipts and answers would only fail and fill the console's "failed deliveries" list. In-app
    notifications about cases that are still open stay pending: the worker turns them into the officers'
    unread notifications, which is what a staff user logging in to the demo should see.
    """
    open_cases = select(Case.id).where(Case.status.in_(OPEN_STATUSES))
    result = session.execute(
        update(OutboxItem)
        .where(OutboxItem.status == OutboxStatus.pending)
        .where((OutboxItem.transport != "inapp") | OutboxItem.case_id.not_in(open_cases))
        .values(
            status=OutboxStatus.sent,
            sent_at=OutboxItem.created_at,
            attempts=1,
            external_ref="demo-history",
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------- entry


def has_organisations(session: Session) -> bool:
    """True when the database already holds an organisation (the demo loads only into an empty one)."""
    return bool(session.scalar(select(func.count()).select_from(Organisation)))


def load_demo(
    session: Session,
    *,
    seed: int = 2012,
    messages: int = 300,
    now: dt.datetime | None = None,
    progress: ProgressFn | None = None,
    base_url: str | None = None,
) -> DemoResult:
    """Create the demo organisations, personas and `messages` citizen messages replayed over the last month;
    the accounts with a bundled sandbox talk to it at `base_url` (the settings' unless given)."""
    if messages < 0:
        raise ValueError("messages must not be negative")
    anchor = (now or utcnow()).astimezone(dt.UTC)
    rng = random.Random(seed)
    with atomic(session):
        # The organisations exist before the month of history starts.
        with clock_at(anchor - dt.timedelta(days=HISTORY_DAYS + 5)):
            world = _build_world(
                session, anchor=anchor, progress=progress, base_url=base_url or get_settings().base_url
            )
        plans = _plans(world, rng, anchor, messages)
        replayer = _Replayer(session, world)
        total = sum(len(plan.steps) for plan in plans)
        label = "민원 이력 재생 (replaying a month of complaints)"
        if progress:
            progress(label, 0, total)
        for done, (when, plan, position) in enumerate(_timeline(plans), start=1):
            _when, name, kw = plan.steps[position]
            replayer.run(plan, when, name, kw)
            if progress and (done % 25 == 0 or done == total):
                progress(label, done, total)
        with clock_at(anchor):
            _settle_demo_outbox(session)
            # From now on 송파구's departments hand new cases to their on-duty officers themselves (자동 배정);
            # set after the replay, so the month of history keeps its hand-made assignments.
            for (slug, _code), department in world.depts.items():
                if slug == "songpa":
                    set_assignment_policy(
                        session, actor=CLI, department_id=department.id, policy=AssignmentPolicy.round_robin
                    )
        counts = Counter(session.scalars(select(Case.status)))
        case_count = sum(counts.values())
        message_count = session.scalar(select(func.count()).select_from(Message)) or 0
    return DemoResult(
        password=data.DEMO_PASSWORD,
        logins=world.logins,
        case_count=case_count,
        message_count=message_count,
        status_counts={CaseStatus(status).value: n for status, n in counts.items()},
    )


def existing_demo_logins(session: Session) -> list[Login]:
    """The demo personas still present in this database (what `make run` reprints on a later start)."""
    users = {
        user.username: user
        for user in session.scalars(
            select(User).where(User.username.in_([p.username for spec in data.ORGS for p in data.personas(spec)]))
        )
        if user.is_active
    }
    departments = {d.id: d.name for d in session.scalars(select(Department))}
    organisations = {o.id: o.name for o in session.scalars(select(Organisation))}
    return [
        Login(organisations[user.org_id], user.username, user.role, departments.get(user.department_id or 0))
        for spec in data.ORGS
        for persona in data.personas(spec)
        if (user := users.get(persona.username)) is not None
    ]


__all__ = ["DemoResult", "Login", "existing_demo_logins", "has_organisations", "load_demo"]


def _connector(channel: Channel) -> Connector:
    connector = registry.get_connector(channel.value)
    if connector is None:
        raise ValueError(f"the demo has an account on {channel.value}, which has no connector")
    return connector
