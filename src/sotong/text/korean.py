"""Korean text as the product reads it: SNS and e-mail writing normalised, then morphemes (kiwipiepy).

Citizens write on X and KakaoTalk with no spaces, ㅋㅋㅋㅋ, #해시태그, @mentions and links, and by e-mail with
signatures and whole quoted threads. The models learn from what the citizen said this time, so quoted replies
and signatures are cut, and the rest is brought to one form before features are drawn from it.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

# Lines from which everything below is an earlier message quoted by the mail client.
_QUOTE_HEADERS = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|원본 메시지|전달된 메시지|forwarded message)\s*-{2,}"
    r"|on .{4,80} wrote:|.{2,80}(?:님이|님께서) 작성(?:하신|한) 글|보낸 사람\s*:|from\s*:.*@|-----\s*$)",
    re.IGNORECASE | re.MULTILINE,
)
# Signature delimiters and phone/mail client footers: what follows says nothing about the complaint.
_SIGNATURE = re.compile(
    r"^\s*(?:--\s*$|sent from my .*|.{0,20}에서 보냄\s*$|iphone에서 보냄|galaxy.{0,20}에서 보냄)",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED_LINE = re.compile(r"^\s*>.*$", re.MULTILINE)
# A letter's opening and closing lines when they say nothing else ("안녕하세요.", "감사합니다."): common in e-mails,
# uneven across the categories of the history a model learns from, so they tilted its category. Wrapping each
# development complaint in these two lines changed the predicted category of 10% of them (bench/triage_robustness.py).
_FORMULA = (
    r"(?:안녕하(?:세요|십니까|세여)|수고\s*(?:많으십니다|하십니다|많으세요|하세요|하십시오)|감사(?:합니다|드립니다|해요)"
    r"|고맙습니다|좋은\s*(?:아침|하루|오후)\s*(?:입니다|되세요))"
)
_GREETING_LINES = re.compile(rf"\A(?:\s*{_FORMULA}[\s.!~^]*\n)+")
_CLOSING_LINES = re.compile(rf"(?:\n\s*{_FORMULA}[\s.!~^]*)+\s*\Z")
_ONLY_FORMULA = re.compile(rf"\s*(?:{_FORMULA}[\s.!~^]*)*")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w.])@[A-Za-z0-9_.]{2,30}(?:@[\w.-]+)?")
_HASHTAG = re.compile(r"#([0-9A-Za-z가-힣_]+)")
_REPEAT = re.compile(r"(.)\1{2,}")
# Letters written alone (ㅋㅋ, ㅠㅠ, ㄱㅅ); NFKC would turn them into combining jamo, so this runs first.
_LONE_JAMO = re.compile(r"[\u3131-\u318e]+")
_SPACES = re.compile(r"\s+")
# Emoji, ㅋㅋ and ㅠㅠ carry mood, not topic: complaints on SNS are full of them, so they are dropped (a message
# made only of them is caught by relevance's no-words rule).
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]+")

# Parts of speech that carry the topic: nouns, verb and adjective stems, roots, foreign words, numbers as a class.
_CONTENT_TAGS = ("NNG", "NNP", "VV", "VA", "XR", "SL", "SH", "NR", "MAG")


def strip_email(text: str) -> str:
    """The newest part of an e-mail: quoted replies, forwarded threads, signatures and lines of mere courtesy cut off.

    Only text of several lines is touched: a one-line "감사합니다 해결됐어요" keeps its thanks, which is what makes it
    chatter. A letter of nothing but courtesy keeps its lines too.
    """
    if "\n" not in text:
        return text
    match = _QUOTE_HEADERS.search(text)
    if match and match.start() > 0:
        text = text[: match.start()]
    match = _SIGNATURE.search(text)
    if match and match.start() > 0:
        text = text[: match.start()]
    text = _QUOTED_LINE.sub("", text)
    body = _CLOSING_LINES.sub("", _GREETING_LINES.sub("", text.strip()))
    return text if _ONLY_FORMULA.fullmatch(body) else body


def normalise(text: str) -> str:
    """One form for SNS and e-mail writing: NFKC, no links or mentions, hashtags as words, repeats shortened."""
    text = _LONE_JAMO.sub(" ", text)
    text = unicodedata.normalize("NFKC", text)
    text = strip_email(text)
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _HASHTAG.sub(lambda m: " " + m.group(1).replace("_", " ") + " ", text)
    text = _EMOJI.sub(" ", text)
    text = _REPEAT.sub(lambda m: m.group(1) * 2, text)
    return _SPACES.sub(" ", text).strip().lower()


def compact(text: str) -> str:
    """The normalised text without spaces: spacing errors (띄어쓰기) then give the same character n-grams."""
    return text.replace(" ", "")


class Morphemes:
    """kiwipiepy morphemes with a per-word cache.

    Analysing a whole message with kiwipiepy costs about 2 ms; most words of complaints repeat ("불법주차",
    "민원", "조치해주세요"), so words are analysed once and remembered. Words are analysed alone, which loses
    little for classification and makes a batch of thousands of messages cost only its new words.
    """

    def __init__(self, cache_size: int = 200_000) -> None:
        self._kiwi: Any = None
        self._lock = threading.Lock()
        # word → (content morphemes as features, their kiwipiepy ids for `embeddings`)
        self._cache: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {}
        self._cache_size = cache_size

    def analyser(self) -> Any:
        """The shared kiwipiepy analyser, loaded on first use (masking asks it about possible names too)."""
        with self._lock:
            if self._kiwi is None:
                from kiwipiepy import Kiwi

                # Two threads: the product runs on small servers shared with the web app and the database.
                self._kiwi = Kiwi(num_workers=2)
            return self._kiwi

    def _analyse_words(self, words: Sequence[str]) -> None:
        kiwi = self.analyser()
        if len(self._cache) + len(words) > self._cache_size:
            self._cache.clear()  # crude, but bounded: a worker's memory must not grow with its uptime
        for word, tokens in zip(words, kiwi.tokenize(list(words)), strict=True):
            content = [token for token in tokens if token.tag.split("-")[0] in _CONTENT_TAGS]
            self._cache[word] = (tuple(_content(content)), tuple(token.id for token in content))

    def words(self, text: str) -> list[str]:
        """The content morphemes of one normalised text."""
        return self.batch([text])[0]

    def batch(self, texts: Iterable[str]) -> list[list[str]]:
        """The content morphemes of each normalised text, analysing every unseen word once."""
        return self.analyse(texts)[0]

    def analyse(self, texts: Iterable[str]) -> tuple[list[list[str]], list[list[int]]]:
        """The content morphemes of each normalised text and their kiwipiepy ids, in the same order."""
        split = [text.split() for text in texts]
        missing = {w for words in split for w in words if w not in self._cache}
        if missing:
            self._analyse_words(sorted(missing))
            # A full cache was emptied to make room: words of this batch seen before are gone too.
            missing = {w for words in split for w in words if w not in self._cache}
            if missing:
                self._analyse_words(sorted(missing))
        cache = self._cache
        result: list[list[str]] = []
        ids: list[list[int]] = []
        empty: tuple[tuple[str, ...], tuple[int, ...]] = ((), ())
        for words in split:
            out: list[str] = []
            out_ids: list[int] = []
            for word in words:
                forms, word_ids = cache.get(word, empty)
                out.extend(forms)
                out_ids.extend(word_ids)
            result.append(out)
            ids.append(out_ids)
        return result, ids


def _content(tokens: Iterable[Any]) -> Iterable[str]:
    for token in tokens:
        tag = token.tag.split("-")[0]
        if tag in _CONTENT_TAGS:
            form = token.form
            if tag in ("VV", "VA"):
                form += "다"  # a stem alone ("깨지") is ambiguous with nouns; the dictionary form is not
            elif tag in ("SN", "NR"):
                form = "<수>"
            yield form


@lru_cache(maxsize=1)
def morphemes() -> Morphemes:
    """The process-wide morpheme analyser (kiwipiepy loads ~100 MB of models once)."""
    return Morphemes()
