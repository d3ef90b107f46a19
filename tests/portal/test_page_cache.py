"""The anonymous page cache: shared list pages for a few seconds, never a page meant for one visitor."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from sotong.cases import actions
from sotong.cases.models import ComplaintType
from sotong.portal import stats
from sotong.portal.pagecache import PageCache, PageCacheMiddleware, _Entry
from sotong.web.session import csrf_token, flash
from tests.factories import World
from tests.portal.helpers import another_process, received
from tests.web.conftest import login


class Clock:
    """Time the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _cached_app(client: TestClient) -> Clock:
    clock = Clock()
    client.app.state.page_cache.clock = clock  # type: ignore[attr-defined]
    return clock


def test_anonymous_list_is_served_from_memory_until_its_max_age(
    make_client: Callable[..., TestClient], session: Session, world: World
) -> None:
    c = make_client({"portal_cache_seconds": "5"})
    clock = _cached_app(c)
    first = received(session, world, "가로등이 꺼졌어요")
    page = c.get("/")
    assert page.headers["cache-control"] == "public, max-age=5"
    assert "set-cookie" not in page.headers  # an anonymous reader gets no session for reading
    assert first.number in page.text
    # Answered meanwhile (by this or another process): no change of what the public may see, so the stored page
    # stays until its max age (a release or hiding empties it at once: test_cache_across_processes.py).
    assert "답변 있음" not in page.text
    with another_process():
        actions.triage(
            session,
            actor=world.actor(world.operator),
            case_id=first.id,
            complaint_type=ComplaintType.grievance,
            category_id=world.pothole.id,
        )
        actions.answer(session, actor=world.actor(world.officer), case_id=first.id, body="교체했습니다.")
    clock.now += 4.9
    again = c.get("/")
    assert again.text == page.text  # the stored page, not a new render
    assert again.headers["x-frame-options"] == "DENY"  # the security headers come fresh with a stored page
    assert int(again.headers["age"]) == 4
    clock.now += 0.1
    assert "답변 있음" in c.get("/").text  # five seconds on: rendered again


def test_key_is_the_query_and_the_language(
    make_client: Callable[..., TestClient], session: Session, world: World
) -> None:
    c = make_client({"portal_cache_seconds": "5"})
    _cached_app(c)
    case = received(session, world, "가로등이 꺼졌어요")
    assert case.number in c.get("/?q=가로등").text
    assert case.number not in c.get("/?q=보도블럭").text  # another search is another page
    korean = c.get("/", headers={"accept-language": "ko"}).text
    english = c.get("/", headers={"accept-language": "en"}).text
    assert korean != english
    assert 'lang="en"' in english and 'lang="en"' in c.get("/", headers={"accept-language": "en-GB,en"}).text
    assert 'lang="ko"' in c.get("/?lang=ko&q=", headers={"accept-language": "en"}).text


def test_a_chosen_language_is_remembered_even_from_a_stored_page(
    make_client: Callable[..., TestClient], session: Session, world: World
) -> None:
    c = make_client({"portal_cache_seconds": "5"})
    _cached_app(c)
    TestClient(c.app).get("/?lang=en")  # another reader stores the English page
    assert len(c.app.state.page_cache) == 1  # type: ignore[attr-defined]
    assert 'lang="en"' in c.get("/?lang=en").text
    assert 'lang="en"' in c.get("/best").text  # this reader's choice sits in their session, as without a cache


def test_logged_in_staff_always_get_a_fresh_page_and_never_fill_the_cache(
    make_client: Callable[..., TestClient], session: Session, world: World
) -> None:
    staff = make_client({"portal_cache_seconds": "5"})
    _cached_app(staff)
    login(staff, world.operator)
    received(session, world, "첫 민원")
    staff.get("/")
    assert len(staff.app.state.page_cache) == 0  # type: ignore[attr-defined]
    second = received(session, world, "둘째 민원")
    page = staff.get("/")
    assert second.number in page.text
    assert "public" not in page.headers.get("cache-control", "")


def test_a_case_made_non_public_leaves_the_list_within_the_max_age_and_its_page_at_once(
    make_client: Callable[..., TestClient], session: Session, world: World
) -> None:
    c = make_client({"portal_cache_seconds": "5"})
    clock = _cached_app(c)
    case = received(session, world, "집 주소가 적힌 민원")
    assert case.number in c.get("/").text
    assert c.get(f"/cases/{case.number}").status_code == 200
    actions.triage(
        session, actor=world.actor(world.operator), case_id=case.id, complaint_type=ComplaintType.other, is_public=False
    )
    assert c.get(f"/cases/{case.number}").status_code == 404  # the case page is never stored
    clock.now += 5
    assert case.number not in c.get("/").text
    assert case.number not in c.get("/?q=주소").text


def test_a_hidden_case_leaves_the_cached_list_at_once(
    make_client: Callable[..., TestClient], session: Session, world: World
) -> None:
    c = make_client({"portal_cache_seconds": "5"})
    _cached_app(c)  # the clock stands still: only the hide can empty the cache
    case = received(session, world, "석촌호수로 가로등이 고장났어요. 밤에 너무 어두워요")
    assert case.number in c.get("/").text
    assert case.number in c.get("/?q=가로등").text
    actions.withhold(session, actor=world.actor(world.operator), case_id=case.id)
    assert case.number not in c.get("/").text
    assert case.number not in c.get("/?q=가로등").text


