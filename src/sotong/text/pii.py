"""Masking personal data before anything is public: complaints on the portal and answers alike.

Each kind of personal data is a pattern plus, where numbers could be anything, a check that it really is one:
Luhn for card numbers, the checksum and a real birth date for resident registration numbers, the National Tax
Service checksum for business numbers, a bank word nearby for accounts. What is not personal stays readable:
bus 46, 1,200세대, 2024년, the 02-120 Dasan call centre, a street name without its house number.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

NAME, PHONE, RRN, BUSINESS, PASSPORT, LICENCE, CARD, ACCOUNT, EMAIL, PLATE, ADDRESS = (
    "[이름]",
    "[전화번호]",
    "[주민등록번호]",
    "[사업자등록번호]",
    "[여권번호]",
    "[운전면허번호]",
    "[카드번호]",
    "[계좌번호]",
    "[이메일]",
    "[차량번호]",
    "[주소]",
)


@dataclass(frozen=True)
class Span:
    """A piece of `text[start:end]` that is (or may be) personal data of the kind `tag`.

    `sure` is False where the masker doubts (a possible name no context confirms, a long number that may be an
    account); `masked` says whether `mask` replaced it. A doubt, masked or not, means a person should look.
    """

    start: int
    end: int
    tag: str
    sure: bool = True
    masked: bool = True


@dataclass(frozen=True)
class Assessment:
    """What the masker made of a text: the masked text, what it found, and whether a person must review it."""

    masked: str
    findings: tuple[Span, ...]
    uncertain: bool


# --------------------------------------------------------------------------------------------- checksums


def luhn_valid(digits: str) -> bool:
    """The Luhn check every payment card number passes."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def rrn_checksum_valid(digits: str) -> bool:
    """The check digit of a resident registration number (issued before October 2020)."""
    weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    total = sum(int(d) * w for d, w in zip(digits[:12], weights, strict=True))
    return (11 - total % 11) % 10 == int(digits[12])


