"""The UI catalogue (Korean first, English available) and choosing a request's language.

Every string a person reads goes through here: `i18n/<lang>.json` and `i18n/<lang>/*.json` beside this file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from sotong.i18n.particles import FORMATTER

LANGUAGES = ("ko", "en")
CATALOGUE_DIR = Path(__file__).resolve().parent

Translator = Callable[..., str]


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(lang: str) -> dict[str, str]:
    """The flat key → text catalogue of one language: `i18n/<lang>.json` plus every `i18n/<lang>/*.json`.

    Each feature area may keep its strings in its own file (`i18n/ko/portal.json`, ...), so features grow
    without editing one shared catalogue; a key defined twice is an error rather than a silent override.
    """
    data: dict[str, str] = {}
    files = [CATALOGUE_DIR / f"{lang}.json", *sorted((CATALOGUE_DIR / lang).glob("*.json"))]
    for path in files:
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as handle:
            part: dict[str, str] = json.load(handle)
        clash = sorted(set(part) & set(data))
        if clash:
            raise ValueError(f"{path.name}: keys already defined in another {lang} catalogue file: {clash[:5]}")
        data.update(part)
    return data


def translate(lang: str, key: str, **values: Any) -> str:
    """The text of `key` in `lang`, falling back to Korean, then to the key itself (a missing key stays visible)."""
    text = catalogue(lang).get(key) or catalogue("ko").get(key) or key
    return FORMATTER.format(text, **values) if values else text


def translator(lang: str) -> Translator:
    """A `t(key, **values)` bound to one language, for templates."""

    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

    return t


def parse_accept_language(header: str | None) -> str | None:
    """The first supported language of an Accept-Language header, by quality."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return sorted(ranked)[0][2] if ranked else None


def choose_language(
    *, query: str | None, stored: str | None, user_pref: str | None, accept: str | None, default: str
) -> str:
    """?lang= first, then the language stored in the session, the user's preference, Accept-Language, default."""
    for candidate in (query, stored, user_pref):
        if candidate in LANGUAGES:
            return candidate
    return parse_accept_language(accept) or default
