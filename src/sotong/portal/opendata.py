"""Routes of the public statistics, map, feeds and open-data exports (no log-in, public cases only).

  /stats                       statistics page: charts as inline SVG with data tables, the map of clusters
  /stats/map.json              clusters of a map area at a finer grid (map.js asks when the visitor zooms in)
  /feeds/{new|answered}.{rss|atom}?org=&category=   feeds of new and of answered cases
  /data                        the open-data schema, licence and links
  /data/cases.csv, /data/cases.json ?org=&from=&to=   every public case, streamed

Statistics, clusters and feeds come from a per-process cache at most `stats_cache_seconds` (≤ 60) old.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.db import utcnow
from sotong.errors import InvalidInput, NotFound
from sotong.i18n import translate
from sotong.orgs.models import Organisation
from sotong.portal import charts, export, feeds, pagecache, stats
from sotong.portal.generation import CHECKED, GenerationWatch
from sotong.settings import Settings
from sotong.web import maps
from sotong.web.deps import AppSettings, DbSession
from sotong.web.params import check_date_range
from sotong.web.templating import render, request_language

router = APIRouter(include_in_schema=False)
T = TypeVar("T")

OVERVIEW_CELL = 0.01  # degrees: ~1.1 km, about 40 clusters across Seoul
PUBLIC_CACHE = "public, max-age=60"
STATS_PAGE_SECONDS = 10


def forget_public(state: Any) -> None:
    """Empty the app's caches of public pages, feeds and figures: a case was hidden, edited or released
    (`cases.actions.on_public_change`, registered by app.py), and must not wait for a TTL to leave them."""
    page_cache: pagecache.PageCache | None = getattr(state, "page_cache", None)
    if page_cache is not None:
        page_cache.clear()
    cache: stats.TTLCache | None = getattr(state, "opendata_cache", None)
    if cache is not None:
        cache.clear()


def _cache(request: Request) -> stats.TTLCache:
    """The app's cache of public aggregates (one per process; tests get a fresh one with each app)."""
    watch: GenerationWatch | None = getattr(request.app.state, "generation_watch", None)
    if watch is not None and not getattr(request.state, CHECKED, False):
        setattr(request.state, CHECKED, True)
        watch.check()  # another process may have hidden a case: its feeds and figures go now, not after the TTL
    cache: stats.TTLCache | None = getattr(request.app.state, "opendata_cache", None)
    if cache is None:
        settings: Settings = request.app.state.settings
        # Figures are recomputed in the background once two thirds of their life is gone (see TTLCache).
        cache = stats.TTLCache(settings.stats_cache_seconds, refresh_after=settings.stats_cache_seconds * 2 / 3)
        request.app.state.opendata_cache = cache
    return cache


def _organisations(db: Session) -> list[Organisation]:
    return list(db.scalars(select(Organisation).order_by(Organisation.name)))


def _org(orgs: list[Organisation], slug: str | None, *, strict: bool) -> Organisation | None:
    if not slug:
        return None
    chosen = next((o for o in orgs if o.slug == slug), None)
    if chosen is None and strict:
        raise NotFound("no such organisation")
    return chosen


def _hours(lang: str) -> Any:
    def fmt(hours: float | None) -> str:
        if hours is None:
            return "–"
        if hours < 48:
            return translate(lang, "stats.unit.hours", n=f"{hours:,.1f}")
        return translate(lang, "stats.unit.days", n=f"{hours / 24:,.1f}")

    return fmt


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