def _rrn_birth_valid(digits: str) -> bool:
    century = {"1": 1900, "2": 1900, "5": 1900, "6": 1900, "3": 2000, "4": 2000, "7": 2000, "8": 2000}.get(digits[6])
    if century is None:
        return False
    try:
        dt.date(century + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return False
    return True


def business_number_valid(digits: str) -> bool:
    """The National Tax Service check digit of a 10-digit business registration number."""
    weights = (1, 3, 7, 1, 3, 7, 1, 3, 5)
    total = sum(int(d) * w for d, w in zip(digits[:9], weights, strict=True))
    total += int(digits[8]) * 5 // 10
    return (10 - total % 10) % 10 == int(digits[9])


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


# --------------------------------------------------------------------------------------------- patterns

_SURNAMES = (
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진나지엄채원천방공현"
    "함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예봉경사부가복태목형피두감음빈동온호"
    "범좌"
)
# Words that look like "surname + one or two syllables + 님/씨" (or sit next to a role word) but are roles or
# common nouns.
_NOT_NAMES = _wordset(
    "가능 가로 가족 가해자 각 간호사 감사 경비 경비원 경사 경위 경찰관 계장 고객 "
    "고문 고생 고위 고창 공간 공매 공무원 공사 공설 공익 과장 과장님 관계 관계자 "
    "관리 관리자 교수 교장 구역 구조 구청 구청장 구청장님 국장 군수 귀하 그분 기관 "
    "기사 기사님 기사분 기자 길이 김씨 너무 노인 누구 누님 다들 담당 담당자 당사자 "
    "대리 대표 도우미 도지사 동생 동장 두분 따님 마을 명의 몇분 모두 모든 문의 "
    "민방 민원인 박사 박씨 반장 방금 방역 배달 버스 변경 변호 변호사 복지 본인 "
    "부모 부서 부시장 부장 부처 부회장 사모 사무관 사수 사업 사원 사장 사장님 사항 "
    "상대방 서기 서류 서비스 선배 선생 선생님 설치 성명 성함 세무사 세분 세입자 소방관 "
    "소유지 소장 손님 수고 순경 시장 시장님 시청 신고인 신청 신청인 실장 아드 아무 "
    "아버 아이 안내 양도 어느 어르신 어머 어선 언니 업무 여러 여러분 연결 연금 "
    "연납 연락 연락처 오늘 오빠 요원 우리 우유 운전 원장 위원 위한 위해 의사 "
    "의원 의장 이는 이동 이분 이사 이씨 이웃 이웃분 이장 인사 임대 입주민 작가 "
    "작성자 장애인 저분 저희 전기 전부 전체 정말 정씨 정화 조무관 조성 조정 조합원 "
    "주무관 주무관님 주민 주민분 주사 주인 주임 주정 주택 지금 지역 직원 진정인 진짜 "
    "집주인 차량 차장 청구인 청장 총무 택시 통장 팀장 팀장님 피해자 하고 하나 하니 "
    "하더 하동 하지 학부모 학생 한분 할머 할아 해당 허가 현장 형님 환자 회계 "
    "회원 회장 후배 "
)
# Syllables Korean given names are made of: "연결", "허가", "하는" have a surname-like first syllable but no
# given name ends in 결, 가 or 는.
_GIVEN = (
    "가경계고곤관광교구국권규균근금기길나남낙녀년다단담대덕도돈동두란래량려련렬령례로록룡루륜률리린림마만명모목무문미민"
    "바반배백범법병보복봉부분빈사산삼상새서석선설섭성세소솔송수숙순술슬승시식신실심아안애양언엽여연열영예오옥온완왕요용"
    "우욱운웅원월위유윤율은을음응의이익인일임자작장재정제조종주준중지직진찬창채천철초춘충치태택판평표필하학한해향헌혁현"
    "협형혜호홍화환활황회효후훈휘흠흥희"
)
_NAME_BODY = rf"[{_SURNAMES}][{_GIVEN}]{{1,2}}"
_TITLES = (
    "주무관|팀장|과장|계장|주임|국장|실장|사무관|대리|선생님|기사님|원장|소장|간호사|교수|변호사|세무사|소방관|경찰관"
)
_NAME_BEFORE_HONORIFIC = re.compile(rf"(?<![가-힣])({_NAME_BODY})(?=\s?(?:님|씨|氏))")
_NAME_BEFORE_TITLE = re.compile(rf"(?<![가-힣])({_NAME_BODY})(?=\s?(?:{_TITLES}))")
_NAME_AFTER_ROLE = re.compile(
    rf"(?:담당자|담당|주무관|민원인|신고인|작성자|신청인|성명|이름|보호자|예금주|받는\s?사람|보내는\s?사람|"
    # The name may not itself be a role word: in "담당 주무관 이영희입니다" the candidate after "담당" is "주무관",
    # and the name is the one after it (the search must not spend "주무관" on that rejected candidate).
    rf"제\s?이름은|저는|본인은|명의자)님?\s?[:：은는]?\s?(?!(?:{_TITLES}|담당))({_NAME_BODY})"
    rf"(?=[\s,.)(이가은는을를의에께님씨입]|라고|$)"
)
# A name in brackets after a role word in signatures: "민원 담당 (홍길동)".
_NAME_IN_SIGNATURE = re.compile(rf"^\s*(?:[-–]\s*)?({_NAME_BODY})\s*(?:드림|올림|배상)\s*$", re.MULTILINE)

_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+\s?(?:@|\(at\)|\[at\]|＠)\s?[A-Za-z0-9-]+(?:\s?(?:\.|\(dot\)|\[dot\])\s?[A-Za-z0-9-]+)+"
)

