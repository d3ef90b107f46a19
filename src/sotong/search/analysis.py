"""Korean text to search terms: the same morphemes for the stored document and for the query.

"가로등이 고장났어요" and a search for "가로등" meet on the morpheme 가로등, whatever particle or ending the
citizen used; verbs meet on their dictionary form (깨졌다, 깨진 -> 깨지다).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sotong.text.korean import morphemes, normalise

# Numbers say a lot in complaints ("46번 버스", "3호선"); the morpheme analyser folds them all into one class.
_NUMBER = re.compile(r"\d{2,}")
_PLACEHOLDER = "<수>"
MAX_QUERY_TERMS = 8


def warm() -> None:
    """Load the morpheme analyser now (seconds: kiwipiepy's model), not while a citizen's first message waits."""
    terms("보도블럭이 깨졌어요")


def terms(text: str) -> list[str]:
    """The search terms of one text, in order, duplicates kept (cheap, and harmless to both indexes)."""
    clean = normalise(text)
    if not clean:
        return []
    words = [w for w in morphemes().words(clean) if w != _PLACEHOLDER]
    return words + _NUMBER.findall(clean)


def document(texts: Iterable[str | None]) -> str:
    """The stored search document of several texts (complaint and answers): distinct terms, space-separated."""
    seen: dict[str, None] = {}
    for text in texts:
        for term in terms(text or ""):
            seen.setdefault(term, None)
    return " ".join(seen)


def query_terms(query: str) -> list[str]:
    """The distinct terms of a search query (at most MAX_QUERY_TERMS: a pasted paragraph is not a query)."""
    seen: dict[str, None] = {}
    for term in terms(query[:500]):
        seen.setdefault(term, None)
    return list(seen)[:MAX_QUERY_TERMS]
