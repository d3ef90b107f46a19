"""Korean particles chosen by the final consonant (받침) of the word before them: 을/를, 이/가, 은/는, 와/과, 으로/로.

Catalogue strings ask for a particle with a format spec: `{name:을}` gives "주택과를" and `{name:'을}` gives
"'주택과'를" (the name in quotes, the particle after the closing quote). "을(를)" is what a program writes when
it cannot be bothered; a person reads it as a form letter.
"""

from __future__ import annotations

import string
from typing import Any

# Each particle, by any of its spellings: (after a final consonant, after a vowel).
PARTICLES: dict[str, tuple[str, str]] = {}
for _pair in (("을", "를"), ("이", "가"), ("은", "는"), ("과", "와"), ("으로", "로"), ("이나", "나"), ("이라", "라")):
    PARTICLES[_pair[0]] = PARTICLES[_pair[1]] = _pair

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_RIEUL = 8  # ㄹ as a final consonant: "로", not "으로" ("서울로")
# Digits and Latin letters as a Korean reader says them: the final consonant of 영 일 이 삼 사 오 육 칠 팔 구,
# and of the letters whose Korean names end in one (엘 엠 엔 알). None: ends in a vowel.
_DIGIT_FINALS = {"0": 21, "1": _RIEUL, "3": 16, "6": 1, "7": _RIEUL, "8": _RIEUL}
_LETTER_FINALS = {"l": _RIEUL, "m": 16, "n": 4, "r": _RIEUL}
_SKIPPED = " \t\n'\"’”)]}>」』"


def final_consonant(word: str) -> int | None:
    """The index of the final consonant of `word`'s last sound (1-27), 0 for a vowel, None if unknowable."""
    for char in reversed(word.rstrip(_SKIPPED)):
        code = ord(char)
        if _HANGUL_FIRST <= code <= _HANGUL_LAST:
            return (code - _HANGUL_FIRST) % 28
        if char.isdigit():
            return _DIGIT_FINALS.get(char, 0)
        if char.isascii() and char.isalpha():
            return _LETTER_FINALS.get(char.lower(), 0)
        return None
    return None


def particle(word: str, which: str) -> str:
    """The spelling of particle `which` (any of its forms: "을" or "를") that follows `word`."""
    with_final, without = PARTICLES[which]
    final = final_consonant(word)
    if final is None:
        return f"{with_final}({without})" if with_final != "으로" else "(으)로"
    if with_final == "으로":
        return without if final in (0, _RIEUL) else with_final
    return with_final if final else without


def attach(word: str, which: str) -> str:
    """`word` followed by the right spelling of particle `which`: attach("주택과", "을") == "주택과를"."""
    return word + particle(word, which)


class CatalogueFormatter(string.Formatter):
    """str.format for catalogue strings, understanding the particle specs `{x:을}` and `{x:'을}`."""

    def format_field(self, value: Any, format_spec: str) -> str:
        quoted = format_spec.startswith("'")
        spec = format_spec[1:] if quoted else format_spec
        if spec in PARTICLES:
            text = f"'{value}'" if quoted else str(value)
            return text + particle(str(value), spec)
        return super().format_field(value, format_spec)


FORMATTER = CatalogueFormatter()