_SEP = r"[\s.\-)·]{0,2}"
_HANGUL_DIGIT = "공영일이삼사오육칠팔구"
_MOBILE = re.compile(
    rf"(?<![\d{_HANGUL_DIGIT}])(?:\+?82[\s-]?\(?0?\)?\s?1[016789]|\(?01[016789]\)?|공일공)"
    rf"{_SEP}[\d{_HANGUL_DIGIT}]{{3,4}}{_SEP}[\d{_HANGUL_DIGIT}]{{4}}(?![\d{_HANGUL_DIGIT}])"
)
# Landlines and 070; the 02-120 call centre and 1588- company numbers have no area-code + 4-digit tail form.
_LANDLINE = re.compile(
    r"(?<!\d)(?:\+?82[\s-]?\(?0?\)?\s?(?:2|[3-6][1-5]|70)|\(?0(?:2|[3-6][1-5]|70)\)?)"
    r"[\s.\-)]{0,2}\d{3,4}[\s.\-]{0,2}\d{4}(?!\d)"
)
_RRN = re.compile(r"(?<!\d)(\d{6})\s?[-–~]?\s?([1-8](?:\d{6}|\*{6}|[xX]{6}))(?!\d)")
_BUSINESS = re.compile(r"(?<!\d)(\d{3})[\s-](\d{2})[\s-](\d{5})(?!\d)")
_BUSINESS_WORD = re.compile(r"사업자\s?(?:등록)?\s?(?:번호)?\s?[:：]?\s?(\d{10})(?!\d)")
_PASSPORT = re.compile(r"(?<![A-Za-z0-9])[MSRODGmsrodg]\d{3}[A-Za-z]?\d{4,5}(?![A-Za-z0-9])")
_LICENCE = re.compile(
    r"(?<!\d)(?:(?:서울|부산|경기|강원|충북|충남|전북|전남|경북|경남|제주|대구|인천|광주|대전|울산)\s?|\d{2}[\s-])"
    r"\d{2}[\s-]\d{6}[\s-]\d{2}(?!\d)"
)
_CARD = re.compile(r"(?<!\d)(?:\d{4}[\s-]?\d{4}[\s-]?\d{4}[\s-]?\d{4}|\d{4}[\s-]?\d{6}[\s-]?\d{5})(?!\d)")
_BANK_WORD = re.compile(
    r"(?:은행|국민|신한|우리|하나|농협|기업|카카오뱅크|카뱅|케이뱅크|토스|새마을|우체국|수협|신협|SC제일|씨티|"
    r"부산은행|대구은행|경남은행|광주은행|전북은행|제주은행|계좌|입금|송금|환불)"
)
_ACCOUNT = re.compile(r"(?<![\d-])\d{2,6}(?:[\s-]\d{2,7}){1,4}(?![\d-])|(?<!\d)\d{10,14}(?!\d)")
_PLATE_LETTERS = "가나다라마거너더러머버서어저고노도로모보소오조구누두루무부수우주아바사자배허하호육해공국합"
_PLATE = re.compile(
    rf"(?<![\d가-힣])(?:(?:서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충북|충남|전북|전남|경북|경남|제주)\s?)?"
    rf"\d{{2,3}}\s?[{_PLATE_LETTERS}]\s?\d{{4}}(?!\d)"
)
# Below street level: the building number after a road name, the lot number after a 동/리, the flat and room.
# Counted things written right after the number ("3곳", "2024년", "8호선") are not house numbers; after a space a new
# word starts ("올림픽로 300 앞"), so only attached units count.
_UNITS_AFTER = (
    r"(?!(?:년|월|일|세대|명|원|개|층|시|분|번|%|곳|대|km|m|미터|킬로|차로|차선|호선|군데|번째|가지|건|회|살|세|"
    r"시간|주|달|평|만|천|백|억|kg|톤|도|점|마리|장|권|통|부|동|가|호(?!\s)|배|위|등|단계|초|도시|학년|반|코스|구간|번째|차례|라인|단지))"
)
_ROAD_NUMBER = re.compile(
    rf"(?<![가-힣])(?P<road>[가-힣][가-힣0-9]{{0,10}}(?:로|길))"
    rf"(?P<m>\s?\d{{1,4}}(?:-\d{{1,4}})?(?:번길\s?\d{{1,4}}(?:-\d{{1,4}})?)?)(?![\d-]){_UNITS_AFTER}"
)
# "도로 3곳", "학교로 5명": words and particles ending in 로 that are no road name.
_NOT_ROADS = tuple(
    _wordset(
        "도로 경로 통로 진로 차로 선로 수로 항로 퇴로 산책로 등산로 "
        "보행로 둘레길 골목길 오솔길 산길 샛길 뒷길 갓길 으로 에로 "
    )
)
_LOT_NUMBER = re.compile(
    rf"(?<![가-힣])(?P<dong>[가-힣]{{1,6}}[동리])(?P<m>\s?\d{{1,4}}(?:-\d{{1,4}})?(?:\s?번지)?)(?![\d-]){_UNITS_AFTER}"
)
_FLAT = re.compile(
    r"(?<![\d가-힣])(?:\d{1,4}\s?동\s?)?\d{1,4}\s?호(?!선|기|차|실|점|수|봉|의\s?\d)(?![가-힣]{2,})(?!\s?(?:공원|도로|광장|터널|국도|태풍))"
)
_FLAT_AFTER_BUILDING = re.compile(r"(?:아파트|빌라|오피스텔|맨션|타운)(?P<m>\s?\d{1,4}\s?동)")


def _add(spans: list[Span], start: int, end: int, tag: str) -> None:
    spans.append(Span(start, end, tag))


def _each(
    pattern: re.Pattern[str], text: str, tag: str, spans: list[Span], check: Callable[[re.Match[str]], bool]
) -> None:
    for m in pattern.finditer(text):
        if check(m):
            group: int | str = "m" if "m" in pattern.groupindex else (1 if tag == NAME else 0)
            _add(spans, m.start(group), m.end(group), tag)


def _rrn_ok(m: re.Match[str]) -> bool:
    tail = m.group(2)
    if not tail.isdigit():
        return _rrn_birth_valid(m.group(1) + tail[0])  # "900101-1******": partly hidden is still personal
    digits = m.group(1) + tail
    separated = len(m.group(0)) > 13
    # Numbers issued since October 2020 have no check digit: a written separator and a real birth date suffice.
    return _rrn_birth_valid(digits) and (separated or rrn_checksum_valid(digits))