def test_turned_off_with_zero_seconds(make_client: Callable[..., TestClient], session: Session, world: World) -> None:
    c = make_client({"portal_cache_seconds": "0"})
    c.get("/")
    later = received(session, world, "바로 보여야 하는 민원")
    page = c.get("/")
    assert later.number in page.text
    assert "public" not in page.headers.get("cache-control", "")


def test_stats_max_age_never_outlives_the_figures(make_client: Callable[..., TestClient], world: World) -> None:
    c = make_client({"stats_cache_seconds": "60", "portal_cache_seconds": "5"})
    clock = _cached_app(c)
    c.app.state.opendata_cache = stats.TTLCache(60, clock=clock)  # type: ignore[attr-defined]
    assert c.get("/stats").headers["cache-control"] == "public, max-age=10"  # asked again within 10 s
    clock.now += 4
    assert int(c.get("/stats").headers["age"]) == 4  # the stored page, saying how much of it is used
    clock.now += 51
    # Re-rendered from 55 s old figures: only what is left of their 60 s may be promised.
    assert c.get("/stats").headers["cache-control"] == "public, max-age=5"


# -- the middleware on its own, with pages that set cookies, flash, or print a form token ------------------------


def _tiny(clock: Clock) -> TestClient:
    async def page(request: Request) -> Response:
        body = f"page {clock.now}"
        kind = request.query_params.get("kind")
        if kind == "form":
            body += csrf_token(request)
        elif kind == "flash":
            flash(request, "success", "저장했습니다")
        response = PlainTextResponse(body, headers={"Cache-Control": "public, max-age=5"})
        if kind == "cookie":
            response.set_cookie("seen", "1")
        if kind == "private":
            response.headers["Cache-Control"] = "private, max-age=5"
        return response

    app = FastAPI(routes=[Route("/", page)])
    cache = PageCache(max_seconds=60, clock=clock)
    app.add_middleware(PageCacheMiddleware, cache=cache)
    app.add_middleware(SessionMiddleware, secret_key="test-secret-key-that-is-long-enough-0123456789")
    app.state.page_cache = cache
    return TestClient(app)


def test_responses_that_set_a_cookie_or_touch_the_session_are_never_stored() -> None:
    clock = Clock()
    c = _tiny(clock)
    for kind in ("cookie", "form", "flash", "private"):
        c.cookies.clear()
        first = c.get(f"/?kind={kind}").text
        clock.now += 1
        c.cookies.clear()
        assert c.get(f"/?kind={kind}").text != first, kind
    assert len(c.app.state.page_cache) == 0  # type: ignore[attr-defined]
    shared = c.get("/").text
    clock.now += 1
    assert c.get("/").text == shared  # the plain public page is stored


def test_a_visitor_with_a_queued_message_is_not_served_a_stored_page() -> None:
    clock = Clock()
    c = _tiny(clock)
    stored = c.get("/").text
    c.get("/?kind=flash")  # queues a message in this visitor's session
    clock.now += 1
    assert c.get("/").text != stored  # rendered for them (the message is theirs to see)


def test_concurrent_misses_of_one_page_render_it_once() -> None:
    renders: list[int] = []

    async def scenario() -> list[str]:
        gate = asyncio.Event()

        async def page(request: Request) -> Response:
            renders.append(1)
            await gate.wait()  # held until every reader has asked
            return PlainTextResponse("the list", headers={"Cache-Control": "public, max-age=5"})

        app = PageCacheMiddleware(Starlette(routes=[Route("/", page)]), PageCache(max_seconds=5, clock=Clock()))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal") as c:
            readers = [asyncio.create_task(c.get("/")) for _ in range(5)]
            while not renders:
                await asyncio.sleep(0)
            for _ in range(20):  # let the other four reach the cache and find the render under way
                await asyncio.sleep(0)
            gate.set()
            return [r.text for r in await asyncio.gather(*readers)]

    assert asyncio.run(scenario()) == ["the list"] * 5
    assert renders == [1]


def test_memory_is_bounded_expired_pages_going_first() -> None:
    clock = Clock()
    cache = PageCache(max_seconds=60, max_entries=2, clock=clock)
    make = _Entry
    cache.put(("/", (("q", "a"),), "ko"), make(clock.now, clock.now + 5, [], b"a"))
    cache.put(("/", (("q", "b"),), "ko"), make(clock.now, clock.now + 60, [], b"b"))
    clock.now += 6  # the first one is stale now
    cache.put(("/", (("q", "c"),), "ko"), make(clock.now, clock.now + 5, [], b"c"))
    assert len(cache) == 2
    assert cache.get(("/", (("q", "a"),), "ko")) is None
    cache.put(("/", (("q", "d"),), "ko"), make(clock.now, clock.now + 30, [], b"d"))  # full of fresh ones
    assert cache.get(("/", (("q", "c"),), "ko")) is None  # the one to expire soonest made room
    assert cache.get(("/", (("q", "b"),), "ko")) is not None
