"""RSS 2.0 and Atom feeds of new and of answered public cases, per category and per district (organisation).

Built with ElementTree, so every text is escaped; characters XML 1.0 forbids (a stray control character in a
complaint) are dropped first, or a single case would make the whole feed unreadable to every reader.
Only masked text is used, and it is masked once more on the way out (cheap for 50 items, and a template or
import that ever forgot `mask` would still not leak).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Answer, Case
from sotong.orgs.models import Category, Organisation
from sotong.portal.stats import public_filter
from sotong.text.pii import mask

KINDS = ("new", "answered")
FORMATS = ("rss", "atom")
FEED_SIZE = 50
ATOM_NS = "http://www.w3.org/2005/Atom"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str | None) -> str:
    """Text safe to publish in XML: masked again, without characters XML 1.0 cannot carry."""
    return _XML_ILLEGAL.sub("", mask(text or ""))


@dataclass(frozen=True)
class FeedFilter:
    """Which cases a feed carries: new or answered, optionally one organisation and one category code."""

    kind: str
    org: Organisation | None = None
    category_code: str | None = None


@dataclass(frozen=True)
class Item:
    number: str
    title: str
    text: str
    answer: str | None
    at: dt.datetime
    received_at: dt.datetime
    category: str | None
    organisation: str


def items(session: Session, feed: FeedFilter, *, limit: int = FEED_SIZE) -> list[Item]:
    """The newest cases of the feed: newest received for 'new', newest answered for 'answered'."""
    query = select(Case).where(public_filter())
    if feed.org is not None:
        query = query.where(Case.org_id == feed.org.id)
    if feed.category_code:
        codes = select(Category.id).where(Category.code == feed.category_code)
        query = query.where(Case.category_id.in_(codes))
    if feed.kind == "answered":
        query = query.where(Case.answered_at.is_not(None)).order_by(Case.answered_at.desc(), Case.id.desc())
    else:
        # Ids grow with arrival: the primary key orders new cases without another index.
        query = query.order_by(Case.id.desc())
    cases = list(session.scalars(query.limit(limit)))
    if not cases:
        return []
    ids = [c.id for c in cases]
    answers: dict[int, str] = {}
    for case_id, body in session.execute(
        select(Answer.case_id, Answer.public_body).where(Answer.case_id.in_(ids)).order_by(Answer.created_at, Answer.id)
    ):
        if body:
            answers[case_id] = body  # the latest public answer wins
    cat_ids = {c.category_id for c in cases if c.category_id is not None}
    cat_names = (
        dict(session.execute(select(Category.id, Category.name).where(Category.id.in_(cat_ids))).all())
        if cat_ids
        else {}
    )
    org_names = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    out = []
    for c in cases:
        text = clean(c.public_text)
        first_line = clean(c.public_title) or (text.strip().splitlines()[0] if text.strip() else c.number)
        out.append(
            Item(
                number=c.number,
                title=first_line[:80] + ("…" if len(first_line) > 80 else ""),
                text=text,
                answer=clean(answers[c.id]) if c.id in answers else None,
                at=(c.answered_at if feed.kind == "answered" and c.answered_at else c.received_at),
                received_at=c.received_at,
                category=cat_names.get(c.category_id) if c.category_id else None,
                organisation=org_names.get(c.org_id, ""),
            )
        )
    return out


def _body(item: Item, answer_label: str) -> str:
    return item.text + (f"\n\n{answer_label}: {item.answer}" if item.answer else "")


def rss(entries: list[Item], *, title: str, site_url: str, self_url: str, description: str, answer_label: str) -> bytes:
    """An RSS 2.0 document of `entries`."""
    # Namespaces are written as plain attributes: ET.register_namespace would change every later serialisation.
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS})
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = title
    ET.SubElement(channel, "link").text = site_url
    ET.SubElement(channel, "description").text = description
    ET.SubElement(channel, "language").text = "ko"
    ET.SubElement(channel, "atom:link", {"href": self_url, "rel": "self", "type": "application/rss+xml"})
    if entries:
        ET.SubElement(channel, "lastBuildDate").text = format_datetime(max(e.at for e in entries))
    for e in entries:
        item = ET.SubElement(channel, "item")
        link = f"{site_url}/cases/{e.number}"
        ET.SubElement(item, "title").text = f"[{e.number}] {e.title}"
        ET.SubElement(item, "link").text = link
        ET.SubElement(item, "guid", {"isPermaLink": "true"}).text = link
        ET.SubElement(item, "pubDate").text = format_datetime(e.at)
        ET.SubElement(item, "description").text = _body(e, answer_label)
        if e.category:
            ET.SubElement(item, "category").text = e.category
        ET.SubElement(item, "source", {"url": self_url}).text = e.organisation or title
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def atom(
    entries: list[Item], *, title: str, site_url: str, self_url: str, updated: dt.datetime, answer_label: str
) -> bytes:
    """An Atom 1.0 document of `entries` (RFC 4287: id, title and updated on the feed and on every entry)."""

    def el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = ET.SubElement(parent, tag, attrs)
        if text is not None:
            node.text = text
        return node

    root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "ko"})
    el(root, "id", self_url)
    el(root, "title", title)
    el(root, "updated", (max((e.at for e in entries), default=updated)).isoformat())
    el(root, "link", href=self_url, rel="self", type="application/atom+xml")
    el(root, "link", href=site_url, rel="alternate", type="text/html")
    author = el(root, "author")
    el(author, "name", title)
    for e in entries:
        entry = el(root, "entry")
        link = f"{site_url}/cases/{e.number}"
        el(entry, "id", link)
        el(entry, "title", f"[{e.number}] {e.title}")
        el(entry, "updated", e.at.isoformat())
        el(entry, "published", e.received_at.isoformat())
        el(entry, "link", href=link, rel="alternate", type="text/html")
        if e.category:
            el(entry, "category", term=e.category)
        el(entry, "content", _body(e, answer_label), type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)