def _road_ok(m: re.Match[str]) -> bool:
    road = m.group("road")
    return road != "대로" and not road.endswith(_NOT_ROADS)


def _name_ok(m: re.Match[str]) -> bool:
    return m.group(1) not in _NOT_NAMES and m.group(1)[:2] not in _NOT_NAMES


def _account_ok(text: str) -> Callable[[re.Match[str]], bool]:
    def check(m: re.Match[str]) -> bool:
        digits = _digits(m.group(0))
        if not 10 <= len(digits) <= 14:
            return False
        window = text[max(0, m.start() - 20) : m.start()] + text[m.end() : m.end() + 12]
        return bool(_BANK_WORD.search(window))

    return check


def find(text: str) -> list[Span]:
    """Every piece of personal data in `text`, as non-overlapping spans (the earliest, then longest, wins)."""
    spans: list[Span] = []
    _each(_EMAIL, text, EMAIL, spans, lambda m: True)
    _each(_RRN, text, RRN, spans, _rrn_ok)
    _each(_CARD, text, CARD, spans, lambda m: luhn_valid(_digits(m.group(0))))
    # Written 3-2-5 the form is unmistakable (and people mistype the check digit); bare digits need the word.
    _each(_BUSINESS, text, BUSINESS, spans, lambda m: True)
    for m in _BUSINESS_WORD.finditer(text):
        if business_number_valid(m.group(1)):
            _add(spans, m.start(1), m.end(1), BUSINESS)
    _each(_LICENCE, text, LICENCE, spans, lambda m: True)
    _each(_MOBILE, text, PHONE, spans, lambda m: True)
    _each(_LANDLINE, text, PHONE, spans, lambda m: True)
    _each(_ACCOUNT, text, ACCOUNT, spans, _account_ok(text))
    _each(_PASSPORT, text, PASSPORT, spans, lambda m: True)
    _each(_PLATE, text, PLATE, spans, lambda m: True)
    _each(_NAME_BEFORE_HONORIFIC, text, NAME, spans, _name_ok)
    _each(_NAME_BEFORE_TITLE, text, NAME, spans, _name_ok)
    _each(_NAME_AFTER_ROLE, text, NAME, spans, _name_ok)
    _each(_NAME_IN_SIGNATURE, text, NAME, spans, _name_ok)
    _each(_ROAD_NUMBER, text, ADDRESS, spans, _road_ok)
    _each(_LOT_NUMBER, text, ADDRESS, spans, lambda m: True)
    _each(_FLAT, text, ADDRESS, spans, lambda m: True)
    _each(_FLAT_AFTER_BUILDING, text, ADDRESS, spans, lambda m: True)
    return _resolve(spans)


def _resolve(spans: list[Span]) -> list[Span]:
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        span = _trim(span)
        if span.end <= span.start:
            continue
        if chosen and span.start < chosen[-1].end:
            if span.end > chosen[-1].end and span.tag == chosen[-1].tag:
                chosen[-1] = Span(chosen[-1].start, span.end, span.tag)
            continue
        chosen.append(span)
    return chosen


def _trim(span: Span) -> Span:
    return span  # patterns already exclude surrounding spaces except the leading one of address numbers


# A long number with no word around it to say what it is: perhaps a bank account, perhaps an order number.
_LONE_NUMBER = re.compile(r"(?<![\d-])\d{2,6}(?:[\s-]\d{2,7}){1,4}(?![\d-])|(?<!\d)\d{10,14}(?!\d)")


def _doubts(text: str, spans: list[Span]) -> list[Span]:
    doubts = []
    for m in _LONE_NUMBER.finditer(text):
        if 10 <= len(_digits(m.group(0))) <= 14 and not any(s.start < m.end() and m.start() < s.end for s in spans):
            doubts.append(Span(m.start(), m.end(), ACCOUNT, sure=False, masked=False))
    return doubts


def assess(text: str) -> Assessment:
    """`text` masked, every finding (masked or only doubted), and whether a person must look before publishing."""
    spans = find(text)
    findings = sorted([*spans, *_doubts(text, spans)], key=lambda s: s.start)
    return Assessment(_apply(text, spans), tuple(findings), any(not s.sure for s in findings))


def mask(text: str) -> str:
    """`text` with every recognised piece of personal data replaced by a tag like [전화번호]."""
    return _apply(text, find(text))


def _apply(text: str, spans: list[Span]) -> str:
    if not spans:
        return text
    out, last = [], 0
    for span in spans:
        piece = text[span.start : span.end]
        lead = " " if piece.startswith(" ") else ""  # "올림픽로 300" becomes "올림픽로 [주소]"
        out.append(text[last : span.start] + lead + span.tag)
        last = span.end
    out.append(text[last:])
    return "".join(out)