@router.get("/stats")
def stats_page(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    period: str | None = None,
    grain: str | None = None,
    org: str | None = None,
) -> Response:
    """Public statistics with charts, their data tables and the map of located cases.

    For anonymous visitors the whole page is cached with its figures: it holds nothing personal (no form token,
    no user name), and rendering the charts and the map costs more than the cached SQL. The key is the language,
    the query and the age of the figures; the page's max-age is what is left of their freshness.
    """
    lang = request_language(request)
    cache = _cache(request)
    orgs = cache.get(("orgs",), lambda: _organisations(db))
    chosen = _org(orgs, org, strict=False)
    query = stats.StatsQuery.parse(period=period, grain=grain, org_id=chosen.id if chosen else None)
    tz = ZoneInfo(settings.timezone)
    sessions = request.app.state.sessions

    def figures(work: Callable[[Session, dt.datetime], T]) -> Callable[[], T]:
        # A session of its own and the time of computing: a background refresh outlives this request.
        def compute() -> T:
            with sessions() as session:
                return work(session, utcnow())

        return compute

    # Nothing computed in SQL depends on the grain: switching day/week/month is a roll-up in Python.
    summary_at, summary = cache.get_stamped(
        ("summary", query.period, query.org_id),
        figures(lambda s, now: stats.compute_summary(s, query, tz=tz, now=now)),
        refresh=True,
    )
    days_at, days = cache.get_stamped(
        ("days", query.period, query.org_id),
        figures(lambda s, now: stats.daily_counts(s, query, tz=tz, now=now)),
        refresh=True,
    )
    map_at, found = cache.get_stamped(
        ("map", query, OVERVIEW_CELL, None),
        figures(lambda s, now: stats.clusters(s, query, tz=tz, now=now, cell_degrees=OVERVIEW_CELL)),
        refresh=True,
    )
    born = min(summary_at, days_at, map_at)
    now = utcnow()

    def build() -> bytes:
        result = dataclasses.replace(summary, query=query, volume=stats.volume(days, query, tz=tz, now=now))
        channel_rows = [
            stats.Row(key=r.key, label=translate(lang, f"channel.{r.key}"), value=r.value, extra=r.extra)
            for r in result.by_channel
        ]
        feed_query = urlencode({"org": chosen.slug} if chosen else {})
        page = render(
            request,
            "portal/stats.html",
            {
                "s": result,
                "query": query,
                "orgs": orgs,
                "chosen": chosen,
                "periods": list(stats.PERIODS),
                "grains": stats.GRAINS,
                "volume_chart": charts.column_chart(result.volume),
                "channel_rows": channel_rows,
                "channel_chart": charts.bar_chart(channel_rows),
                "on_time_chart": charts.bar_chart(result.on_time, fmt=_percent, peak=1.0),
                "category_chart": charts.bar_chart(result.top_categories),
                "map": maps.map_view(found),
                "tile_url": settings.map_tile_url,
                "hours": _hours(lang),
                "percent": _percent,
                "feed_query": ("?" + feed_query) if feed_query else "",
                "cache_seconds": settings.stats_cache_seconds,
            },
        )
        return bytes(page.body)

    if not pagecache.anonymous(request):
        return HTMLResponse(build())  # a flash message for this visitor alone may be on it: never shared
    # The rendered page expires with the oldest figures it shows (`born`), so it is never older than they may be.
    page_key = ("page", lang, tuple(sorted(request.query_params.multi_items())), born)
    _, body = cache.get_stamped(page_key, build, born=born)
    # What is left of the figures' freshness, so neither the page cache nor a proxy stretches the 60 s promise;
    # and at most STATS_PAGE_SECONDS, so the view is asked often enough to start the background refresh.
    response = pagecache.mark_public(HTMLResponse(body), min(cache.remaining(born), STATS_PAGE_SECONDS))
    csp = maps.tile_csp(settings)
    if csp:
        response.headers["Content-Security-Policy"] = csp
    return response


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if not value:
        return None
    try:
        west, south, east, north = (float(p) for p in value.split(","))
    except ValueError:
        raise InvalidInput("bbox must be west,south,east,north in degrees") from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidInput("bbox must be west,south,east,north in degrees")
    # Rounded so that every small pan does not become a new cache entry.
    return round(west, 3), round(south, 3), round(east, 3), round(north, 3)


@router.get("/stats/map.json")
def map_clusters(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    period: str | None = None,
    org: str | None = None,
    bbox: str | None = None,
    cell: float = OVERVIEW_CELL,
) -> JSONResponse:
    """Clusters of located public cases (coarsened to ~50 m) in a map area, for the map's zoom."""
    orgs = _organisations(db)
    chosen = _org(orgs, org, strict=False)
    query = stats.StatsQuery.parse(period=period, grain=None, org_id=chosen.id if chosen else None)
    area = _bbox(bbox)
    # Never finer than the public grid, never so coarse that the whole country is one dot.
    size = round(min(max(cell, stats.COARSE_LAT), 0.5), 5)
    tz = ZoneInfo(settings.timezone)
    now = utcnow()
    found = _cache(request).get(
        ("map", query, size, area),
        lambda: stats.clusters(db, query, tz=tz, now=now, cell_degrees=size, bbox=area),
    )
    body = {
        "cell_degrees": size,
        "clusters": [{"latitude": c.latitude, "longitude": c.longitude, "count": c.count} for c in found],
    }
    return JSONResponse(body, headers={"Cache-Control": PUBLIC_CACHE})


