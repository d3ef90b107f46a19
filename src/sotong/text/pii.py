"""Masking personal data before anything is public: complaints on the portal and answers alike.

How a text is read, in order:

1. **Two views of the text, letter for letter** (so a span found in a view is the same span of the original):
   fullwidth letters and digits, every dash (ㅡ, en and em dash, minus), the ideographic space and `＠` are
   brought to ASCII; NUL, other control characters and lone surrogates (broken UTF-8) become spaces. The number
   view also reads runs of Korean digit words ("공일공 일이삼사 오육칠팔") as digits.
2. **Numbers** in any writing (spaces, `-`, `.`, `/`, `_` between the groups), each checked where a check
   exists: Luhn for cards, the birth date (and the check digit, for numbers issued before October 2020) for
   resident registration numbers, the National Tax Service checksum for business numbers, a bank or account
   word nearby for accounts. E-mail addresses also in words ("hong at example dot com", "골뱅이", "닷컴").
3. **Names** by their shape (a surname, one of the two-syllable ones too, and a given name) and what stands around
   them: an honorific (님, 씨), a title (주무관, 팀장), a role or a self-introduction before (담당자, 성명, "저는",
   "제 이름은", "안녕하세요 …입니다"), a phone number or e-mail beside it. A name with only a particle after it
   ("이영희가 …") is asked of kiwipiepy: a word it knows as a common noun ("이용자가", "공사장이") is no name, a
   proper noun or an unknown word is masked and marked unsure.
4. **Addresses below street level**: the building number after a road name, the lot number after a 동/리, the
   flat (302호, 101동 1203호, 잠실엘스 101-1203). A road name alone, a 동 alone and public places stay.

What is not personal stays readable: bus 46, 1,200세대, 2024년, dates, the 120 call centre, 112/119, company
lines written 1588-xxxx/1577-xxxx/080-xxx-xxxx (a business's published number, not a person's), a street name
without its house number. Landlines with an area code are masked: a home number looks the same as an office's.

`assess` also says when the masker is unsure (a name only kiwipiepy vouches for, a long number that may be an
account, a card-length number failing its check): such a text waits for a person before it is published.
Every pattern is linear in the text (each starts only at a boundary its own characters cannot cross, and its
repetitions are bounded), so no input makes the masker slow.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
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
# When two findings overlap, the surer kind wins: "홍길동 010 1234 5678" is a name and a phone number, not the lot
# number "010" of a place called 홍길동.
_PRIORITY = {
    tag: n
    for n, tag in enumerate((EMAIL, RRN, CARD, PHONE, ACCOUNT, BUSINESS, LICENCE, PASSPORT, PLATE, NAME, ADDRESS))
}
# Beyond this many characters a text is not a complaint; possible names in it are masked without asking kiwipiepy
# (and the text is marked unsure), so that a flood of Hangul cannot make masking slow.
MAX_ANALYSED_LENGTH = 20_000


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


_NON_DIGIT = re.compile(r"\D")


def _digits(text: str) -> str:
    return _NON_DIGIT.sub("", text)


# --------------------------------------------------------------------------------------------- the views

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u3161\u30fc\u2500\u2501"
_WIDTH = {c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}
_WIDTH.update({ord(d): "-" for d in _DASHES})
_WIDTH.update({0x3000: " ", 0x00A0: " ", 0x2007: " ", 0x202F: " ", ord("·"): "."})
_WIDTH.update({c: " " for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)})
_SURROGATE = re.compile("[\ud800-\udfff]")
_KOREAN_DIGITS = {"공": "0", "영": "0", "빵": "0", "일": "1", "이": "2", "삼": "3", "사": "4", "오": "5"}
_KOREAN_DIGITS.update({"육": "6", "륙": "6", "칠": "7", "팔": "8", "구": "9"})
_KD = "".join(_KOREAN_DIGITS)
# Seven or more digit words in a row (groups may be apart): "공일공 일이삼사 오육칠팔". Fewer are words ("일이").
_KOREAN_NUMBER = re.compile(rf"[{_KD}](?:[\s.\-_/]{{0,3}}[{_KD}]){{6,}}")


def _view(text: str) -> str:
    """`text` letter for letter, with widths, dashes and broken characters evened out."""
    view = text.translate(_WIDTH)
    return _SURROGATE.sub(" ", view)


def _number_view(view: str) -> str:
    """The view with Korean digit words read as digits (same length)."""
    return _KOREAN_NUMBER.sub(lambda m: "".join(_KOREAN_DIGITS.get(c, c) for c in m.group(0)), view)


# --------------------------------------------------------------------------------------------- numbers

_SEP = r"[\s.\-_/]{0,3}"  # between the groups of a number: "010 - 4567 - 8901", "010_1234_5678", "010/1234/5678"
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}\s{0,2}(?:@|\(at\)|\[at\]|\bat\b|골뱅이|\(골뱅이\))\s{0,2}"
    r"[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\s{0,2}(?:\.|\(dot\)|\[dot\]|\bdot\b|닷|쩜|점)\s{0,2}[A-Za-z0-9-]{1,63}){1,4}"
    r"(?![A-Za-z0-9-])"
)
# A domain written in Korean after the @: "hong@네이버 닷컴", "hong 골뱅이 naver 닷컴".
_EMAIL_KOREAN_DOMAIN = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}\s{0,2}(?:@|골뱅이)\s{0,2}"
    r"(?:[A-Za-z0-9-]{1,63}|네이버|다음|한메일|지메일|구글|네이트|카카오)\s{0,2}(?:\.\s?)?(?:닷컴|닷넷|닷\s?[A-Za-z]{2,4}|com|net)"
)
_MOBILE = re.compile(
    rf"(?<![\d])(?:\+?\s?82{_SEP}\(?0?\)?{_SEP}1[016789]|\(?01[016789]\)?){_SEP}\d{{3,4}}{_SEP}\d{{4}}(?!\d)"
)
_LANDLINE = re.compile(
    rf"(?<![\d])(?:\+?\s?82{_SEP}\(?0?\)?{_SEP}(?:2|[3-6][1-5]|70|50\d)|\(?0(?:2|[3-6][1-5]|70|50\d)\)?)"
    rf"{_SEP}\d{{3,4}}{_SEP}\d{{4}}(?!\d)"
)
_RRN = re.compile(rf"(?<![\d])(\d{{6}})({_SEP}|\s?~\s?)([1-8](?:\d{{6}}|[*xX●○]{{6}}))(?![\d*])")
_RRN_WORD = re.compile(r"주민|등록번호|생년월일")
_BUSINESS = re.compile(r"(?<![\d])(\d{3})[\s\-_./]{1,3}(\d{2})[\s\-_./]{1,3}(\d{5})(?!\d)")
_BUSINESS_WORD = re.compile(r"사업자\s?(?:등록)?\s?(?:번호)?\s?[:：]?\s?(\d{10})(?!\d)")
_PASSPORT = re.compile(r"(?<![A-Za-z0-9])[MSRODGmsrodg]\d{3}[A-Za-z]?\d{4,5}(?![A-Za-z0-9])")
_LICENCE = re.compile(
    r"(?<!\d)(?:(?:서울|부산|경기|강원|충북|충남|전북|전남|경북|경남|제주|대구|인천|광주|대전|울산)\s?|\d{2}[\s\-_.]{1,3})"
    r"\d{2}[\s\-_.]{1,3}\d{6}[\s\-_.]{1,3}\d{2}(?!\d)"
)
_CARD = re.compile(
    rf"(?<![\d])(?:\d{{4}}{_SEP}\d{{4}}{_SEP}\d{{4}}{_SEP}\d{{4}}|\d{{4}}{_SEP}\d{{6}}{_SEP}\d{{4,5}})(?!\d)"
)
_CARD_WORD = re.compile(r"카드|card|결제|승인", re.IGNORECASE)
_BANK_WORD = re.compile(
    r"은행|통장|계좌|입금|송금|이체|환불|예금주|뱅크|국민|신한|우리|하나|농협|기업|카뱅|토스|새마을|우체국|수협|신협|"
    r"제일|씨티|산업|저축|증권|부산|대구|경남|광주|전북|제주|(?<![A-Za-z])(?:KB|NH|IBK|SC|KDB|BNK|DGB|HSBC)(?![A-Za-z])",
    re.IGNORECASE,
)
_ACCOUNT = re.compile(r"(?<![\d\-])\d{2,7}(?:[\s\-_.]{1,3}\d{1,8}){1,4}(?![\d\-])|(?<!\d)\d{10,14}(?!\d)")
_PLATE_LETTERS = "가나다라마거너더러머버서어저고노도로모보소오조구누두루무부수우주아바사자배허하호육해공국합"
_PLATE = re.compile(
    rf"(?<![\d가-힣])(?:(?:서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충북|충남|전북|전남|경북|경남|제주)\s?)?"
    rf"\d{{2,3}}\s?[{_PLATE_LETTERS}][\s\-]{{0,2}}\d{{4}}(?!\d)"
)

# --------------------------------------------------------------------------------------------- names

_SURNAMES = (
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진나지엄채원천방공현"
    "함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예봉경사부가복태목형피두감음빈동온호"
    "범좌"
)
_COMPOUND_SURNAMES = ("남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방", "어금", "망절", "장곡")
# Syllables given names are made of, Sino-Korean and native (하늘, 보람, 아름, 슬기, 한별, 다솜, 나래, 가람, 이슬...):
# "연결", "허가", "하는" start like a surname but no given name ends in 결, 가 or 는 after a surname.
_GIVEN = frozenset(
    "가경계고곤관광교구국권규균근금기길나남낙녀년다단담대덕도돈동두란래량려련렬령례로록룡루륜률리린림마만명모목무문미민"
    "바반배백범법병보복봉부분빈사산삼상새서석선설섭성세소솔송수숙순술슬승시식신실심아안애양언엽여연열영예오옥온완왕요용"
    "우욱운웅원월위유윤율은을음응의이익인일임자작장재정제조종주준중지직진찬창채천철초춘충치태택판평표필하학한해향헌혁현"
    "협형혜호홍화환활황회효후훈휘흠흥희"
    "늘람름솜롬롱별빛울봄결샘잎들강결길담별샛슬찬휘란린솔설겸건"
    "공갑걸견궁귀극녕노누니달당돌둘라랑렴류릉립말매면묵물발방번벽변비섬소아야에엘유잔적전절점존증참청체총추축탁탄태통파팔포품풍피항허홀흔"
)
# Words shaped like "surname + one or two syllables" that are roles, kin words or common nouns.
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
    "회원 회장 후배 고양이 강아지 이번 이번주 이제 이거 이건 이게 이런 이미 이상 "
    "오전 오후 조금 조만간 주변 주말 주위 주차 주민들 정도 정부 정상 정리 한번 한국 "
    "한강 한참 신고 신고자 신규 신청자 최근 최대 최소 최고 최초 안전 안쪽 장소 장기 "
    "전화 전에 전부터 유지 유가족 여기 여기서 여기요 소음 소리 기존 기간 기준 방문 "
    "우선 우리집 공원 공사장 공지 도로 도움 도착 문제 문자 민원 민원실 성실 성의 "
    "진행 진심 지난 지도 지원 명확 명절 마음 선수 선물 선거 설명 연세 연휴 "
    "구민 시민 국민 도민 이용 이용자 경우 경로 경찰 경찰서 방법 방향 남자 남편 여자 "
    "인근 인도 임시 은행 원래 위치 위험 예전 예정 용도 하수 하천 허위 홍보 황당 "
    "사람 사람들 사이 사진 상가 상황 서로 석면 손해 송금 심야 심해 엄마 아빠 "
    "양쪽 어제 유리 육교 제발 제가 제일 조치 조사 주인분 지하 차도 천장 추가 "
    "표시 함께 현재 호수 호실 홍수 후문 마지막 가정 가게 구간 국가 금지 남쪽 "
    "동쪽 서쪽 반대 배수 변기 봉사 부근 부족 빈집 성인 소방 손상 신호 신호등 "
    "안내판 양해 엄청 여름 우회 유치원 은행나무 임산부 장마 전봇대 정문 정류장 "
    "제보 조명 주거 진입 차단 채소 천막 탁상 편의점 하루 하루종일 학교 한쪽 "
    "허락 현관 화단 화재 화장실 확인 황사 기상 나무 노선 단지 도시 명함 목소리 "
    "문앞 민원인분 반려견 배려 백화점 복도 부탁 분리 선로 설비 성내 소화기 "
    "손잡이 수리 수거 시설 심각 안녕 양심 어린이 엄마들 연기 오물 오토바이 "
    "온도 우산 원룸 위반 유모차 음식 의자 이면 이면도로 인원 임대인 장난 장애 "
    "전동 전신주 정비 정원 조경 주소 주의 지구대 지하철 진료 차선 창문 천변 "
    "최선 추석 탁구장 편의 표지판 하수구 한전 해결 해충 허리 현수막 혼잡 환경 "
    "환기 회의 효과 후보 훼손 기둥 기름 기계 반납 방치 배출 변상 봉투 부지 상태 "
    "선착순 설문 성함은 소독 손실 송파 수도 시간 시공 신축 심사 안심 양방향 "
    "예산 오염 옥상 완료 왕복 우편 원인 유료 음주 이사장 임차인 장비 재개발 "
    "전달 전철 정체 제한 조례 주간 중간 지적 진동 책임 처리 천원 최종 추진 "
    "탑승 통행 평소 하차 한파 합의 해외 행사 허용 현금 협조 형사 호출 화물 "
    "확장 회사 흡연 방이 석촌 문정 잠실 가락 오금 마천 거여 장지 풍납 신천 "
)
_NAME_BODY = rf"(?:{'|'.join(_COMPOUND_SURNAMES)}|[{_SURNAMES}])[가-힣]{{1,2}}"
_TITLES = (
    "주무관|팀장|과장|계장|주임|국장|실장|사무관|대리|선생님|기사님|원장|소장|간호사|교수|변호사|세무사|소방관|경찰관|"
    "반장|동장|통장|이장|부장|차장|사원|위원|의원|구청장|관장|센터장|회장|총무|대표|사장"
)
_ROLE_BEFORE = re.compile(
    r"(?:담당자|담당|주무관|민원인|신고인|신고자|작성자|신청인|성명|이름|보호자|예금주|받는\s?(?:분|사람)|보내는\s?(?:분|사람)|"
    r"제\s?이름은|제\s?이름|이름은|명의자|대리인)\s?님?\s?[,:：은는이]?\s?[\"'“‘(]?\s?$"
)
# Before a self-introduction: a name if a copula follows ("저는 조성호입니다"), else perhaps a place ("저는 송파구…").
_SELF_BEFORE = re.compile(
    r"(?:저는|전|본인은|본인|세입자|집주인|임차인|임대인|안녕하(?:세요|십니까|세여)|처음\s?뵙겠습니다)\s?[,.!~]*\s?$"
)
_HONORIFIC_AFTER = re.compile(
    r"\s?(?:님|씨|氏)(?![가-힣])|\s?(?:님|씨)(?:[이가은는을를의께에도과와랑한]|께서|에게|한테)"
)
_TITLE_AFTER = re.compile(rf"\s?(?:{_TITLES})")
# A self-introduction: "…입니다", "…이에요", "…예요", "…라고 합니다", "제 이름은 황보영희고요".
_COPULA = re.compile(r"(?:입니다|이에요|이예요|예요|에요|이라고|라고|임다|이고요|이구요|이며|이고|고요|구요)")
# Stacked particles too ("임하늘에게도", "김철수한테는", "박영희께서도"): the particle must end the word.
_PARTICLE = re.compile(
    r"(?:이가|이는|이를|이랑|이한테|이에게|이도|이의|이와|께서|에게|한테|이|가|은|는|을|를|의|와|과|도|랑|님|씨|이가요|"
    r"(?:이?에게|이?한테|께서|께)(?:도|는|서|요)|에겐|한텐|께선|이랑도|이와도|와도)(?![가-힣])"
)
_PLACE_ENDINGS = tuple("구시군읍면리역로길산강천교원관청동대사점계")
_SIGNATURE = re.compile(rf"^\s*(?:[-–]\s*)?({_NAME_BODY})\s*(?:드림|올림|배상|拜上)\s*$", re.MULTILINE)
# A Hangul word starting with a surname (not "3천만원": a number's unit is no word of its own).
_SURNAME_RUN = re.compile(rf"(?<![가-힣0-9])(?:{'|'.join(_COMPOUND_SURNAMES)}|[{_SURNAMES}])[가-힣]+")

# Beyond this many characters names are found by one expression instead of the careful reading (context words,
# kiwipiepy): a surname and one or two given-name syllables before an honorific, a title, a copula, a particle or
# the end of the word, every such word masked and marked unsure. It masks more, never less, and a person reviews the
# case before publishing; it keeps the longest texts intake takes (20,000 characters) well under 50 ms.
FAST_NAMES_LENGTH = 5_000
_FAST_NAME = re.compile(
    rf"(?<![가-힣0-9])(?:{'|'.join(_COMPOUND_SURNAMES)}|[{_SURNAMES}])[{''.join(sorted(_GIVEN))}]{{1,2}}"
    rf"(?=(?:{_HONORIFIC_AFTER.pattern})|(?:{_TITLE_AFTER.pattern})|(?:{_COPULA.pattern})|(?:{_PARTICLE.pattern})"
    r"|(?![가-힣]))"
)

# --------------------------------------------------------------------------------------------- addresses

# Counted things written right after the number ("3곳", "2024년", "8호선") are not house numbers; after a space a new
# word starts ("올림픽로 300 앞"), so only attached units count.
_UNITS_AFTER = (
    r"(?!(?:년|월|일|세대|명|원|개|층|시|분|번|%|곳|대|km|m|미터|킬로|차로|차선|호선|군데|번째|가지|건|회|살|세|"
    r"시간|주|달|평|만|천|백|억|kg|톤|도|점|마리|장|권|통|부|동|가|호(?!\s)|배|위|등|단계|초|도시|학년|반|코스|구간|차례|라인|단지))"
)
_ROAD_NUMBER = re.compile(
    rf"(?<![가-힣])(?P<road>[가-힣][가-힣0-9]{{0,10}}(?:로|길))"
    rf"(?P<m>\s?\d{{1,4}}(?:-\d{{1,4}})?(?:번길\s?\d{{1,4}}(?:-\d{{1,4}})?)?)(?![\d-]){_UNITS_AFTER}"
)
# "도로 3곳", "학교로 5명": words and particles ending in 로 that are no road name.
_NOT_ROADS = _wordset(
    "도로 경로 통로 진로 차로 선로 수로 항로 퇴로 산책로 등산로 보행로 둘레길 골목길 오솔길 산길 샛길 뒷길 갓길 "
    "으로 에로 쪽으로 앞으로 뒤로 위로 아래로 새로 주로 바로 서로 별로 실로 혼자로 정도로 "
)
_LOT_NUMBER = re.compile(
    rf"(?<![가-힣])(?P<dong>[가-힣]{{1,6}}[동리])(?P<m>\s?\d{{1,4}}(?:-\d{{1,4}})?(?:\s?번지)?)(?![\d-]){_UNITS_AFTER}"
)
# A flat: "302호", "1203호에서", "101동 1203호", "101-1203호"; not 8호선, 1호기, 3호차, 태풍 3호, 제2024-15호.
_FLAT = re.compile(
    r"(?<![\d가-힣\-])(?<!태풍 )(?:\d{1,4}\s?동\s?|(?!(?:19|20)\d\d-)\d{1,4}-)?\d{1,4}\s?호"
    r"(?!선|기|차|실|점|수|봉|텔|주|출|흡|떡|박|랑|감|평|소|남|황|외|통|재|우|의\s?\d)"
)
_FLAT_AFTER_BUILDING = re.compile(
    r"(?:아파트|빌라|빌리지|오피스텔|맨션|타운|하이츠|캐슬|자이|푸르지오|힐스테이트|아이파크|래미안|엘스|리센츠|트리지움|"
    r"파크리오|헬리오시티|팰리스|스위트|하우스|더샵|센트럴|리버뷰|파크|빌|e편한세상|주공|시영|연립|단지)"
    r"(?P<m>\s?\d{1,4}\s?동(?:\s?\d{1,4}\s?호)?|\s?\d{1,4}\s?-\s?\d{1,4}(?:\s?호)?)(?![\d-])"
)


# --------------------------------------------------------------------------------------------- finding


def _each(
    pattern: re.Pattern[str],
    text: str,
    tag: str,
    spans: list[Span],
    check: Callable[[re.Match[str]], bool | None] = lambda m: True,
    group: int | str = 0,
) -> None:
    """Add a span per match that `check` accepts (True: sure; None: masked but unsure; False: not personal)."""
    for m in pattern.finditer(text):
        verdict = check(m)
        if verdict is not False:
            spans.append(Span(m.start(group), m.end(group), tag, sure=verdict is True))


def _rrn_check(view: str) -> Callable[[re.Match[str]], bool | None]:
    def check(m: re.Match[str]) -> bool | None:
        front, separator, tail = m.group(1), m.group(2), m.group(3)
        if not tail.isdigit():
            return _rrn_birth_valid(front + tail[0])  # "900101-1******": partly hidden is still personal
        digits = front + tail
        if not _rrn_birth_valid(digits):
            return False
        # Numbers issued since October 2020 have no check digit: a real birth date is all there is to check.
        if rrn_checksum_valid(digits) or separator.strip() or _RRN_WORD.search(view, max(0, m.start() - 15), m.start()):
            return True
        return None

    return check


def _card_check(view: str) -> Callable[[re.Match[str]], bool | None]:
    def check(m: re.Match[str]) -> bool | None:
        if luhn_valid(_digits(m.group(0))):
            return True
        # A mistyped card number beside the word 카드 is still a card number; elsewhere it is left to a person.
        near = _CARD_WORD.search(view, max(0, m.start() - 15), m.end() + 10)
        return None if near else False

    return check


def _account_check(view: str) -> Callable[[re.Match[str]], bool | None]:
    def check(m: re.Match[str]) -> bool:
        digits = _digits(m.group(0))
        if not 10 <= len(digits) <= 14:
            return False
        return bool(_BANK_WORD.search(view, max(0, m.start() - 20), m.start())) or bool(
            _BANK_WORD.search(view, m.end(), m.end() + 12)
        )

    return check


_DIGIT = re.compile(r"\d")
_EMAIL_SIGN = re.compile(r"@|at\b|골뱅이", re.IGNORECASE)


def _email_ok(m: re.Match[str]) -> bool:
    return "." in m.group(0) or "dot" in m.group(0) or not m.group(0).isascii()


def _numbers(view: str, numbers: str) -> list[Span]:
    spans: list[Span] = []
    if _EMAIL_SIGN.search(view):
        _each(_EMAIL, view, EMAIL, spans, _email_ok)
        _each(_EMAIL_KOREAN_DOMAIN, view, EMAIL, spans)
    if not _DIGIT.search(numbers):  # every other kind has digits: most sentences of a complaint have none
        return spans
    _each(_RRN, numbers, RRN, spans, _rrn_check(numbers))
    _each(_CARD, numbers, CARD, spans, _card_check(numbers))
    # Written 3-2-5 the form is unmistakable (and people mistype the check digit); bare digits need the word.
    _each(_BUSINESS, numbers, BUSINESS, spans)
    _each(_BUSINESS_WORD, numbers, BUSINESS, spans, lambda m: business_number_valid(m.group(1)), group=1)
    _each(_LICENCE, numbers, LICENCE, spans)
    _each(_MOBILE, numbers, PHONE, spans)
    _each(_LANDLINE, numbers, PHONE, spans)
    if _BANK_WORD.search(numbers):  # an account needs a bank word beside it: none anywhere, no account to check
        _each(_ACCOUNT, numbers, ACCOUNT, spans, _account_check(numbers))
    _each(_PASSPORT, view, PASSPORT, spans)
    _each(_PLATE, numbers, PLATE, spans)
    return spans


def _road_ok(m: re.Match[str]) -> bool:
    road = m.group("road")
    return road not in _NOT_ROADS and not road.endswith(("으로", "에로"))


def _addresses(view: str) -> list[Span]:
    spans: list[Span] = []
    if not _DIGIT.search(view):  # a house number, a lot number, a flat: all are digits
        return spans
    _each(_ROAD_NUMBER, view, ADDRESS, spans, _road_ok, group="m")
    _each(_LOT_NUMBER, view, ADDRESS, spans, group="m")
    _each(_FLAT, view, ADDRESS, spans)
    _each(_FLAT_AFTER_BUILDING, view, ADDRESS, spans, group="m")
    return spans


# What kiwipiepy makes of a possible name (surname + given name) read alone.
PERSON, PLACE, UNKNOWN, SURNAME_SPLIT = "person", "place", "unknown", "surname"
SPLIT, COMMON, OTHER = "split", "common", "other"
_UNKNOWN_ID = 2  # the id kiwipiepy gives a word it does not know
_NOT_NAME_TAGS = ("J", "VCP", "E", "NR", "SN", "NNB", "XP", "XS", "MM", "V", "M")
_VERDICTS: dict[tuple[str, str], str] = {}
_FAMILIAR_I = re.compile(r"이(?:가|는|를|랑|도|한테|에게|의|와|하고)(?![가-힣])")


def _kiwi_verdicts(queries: Iterable[tuple[str, str]]) -> None:
    """Ask kiwipiepy about each (name, the word it starts) not asked before: three readings of each word."""
    missing = [q for q in dict.fromkeys(queries) if q not in _VERDICTS]
    if not missing:
        return
    from sotong.text.korean import morphemes

    if len(_VERDICTS) + len(missing) > 200_000:
        _VERDICTS.clear()  # bounded: a worker's memory must not grow with its uptime
    kiwi = morphemes().analyser()
    for (name, word), readings in zip(missing, kiwi.analyze([w for _, w in missing], top_n=3), strict=True):
        verdict = _verdict(name, [[(t.form, t.tag, t.id) for t in tokens] for tokens, _ in readings])
        if verdict == PLACE and _FAMILIAR_I.match(word, len(name)):
            # "홍길동이가", "길동이는": the familiar 이 that Korean adds to a person's name ending in a consonant, then
            # a particle. A place never takes it ("문정동에서", "마천동이 깨끗해요", never "문정동이가").
            verdict = PERSON
        _VERDICTS[name, word] = verdict


def _verdict(name: str, readings: Sequence[Sequence[tuple[str, str, int]]]) -> str:
    """How kiwipiepy reads the word that starts with `name` (its best reading first).

    PERSON: a proper noun it knows (이영희); PLACE: a proper noun ending like a place (강남구, 연세대, 신세계);
    UNKNOWN: a word it has never seen (임하늘); COMMON: a word it knows (이용자, 공사장) or a word and its particle
    (부서+가, 한전+에); SURNAME_SPLIT: a surname, then syllables (송/NNP 민 준), or a second reading that takes it
    for a name (한지민); SPLIT: pieces of nouns, nothing else (반 지하); OTHER: numbers, prefixes, determiners.
    """
    best = readings[0] if readings else []
    if not best:
        return UNKNOWN
    form, tag, ident = best[0]
    if form == name:
        if tag == "NNP":
            return PLACE if name.endswith(_PLACE_ENDINGS) else PERSON
        return UNKNOWN if ident == _UNKNOWN_ID else COMMON
    if form == name[:-1] and len(best) > 1 and best[1][1].startswith(("J", "VCP", "E", "XS")):
        return COMMON
    for reading in readings:
        if any(f == name and (t == "NNP" or i == _UNKNOWN_ID) for f, t, i in reading):
            return SURNAME_SPLIT
    if tag == "NNP":
        return SURNAME_SPLIT
    covered = ""
    for f, t, _ in best:
        if len(covered) >= len(name):
            break
        if t.startswith(_NOT_NAME_TAGS):
            return OTHER
        covered += f
    return SPLIT


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    compound: bool  # a two-syllable surname (남궁, 제갈, 사공): rarely the start of an ordinary word
    # "title": 님, 씨, 주무관 after it, a name for sure; "contact": a naming word before it (성명, 담당자) or a phone
    # number beside it, a name unless kiwipiepy knows the word; "context": "저는 …" with no copula, a name unless
    # kiwipiepy knows the word or place; "particle": only a particle after it, kiwipiepy decides.
    cue: str


def _query(view: str, c: _Candidate) -> tuple[str, str]:
    """The name and its word up to a few letters on (its particle), as kiwipiepy is asked about it."""
    return view[c.start : c.end], view[c.start : c.end + 4].split()[0] if view[c.start : c.end + 4].strip() else ""


def _given_ok(given: str) -> bool:
    return all(c in _GIVEN for c in given)


def _name_candidates(view: str, beside_contact: Callable[[int, int], bool]) -> list[_Candidate]:
    found: list[_Candidate] = []
    for run in _SURNAME_RUN.finditer(view):
        p = run.start()
        surname = 2 if view[p : p + 2] in _COMPOUND_SURNAMES and run.end() - p >= 3 else 1
        before: tuple[bool, bool] | None = None
        for given in (2, 1):
            end = p + surname + given
            if end > run.end():
                continue
            name = view[p:end]
            if name in _NOT_NAMES or not _given_ok(view[p + surname : end]):
                continue
            rest = view[end : end + 12]
            if _HONORIFIC_AFTER.match(rest) or (_TITLE_AFTER.match(rest) and not rest.startswith(("대로", "소장"))):
                found.append(_Candidate(p, end, surname == 2, "title"))
                break
            copula = bool(_COPULA.match(rest))
            particle = end == run.end() or bool(_PARTICLE.match(rest))
            if not (copula or particle):
                continue
            if beside_contact(p, end):
                found.append(_Candidate(p, end, surname == 2, "contact"))
                break
            if before is None:  # what stands before the word: looked at once, and only for a possible name
                before = (
                    bool(_ROLE_BEFORE.search(view, max(0, p - 20), p)),
                    bool(_SELF_BEFORE.search(view, max(0, p - 20), p)),
                )
            role_before, self_before = before
            # "성명 홍길동", "저는 조성호입니다"; but "저는 송파구 주민입니다" names a place, not the writer.
            if role_before or (copula and self_before):
                found.append(_Candidate(p, end, surname == 2, "contact"))
                break
            if particle and self_before:
                found.append(_Candidate(p, end, surname == 2, "context"))
                break
            if given == 2:
                found.append(_Candidate(p, end, surname == 2, "particle"))
                break
    return found


def _names(view: str, taken: list[Span], *, analyse: bool) -> list[Span]:
    if len(view) > FAST_NAMES_LENGTH:
        return _names_fast(view)
    contacts = [s for s in taken if s.tag in (PHONE, EMAIL)]  # sorted and apart, like every resolved list
    ends, starts = [s.end for s in contacts], [s.start for s in contacts]

    def beside_contact(start: int, end: int) -> bool:
        """A phone number or e-mail right before the name, or within a few letters after it."""
        i = bisect.bisect_right(ends, start) - 1
        j = bisect.bisect_left(starts, end)
        return (i >= 0 and start - ends[i] <= 2) or (j < len(starts) and starts[j] - end <= 8)

    candidates = _name_candidates(view, beside_contact)
    asked = [c for c in candidates if c.cue != "title"]
    if analyse:
        _kiwi_verdicts(_query(view, c) for c in asked)
    spans = []
    for c in candidates:
        if c.cue == "title":
            spans.append(Span(c.start, c.end, NAME))
            continue
        verdict = _VERDICTS.get(_query(view, c), UNKNOWN) if analyse else UNKNOWN
        if (
            (c.cue == "contact" and verdict != COMMON)
            or (c.cue == "context" and verdict not in (COMMON, PLACE))
            or (c.cue == "particle" and c.compound)
        ):
            spans.append(Span(c.start, c.end, NAME, sure=analyse))
        elif c.cue == "particle" and verdict in (PERSON, UNKNOWN, SURNAME_SPLIT):
            # Only kiwipiepy vouches for it: masked, and a person looks before it is published.
            spans.append(Span(c.start, c.end, NAME, sure=False))
        elif c.cue == "particle" and verdict == SPLIT:
            spans.append(Span(c.start, c.end, NAME, sure=False, masked=False))  # 한지민이? 반지하에? a person decides
    for m in _SIGNATURE.finditer(view):
        if m.group(1) not in _NOT_NAMES:
            spans.append(Span(m.start(1), m.end(1), NAME))
    return spans


def _names_fast(view: str) -> list[Span]:
    """Names of a long text, by shape alone (FAST_NAMES_LENGTH): masked, unsure; signature lines as always."""
    spans = [Span(m.start(), m.end(), NAME, sure=False) for m in _FAST_NAME.finditer(view) if m[0] not in _NOT_NAMES]
    spans.extend(Span(m.start(1), m.end(1), NAME) for m in _SIGNATURE.finditer(view) if m.group(1) not in _NOT_NAMES)
    return spans


def _resolve(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans: the surer kind wins an overlap; overlapping spans of one kind become one.

    Spans that are only doubted (not masked) never push a masked one aside. Kept sorted, so each span costs a
    binary search, not a scan: a text with thousands of numbers stays fast.
    """
    starts: list[int] = []
    chosen: list[Span] = []
    ordered = sorted(spans, key=lambda s: (not s.masked, _PRIORITY[s.tag], s.start, -(s.end - s.start)))
    for span in ordered:
        i = bisect.bisect_left(starts, span.start)
        lo = i - 1 if i > 0 and chosen[i - 1].end > span.start else i
        hi = lo
        while hi < len(chosen) and chosen[hi].start < span.end:
            hi += 1
        clash = chosen[lo:hi]
        if clash and not all(c.tag == span.tag and c.masked == span.masked for c in clash):
            continue
        if clash:
            start, end = min(span.start, clash[0].start), max(span.end, clash[-1].end)
            span = Span(start, end, span.tag, sure=span.sure and all(c.sure for c in clash), masked=span.masked)
        chosen[lo:hi] = [span]
        starts[lo:hi] = [span.start]
    return chosen


