"""Exactly once or visibly unknown, per channel: 200 deliveries through the real connector to the platform's fake
over real HTTP, with worker processes SIGKILLed after the platform accepted a message and before the worker
recorded it. Afterwards no message is at the platform twice, and every item is either sent (once) or shown as
"outcome unknown" (and then the platform does have it once: nothing is lost silently).

Platforms that drop a repeat (Mastodon's Idempotency-Key) or can be read back (X, Facebook comments, SENS's list
of requests) settle the killed items as sent; the others (Kakao's Event API, TalkTalk, Messenger, e-mail) leave
them "outcome unknown" for a person, and never send them again by themselves.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.audit.models import AuditEvent
from sotong.channels import accounts as channel_accounts
from sotong.db import atomic
from sotong.orgs.models import Channel
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.outbox.service import enqueue
from sotong.settings import get_settings
from tests.factories import World
from tests.fakes import graph as fake_graph
from tests.fakes import kakao as fake_kakao
from tests.fakes import mastodon as fake_mastodon
from tests.fakes import naver as fake_naver
from tests.fakes import sms as fake_sms
from tests.fakes import x as fake_x
from tests.mailservers import SMTP_PASSWORD, SMTP_USER, running_smtp
from tests.outbox.faults import run_with_kills

DELIVERIES = 200
KILLS = [23, 61, 40]  # the n-th accepted send of each doomed worker: mid-batch, each time somewhere else
TOKEN = re.compile(r"Q\d{4}Z")


@dataclass
class Channelled:
    """One channel under test: its transport, its account, how to address item n, and what the platform has."""

    transport: str
    channel: Channel
    config: dict[str, Any]
    address: Callable[[int], tuple[str | None, dict[str, Any]]]  # n → recipient, extra payload
    accepted: Callable[[], list[str]]  # every text the platform accepted
    settles: bool  # the killed items end up sent (a repeat is dropped or read back), not unknown


@contextmanager
def sms() -> Iterator[Channelled]:
    with fake_sms.running() as fake:
        config = {
            "gateway": "sens",
            "service_id": fake.service_id,
            "access_key": fake.access_key,
            "secret_key": fake.secret_key,
            "from_number": "02-410-1234",
            "api_url": fake.base_url,
        }
        yield Channelled(
            "sms",
            Channel.sms,
            config,
            lambda n: (f"0107000{n:04d}", {}),
            lambda: [m["content"] for m in fake.sent],
            True,  # SENS lists the requests it took: the next worker asks and records them sent
        )


@contextmanager
def kakao() -> Iterator[Channelled]:
    with fake_kakao.running() as fake:
        config = {
            "skill_token": "t",
            "bot_id": fake.bot_id,
            "rest_api_key": fake.rest_api_key,
            "api_url": fake.base_url,
        }
        yield Channelled(
            "kakao",
            Channel.kakao,
            config,
            lambda n: (f"botuser{n:04d}", {}),
            lambda: [e["event"]["data"]["text"] for e in fake.events],
            False,
        )


@contextmanager
def talktalk() -> Iterator[Channelled]:
    with fake_naver.running() as fake:
        config = {"authorization": fake.authorization, "api_url": fake.base_url}
        yield Channelled(
            "naver",
            Channel.naver,
            config,
            lambda n: (f"al-user{n:04d}", {}),
            lambda: [b["textContent"]["text"] for b in fake.sent],
            False,
        )


def _facebook_config(fake: fake_graph.FakeGraph) -> dict[str, Any]:
    return {
        "page_id": fake.page_id,
        "page_access_token": fake.page_token,
        "app_secret": fake.app_secret,
        "verify_token": "v",
        "graph_url": fake.graph_url,
    }


@contextmanager
def messenger() -> Iterator[Channelled]:
    with fake_graph.running() as fake:

        def address(n: int) -> tuple[str, dict[str, Any]]:
            mid, _ = fake.messenger("문의", psid=f"70{n:04d}")
            return f"70{n:04d}", {"in_reply_to_external_id": mid}

        yield Channelled(
            "facebook",
            Channel.facebook,
            _facebook_config(fake),
            address,
            lambda: [m["text"] for m in fake.sent_messages],
            False,
        )


@contextmanager
def facebook_comments() -> Iterator[Channelled]:
    with fake_graph.running() as fake:

        def address(n: int) -> tuple[str, dict[str, Any]]:
            comment_id, _ = fake.comment("도로가 파였어요", user_id=f"20{n:04d}")
            return f"20{n:04d}", {"in_reply_to_external_id": comment_id}

        def accepted() -> list[str]:
            return [o["message"] for o in fake.objects.values() if o["from"]["id"] == fake.page_id and o["parent"]]

        yield Channelled("facebook", Channel.facebook, _facebook_config(fake), address, accepted, True)


@contextmanager
def x() -> Iterator[Channelled]:
    with fake_x.running() as fake:
        fake.limit = 10_000  # the rate limit is another test's business
        config = {
            "base_url": fake.base_url,
            "bearer_token": fake.token,
            "user_id": fake.me["id"],
            "consumer_secret": fake.consumer_secret,
        }

        def address(n: int) -> tuple[str, dict[str, Any]]:
            tweet = fake.mention("보도블록이 깨졌어요", author=fake.user(f"citizen{n}"))
            return tweet["author_id"], {"in_reply_to_external_id": tweet["id"]}

        yield Channelled("x", Channel.x, config, address, lambda: [t["text"] for t in fake.replies()], True)


@contextmanager
def mastodon() -> Iterator[Channelled]:
    with fake_mastodon.running() as fake:
        config = {"base_url": fake.base_url, "access_token": fake.token}

        def address(n: int) -> tuple[str, dict[str, Any]]:
            status = fake.mention("가로등이 꺼졌어요", author=fake.citizen(f"citizen{n}"))
            return f"@citizen{n}@mastodon.social", {"in_reply_to_external_id": status["id"]}

        yield Channelled(
            "mastodon", Channel.mastodon, config, address, lambda: [s["content"] for s in fake.posted()], True
        )


@contextmanager
def email() -> Iterator[Channelled]:
    with running_smtp() as smtp:
        config = {
            "address": "minwon@songpa.example",
            "imap_host": "127.0.0.1",  # never read here: only answers are sent
            "imap_user": "minwon",
            "imap_password": "unused",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": "none",
            "smtp_user": SMTP_USER,
            "smtp_password": SMTP_PASSWORD,
        }

        def accepted() -> list[str]:
            return [str(sent.message.get_body(("plain",)).get_content()) for sent in smtp.sent]  # type: ignore[union-attr]

        def address(n: int) -> tuple[str, dict[str, Any]]:
            return f"citizen{n}@example.com", {"contact": {"email": f"citizen{n}@example.com"}}

        yield Channelled("email", Channel.email, config, address, accepted, False)


CHANNELS: dict[str, Callable[[], AbstractContextManager[Channelled]]] = {
    "sms": sms,
    "kakao": kakao,
    "talktalk": talktalk,
    "messenger": messenger,
    "email": email,
    "x": x,
    "mastodon": mastodon,
    "facebook_comment": facebook_comments,
}


@pytest.mark.parametrize("name", list(CHANNELS))
def test_a_kill_between_accepted_and_recorded_never_sends_twice_nor_loses_silently(
    name: str, db_url: str, session: Session, world: World
) -> None:
    with CHANNELS[name]() as channel:
        account = channel_accounts.create_channel_account(
            session,
            actor=CLI,
            org_id=world.songpa.id,
            channel=channel.channel,
            handle=f"fault-{name}",
            config=channel.config,
        )
        with atomic(session):
            for n in range(DELIVERIES):
                recipient, extra = channel.address(n)
                enqueue(
                    session,
                    org_id=world.songpa.id,
                    kind="answer",
                    transport=channel.transport,
                    recipient=recipient,
                    idempotency_key=f"fault:{name}:{n}",
                    payload={"channel_account_id": account.id, "case_number": "", "body": f"답변 Q{n:04d}Z", **extra},
                )

        try:
            in_window = run_with_kills(
                db_url, transport=channel.transport, kills=KILLS, lease_seconds=get_settings().outbox_lease_seconds
            )
        except AssertionError:
            session.expire_all()
            print(Counter((i.status, i.last_error) for i in session.scalars(select(OutboxItem))))
            raise

        session.expire_all()
        items = {item.id: item for item in session.scalars(select(OutboxItem))}
        tokens = Counter(t for text in channel.accepted() for t in TOKEN.findall(text))
        assert len(in_window) == len(KILLS)
        # Nothing twice at the platform, nothing missing from it.
        assert tokens == Counter({f"Q{n:04d}Z": 1 for n in range(DELIVERIES)})
        statuses = Counter(item.status for item in items.values())
        if channel.settles:
            assert statuses == {OutboxStatus.sent: DELIVERIES}
        else:
            # Every killed item, and only those, waits for a person, with the reason and an audit event.
            assert statuses == {OutboxStatus.sent: DELIVERIES - len(KILLS), OutboxStatus.unknown: len(KILLS)}
            unknown = {i for i, item in items.items() if item.status is OutboxStatus.unknown}
            assert unknown == set(in_window)
            assert {items[i].error_code for i in unknown} == {"interrupted"}
            events = session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.unknown")).all()
            assert sorted(e.details["item_id"] for e in events) == sorted(in_window)
        assert all(item.external_ref for item in items.values() if item.status is OutboxStatus.sent)