@router.get("/feeds/{name}")
def feed(
    name: str,
    request: Request,
    db: DbSession,
    settings: AppSettings,
    org: str | None = None,
    category: str | None = None,
) -> Response:
    """RSS 2.0 (`.rss`) or Atom (`.atom`) of new or answered public cases, per organisation and category."""
    kind, _, fmt = name.partition(".")
    if kind not in feeds.KINDS or fmt not in feeds.FORMATS:
        raise NotFound("no such feed")
    orgs = _organisations(db)
    chosen = _org(orgs, org, strict=True)
    code = (category or "").strip()[:64] or None
    lang = request_language(request)
    params = urlencode({k: v for k, v in {"org": chosen.slug if chosen else None, "category": code}.items() if v})
    self_url = f"{settings.base_url}/feeds/{name}" + (f"?{params}" if params else "")
    title_bits = [translate(lang, f"stats.feed.{kind}"), chosen.name if chosen else None, code]
    title = " · ".join(b for b in title_bits if b) + " · " + translate(lang, "app.name")
    answer_label = translate(lang, "stats.feed.answer")

    def build() -> bytes:
        entries = feeds.items(db, feeds.FeedFilter(kind=kind, org=chosen, category_code=code))
        if fmt == "rss":
            return feeds.rss(
                entries,
                title=title,
                site_url=settings.base_url,
                self_url=self_url,
                description=translate(lang, f"stats.feed.{kind}.description"),
                answer_label=answer_label,
            )
        return feeds.atom(
            entries,
            title=title,
            site_url=settings.base_url,
            self_url=self_url,
            updated=utcnow(),
            answer_label=answer_label,
        )

    body = _cache(request).get(("feed", kind, fmt, chosen.id if chosen else None, code, lang), build)
    media = "application/rss+xml" if fmt == "rss" else "application/atom+xml"
    return Response(body, media_type=f"{media}; charset=utf-8", headers={"Cache-Control": PUBLIC_CACHE})


@router.get("/data")
def data_page(request: Request, db: DbSession) -> Response:
    """The open-data page: download links, the field-by-field schema, the licence."""
    return render(
        request,
        "portal/data.html",
        {"fields": export.FIELDS, "orgs": _organisations(db), "feed_kinds": feeds.KINDS},
    )


def _day(value: str | None, name: str, tz: ZoneInfo) -> dt.datetime | None:
    if not value:
        return None
    try:
        day = check_date_range(dt.date.fromisoformat(value), name)
    except ValueError:
        raise InvalidInput(f"{name} must be a date like 2026-11-01") from None
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


def _export_filter(
    db: Session, settings: Settings, org: str | None, start: str | None, end: str | None
) -> tuple[export.ExportFilter, Organisation | None]:
    tz = ZoneInfo(settings.timezone)
    chosen = _org(_organisations(db), org, strict=True)
    until = _day(end, "to", tz)
    return (
        export.ExportFilter(
            org_id=chosen.id if chosen else None,
            received_from=_day(start, "from", tz),
            # `to` is inclusive: the whole local day.
            received_to=until + dt.timedelta(days=1) if until else None,
        ),
        chosen,
    )


def _filename(chosen: Organisation | None, ext: str) -> str:
    return f"sotong-cases{'-' + chosen.slug if chosen else ''}-{utcnow():%Y%m%d}.{ext}"


@router.get("/data/cases.csv")
def cases_csv(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    org: str | None = None,
    start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
) -> StreamingResponse:
    """Every public case as CSV (UTF-8 with BOM for Excel), streamed batch by batch."""
    chosen_filter, chosen = _export_filter(db, settings, org, start, end)
    rows = export.records(request.app.state.sessions, chosen_filter, base_url=settings.base_url, batch=export.BATCH)
    return StreamingResponse(
        export.csv_chunks(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(chosen, "csv")}"'},
    )


@router.get("/data/cases.json")
def cases_json(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    org: str | None = None,
    start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
) -> StreamingResponse:
    """Every public case as one JSON document `{"meta": ..., "cases": [...]}`, streamed batch by batch."""
    chosen_filter, chosen = _export_filter(db, settings, org, start, end)
    rows = export.records(request.app.state.sessions, chosen_filter, base_url=settings.base_url, batch=export.BATCH)
    meta = {
        "schema": f"{settings.base_url}/data",
        "licence": "CC BY 4.0",
        "generated_at": utcnow().isoformat(),
        "organisation": chosen.slug if chosen else None,
        "from": start,
        "to": end,
        "fields": export.FIELD_NAMES,
    }
    return StreamingResponse(
        export.json_chunks(rows, meta=meta),
        media_type="application/json",
        headers={"Content-Disposition": f'inline; filename="{_filename(chosen, "json")}"'},
    )