def _find_all(text: str, *, analyse: bool = True) -> tuple[list[Span], str]:
    """Every finding (masked or doubted), and the number view of the text."""
    view = _view(text)
    numbers = _number_view(view)
    taken = _resolve(_numbers(view, numbers))
    analyse = analyse and len(text) <= MAX_ANALYSED_LENGTH
    return _resolve([*taken, *_names(view, taken, analyse=analyse), *_addresses(view)]), numbers


def find(text: str) -> list[Span]:
    """Every piece of personal data `mask` replaces in `text`, as non-overlapping spans in order."""
    return [s for s in _find_all(text)[0] if s.masked]


# A long number with no word around it to say what it is: perhaps a bank account, perhaps an order number.
_LONE_NUMBER = re.compile(r"(?<![\d\-])\d{2,7}(?:[\s\-_.]{1,3}\d{1,8}){1,4}(?![\d\-])|(?<!\d)\d{10,14}(?!\d)")


def _doubts(numbers: str, spans: list[Span]) -> list[Span]:
    starts = [s.start for s in spans]  # `spans` are resolved: sorted and apart
    doubts = []
    for m in _LONE_NUMBER.finditer(numbers):
        i = bisect.bisect_left(starts, m.end())  # the spans starting before the number ends: the last may overlap
        overlaps = i > 0 and spans[i - 1].end > m.start()
        if 10 <= len(_digits(m.group(0))) <= 14 and not overlaps:
            doubts.append(Span(m.start(), m.end(), ACCOUNT, sure=False, masked=False))
    return doubts


