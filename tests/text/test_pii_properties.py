"""Properties of the masker (Hypothesis): a valid number planted in random Korean text is always masked, whatever
its separators, widths and neighbours; bad input (NUL, broken surrogates, floods of digits) never raises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sotong.text.pii import assess, mask
from tests.text.pii_labelled import card_check_digit, rrn_check_digit

HANGUL = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
# Ordinary Korean around the number: syllables, spaces and punctuation, never a digit touching it.
FILLER = st.text(st.one_of(HANGUL, st.sampled_from(" .,!?\n")), max_size=40)
SEPARATORS = st.sampled_from(["-", " ", "", ".", "/", "_", " - ", "ㅡ", "–", "—", "－", "  "])
FULLWIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
WIDE = st.booleans()


def widen(digits: str, wide: bool) -> str:
    return "".join(FULLWIDTH[c] for c in digits) if wide else digits


def plant(before: str, value: str, after: str) -> str:
    return f"{before} {value} {after}"


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from("0123456789"), min_size=n, max_size=n)


@settings(max_examples=300, deadline=None)
@given(FILLER, FILLER, st.sampled_from(["010", "011", "016", "017", "019"]), digits(4), digits(4), SEPARATORS, WIDE)
def test_a_mobile_number_is_always_masked(
    before: str, after: str, prefix: str, middle: str, last: str, sep: str, wide: bool
) -> None:
    number = sep.join(widen(g, wide) for g in (prefix, middle, last))
    masked = mask(plant(before, number, after))
    assert number not in masked
    assert "[전화번호]" in masked


@settings(max_examples=300, deadline=None)
@given(FILLER, FILLER, st.dates(), st.sampled_from("1234"), digits(5), SEPARATORS, WIDE)
def test_a_resident_number_is_always_masked(
    before: str, after: str, born: object, gender: str, serial: str, sep: str, wide: bool
) -> None:
    import datetime as dt

    assert isinstance(born, dt.date)
    gender = ("12" if born.year < 2000 else "34")[int(gender) % 2]
    front = born.strftime("%y%m%d")
    body = front + gender + serial
    back = body[6:] + rrn_check_digit(body)
    number = widen(front, wide) + (sep or "-") + widen(back, wide)
    assert number not in mask(plant(before, number, after))


@settings(max_examples=300, deadline=None)
@given(FILLER, FILLER, st.sampled_from("3456"), digits(14), SEPARATORS, WIDE)
def test_a_card_number_is_always_masked(before: str, after: str, brand: str, body: str, sep: str, wide: bool) -> None:
    full = brand + body
    full += card_check_digit(full)
    number = sep.join(widen(full[i : i + 4], wide) for i in range(0, 16, 4))
    masked = mask(plant(before, number, after))
    assert number not in masked
    assert "[카드번호]" in masked


@settings(max_examples=200, deadline=None)
@given(
    FILLER,
    st.sampled_from(["통장", "계좌", "KB", "NH", "국민", "신한", "우리", "하나", "농협", "기업", "카카오뱅크"]),
    st.lists(digits(4), min_size=3, max_size=3),
    st.sampled_from(["-", " ", "", "_"]),
)
def test_an_account_beside_a_bank_word_is_always_masked(before: str, bank: str, groups: list[str], sep: str) -> None:
    number = sep.join(groups)
    assert number not in mask(f"{before} {bank} {number} 으로 보내 주세요")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_masked_without_raising(text: str) -> None:
    result = assess(text)
    assert "\x00" not in result.masked
    assert all(not 0xD800 <= ord(c) <= 0xDFFF for c in result.masked)
    assert all(0 <= s.start <= s.end <= len(text) for s in result.findings)


def test_bad_input_is_masked_not_refused() -> None:
    text = "김철수님\x00 010\x00-1234-5678 \ud800\udfff" + "9" * 100_000
    result = assess(text)
    assert "010" not in result.masked.split("[전화번호]")[0][-5:]
    assert "\x00" not in result.masked and "\ud800" not in result.masked
    assert result.masked.startswith("[이름]님")