def assess(text: str) -> Assessment:
    """`text` masked, every finding (masked or only doubted), and whether a person must look before publishing."""
    found, numbers = _find_all(text)
    spans = [s for s in found if s.masked]
    doubts = _doubts(numbers, found)
    findings = sorted([*found, *doubts], key=lambda s: s.start) if doubts else found
    return Assessment(_apply(text, spans), tuple(findings), any(not s.sure for s in findings))


def assess_many(texts: Sequence[str]) -> list[Assessment]:
    """`assess` for a batch: kiwipiepy analyses every possible name of the batch in one call (its threads)."""
    words: list[tuple[str, str]] = []
    for text in texts:
        if len(text) <= FAST_NAMES_LENGTH:  # a longer text's names are found by shape, nobody asks kiwipiepy
            view = _view(text)
            words.extend(_query(view, c) for c in _name_candidates(view, lambda a, b: False) if c.cue != "title")
    _kiwi_verdicts(words)
    return [assess(text) for text in texts]


def mask(text: str) -> str:
    """`text` with every recognised piece of personal data replaced by a tag like [전화번호]."""
    return _apply(text, find(text))


# Characters no database or page can carry: NUL (PostgreSQL refuses it in text; dropped, as the feeds drop it)
# and halves of a surrogate pair (broken UTF-8; shown as the replacement character).
_SURROGATES_OUT = re.compile("[\ud800-\udfff]")


def _apply(text: str, spans: list[Span]) -> str:
    if not spans and "\x00" not in text and not _SURROGATES_OUT.search(text):
        return text
    out, last = [], 0
    for span in spans:
        piece = text[span.start : span.end]
        lead = " " if piece.startswith(" ") else ""  # "올림픽로 300" becomes "올림픽로 [주소]"
        out.append(text[last : span.start] + lead + span.tag)
        last = span.end
    out.append(text[last:])
    return _SURROGATES_OUT.sub("\ufffd", "".join(out).replace("\x00", ""))
