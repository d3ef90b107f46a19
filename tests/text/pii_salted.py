"""A salted test set for personal-data masking: every pattern in several writings, planted in sentences, and
ordinary sentences full of numbers and words that must stay readable.

Digits are drawn with a fixed seed, but no row depends on the draw to exist: every name in every form, every
shape and every writing is in the set. Check digits are computed by the test set's own arithmetic
(`pii_labelled`), never by the product's checks.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from tests.text.pii_labelled import business_check_digit, card_check_digit, rrn_check_digit

SEED = 20261122


@dataclass(frozen=True)
class Salted:
    text: str
    secret: str  # the raw value that must not survive masking
    kind: str


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _mobile(rng: random.Random) -> list[str]:
    a, b = _digits(rng, 4), _digits(rng, 4)
    p = rng.choice(["010", "011", "016", "019"])
    return [
        f"{p}-{a}-{b}",
        f"{p} {a} {b}",
        f"{p}{a}{b}",
        f"{p}.{a}.{b}",
        f"+82 10-{a}-{b}",
        f"+8210{a}{b}",
        f"({p}){a}-{b}",
    ]


def _landline(rng: random.Random) -> list[str]:
    area = rng.choice(["02", "031", "032", "051", "055", "064", "070"])
    a3, a4, b = _digits(rng, 3), _digits(rng, 4), _digits(rng, 4)
    return [f"{area}-{a3}-{b}", f"{area}-{a4}-{b}", f"({area}) {a4}-{b}", f"{area}{a4}{b}", f"{area}.{a3}.{b}"]


def _rrn(rng: random.Random) -> list[str]:
    while True:
        year, month, day = rng.randint(40, 99), rng.randint(1, 12), rng.randint(1, 28)
        front = f"{year:02d}{month:02d}{day:02d}"
        body = front + rng.choice("12") + _digits(rng, 5)
        full = body + rrn_check_digit(body)
        # Born after October 2020: no check digit (any last digit), gender digit 3 or 4.
        late = f"{rng.randint(21, 24):02d}{month:02d}{day:02d}" + rng.choice("34") + _digits(rng, 6)
        return [
            f"{front}-{full[6:]}",
            f"{front} - {full[6:]}",
            full,
            f"{front}-{full[6]}******",
            f"{late[:6]}-{late[6:]}",
        ]


def _business(rng: random.Random) -> list[str]:
    nine = _digits(rng, 9)
    d = nine + business_check_digit(nine)
    return [f"{d[:3]}-{d[3:5]}-{d[5:]}", f"{d[:3]} {d[3:5]} {d[5:]}"]


def _card(rng: random.Random) -> list[str]:
    body = rng.choice("459") + _digits(rng, 14)
    d = body + card_check_digit(body)
    # 5500-0000-0000-0004 needs the "doubled digit above 4" rule (5 doubled is 10, counted as 1).
    return [f"{d[:4]}-{d[4:8]}-{d[8:12]}-{d[12:]}", f"{d[:4]} {d[4:8]} {d[8:12]} {d[12:]}", d, "5500-0000-0000-0004"]


def _account(rng: random.Random) -> list[str]:
    return [
        f"{_digits(rng, 3)}-{_digits(rng, 2)}-{_digits(rng, 6)}",
        f"{_digits(rng, 6)}-{_digits(rng, 2)}-{_digits(rng, 6)}",
        _digits(rng, 12),
    ]


def _passport(rng: random.Random) -> list[str]:
    return [f"M{_digits(rng, 8)}", f"M{_digits(rng, 3)}A{_digits(rng, 4)}", f"S{_digits(rng, 8)}"]


def _licence(rng: random.Random) -> list[str]:
    return [
        f"{_digits(rng, 2)}-{_digits(rng, 2)}-{_digits(rng, 6)}-{_digits(rng, 2)}",
        f"서울 {_digits(rng, 2)}-{_digits(rng, 6)}-{_digits(rng, 2)}",
    ]


def _email(rng: random.Random) -> list[str]:
    user = rng.choice(["hong.gd", "minsu_lee", "parkjy82", "songpa.mom"])
    return [f"{user}@naver.com", f"{user}@gmail.com", f"{user} @ daum.net", f"{user}(at)hanmail(dot)net"]


def _plate(rng: random.Random) -> list[str]:
    letter = rng.choice("가나다라마거너더러버서어저고노도로모보소오조구누두루무부수우주하허호")
    n2, n3, n4 = _digits(rng, 2), _digits(rng, 3), _digits(rng, 4)
    return [
        f"{n2}{letter}{n4}",
        f"{n3}{letter}{n4}",
        f"{n2}{letter} {n4}",
        f"서울{n2}{letter}{n4}",
        f"경기 {n3}{letter} {n4}",
    ]


_NAMES = [
    "홍길동",
    "김민수",
    "이영희",
    "박지영",
    "최성호",
    "정다은",
    "강현우",
    "윤서연",
    "한지민",
    "오세훈",
    "서민재",
    "임하늘",
]


def _names(name: str) -> list[tuple[str, str]]:
    forms = [
        f"{name}님께 연락 부탁드립니다",
        f"{name} 씨가 신고했어요",
        f"담당자 {name}에게 전화했는데",
        f"{name} 주무관님이 불친절했어요",
        f"민원인: {name}",
        f"저는 {name}입니다",
        f"{name[0]}{name[1:]}님 감사합니다",
        f"성명 {name} 연락처 남깁니다",
    ]
    return [(f, name) for f in forms]


def _addresses(rng: random.Random) -> list[tuple[str, str]]:
    n, m = rng.randint(1, 399), rng.randint(1, 99)
    return [
        (f"올림픽로 {n} 앞입니다", f"올림픽로 {n}"),
        (f"송파대로{n}-{m} 건물", f"{n}-{m}"),
        (f"가락로12길 {m} 빌라", f"12길 {m}"),
        (f"방이동 {n}-{m}번지 주택", f"{n}-{m}"),
        (f"풍납동 {n}번지", f"{n}번지"),
        (f"헬리오시티 {n}동 {m}{n % 10:02d}호에 살아요", f"{m}{n % 10:02d}호"),
        (f"래미안아파트 {n}동 주민입니다", f"{n}동"),
        (f"빌라 {m}{n % 10:02d}호 층간소음", f"{m}{n % 10:02d}호"),
    ]


_TEMPLATES = [
    "연락처는 {v} 입니다",
    "답변은 {v}로 주세요",
    "{v} 로 문자 주세요",
    "제 번호 {v} 이고 빨리 처리 부탁드려요",
    "({v})",
    "문의자 정보 {v}",
]
_ACCOUNT_TEMPLATES = [
    "국민은행 {v} 으로 환불해 주세요",
    "환불 계좌: 신한 {v}",
    "농협 {v} 예금주 본인",
    "카카오뱅크 {v}로 입금",
]
_CARD_TEMPLATES = ["카드번호 {v} 로 결제했는데 이중 결제됐어요", "{v} 카드로 냈어요"]


def salted_set() -> list[Salted]:
    """Every pattern in several writings and contexts."""
    rng = random.Random(SEED)
    rows: list[Salted] = []
    generators: list[tuple[str, Callable[[random.Random], list[str]], list[str]]] = [
        ("phone", _mobile, _TEMPLATES),
        ("landline", _landline, _TEMPLATES),
        ("rrn", _rrn, ["주민등록번호 {v} 입니다", "주민번호: {v}", "{v} 본인 확인 부탁"]),
        ("business", _business, ["사업자등록번호 {v} 가게입니다", "사업자 {v}"]),
        ("card", _card, _CARD_TEMPLATES),
        ("account", _account, _ACCOUNT_TEMPLATES),
        ("passport", _passport, ["여권번호 {v} 재발급 문의", "passport {v}"]),
        ("licence", _licence, ["운전면허 {v} 입니다", "면허번호 {v}"]),
        ("email", _email, ["메일 {v} 로 답변 주세요", "{v}"]),
        ("plate", _plate, ["{v} 차량이 불법주차 중", "차량번호 {v} 신고합니다", "{v} 번 차가 매일 서 있어요"]),
    ]
    for _ in range(4):
        for kind, make, templates in generators:
            for value in make(rng):
                template = rng.choice(templates)
                rows.append(Salted(template.format(v=value), value, kind))
        for text, secret in _addresses(rng):
            rows.append(Salted(text, secret, "address"))
    for name in _NAMES:  # every name, whatever the seed (임하늘 was masked by no draw of seed 20261122)
        for text, secret in _names(name):
            rows.append(Salted(text, secret, "name"))
    return rows


ORDINARY = [
    "46번 버스가 배차간격이 너무 길어요",
    "1,200세대 아파트 단지인데 놀이터가 하나뿐이에요",
    "2024년 3월부터 공사가 계속되고 있습니다",
    "다산콜센터 02-120 으로 전화했어요",
    "120에 문의했더니 구청으로 하라고 하네요",
    "지하철 8호선 석촌역 3번 출구 앞입니다",
    "2호선 잠실역 7번 출구",
    "송파대로 버스정류장 앞",
    "도로 3곳이 파손되어 있어요",
    "2차로에 포트홀이 있어요",
    "3번째 신고입니다",
    "오금로 올림픽공원 방향 3km 지점",
    "학교로 5명이 등교해요",
    "가락2동 주민센터",
    "문정1동 행정복지센터에서 서류를 받았어요",
    "10시 30분부터 12시까지 소음이 나요",
    "5층 건물 옥상에서 물이 새요",
    "하루에 200대 넘는 차가 지나가요",
    "과태료 40,000원이 나왔어요",
    "1588-1234 고객센터에 전화했어요",
    "65세 이상 어르신",
    "3.5톤 화물차가 다녀요",
    "제 차가 2019년식인데요",
    "아이가 초등학교 3학년이에요",
    "30년 된 아파트라 녹물이 나와요",
    "1층 상가 앞 인도",
    "버스 3412번과 340번",
    "2시간째 기다리고 있어요",
    "고객님 시장님 구청장님 모두 감사합니다",
    "선생님께서 알려주셨어요",
    "기사님이 친절했어요",
    "주민 여러분 감사합니다",
    "구청장님께 건의드립니다",
    "담당 부서가 어디인가요",
    "이웃분들이 다 불편해해요",
    "공무원분들 수고 많으십니다",
    "민원인 입장에서 답답합니다",
    "김치찌개 집 앞 쓰레기",
    "박물관 앞 도로",
    "정문 앞 횡단보도",
    "이마트 앞 버스정류장",
    "조금 전에 신고했어요",
    "한강공원 자전거도로",
    "서울시 송파구 잠실동",
    "롯데월드타워 123층 전망대",
    "코로나19 예방접종",
    "COVID-19 검사",
    "주차장 요금이 1시간에 3,000원",
    "2023.10.15에 신고했어요",
    "12월 25일 크리스마스 행사",
    "제2롯데월드 앞",
    "4차선 도로",
    "1호선 2호선 환승",
    "경찰청 112 소방서 119",
    "온도가 35도까지 올라가요",
    "100m 앞 교차로",
    "약 500미터 구간",
    "3개월째 방치",
    "사업자 등록 문의드려요",
    "계좌이체로 납부해도 되나요",
    "카드로 결제하면 할인되나요",
    "여권 사진 규격이 궁금해요",
    "운전면허 갱신 기간 문의",
    "이메일로 답변 부탁드려요",
    "전화번호를 남깁니다",
    "방이동 먹자골목",
    "석촌호수 동호 산책로 입구",
    "가락시장 사거리",
    "문정동 법조단지",
    "성내천 산책로 2구간",
    "3단계 공사",
    "101동 앞 놀이터",
    "1동 2동 사이 통로",
    "재산세 2기분",
    "2025학년도 입학",
    "어린이집 7세반",
    "제3자 제공 동의",
    "약 1,500명이 참석",
    "버스 7016번",
    "마을버스 송파03번",
    "N13 심야버스",
    "KTX 수서역",
    "국민연금 관련 문의",
    "국민체육센터 수영장",
    "하나로마트 앞",
    "우리동네 도서관",
    "신한은행 앞 횡단보도",
    "기업은행 지점 근처",
    "토스로 송금했어요",
    "2시 반에 만나요",
    "3월 1일은 공휴일",
    "4.5km 구간 자전거도로",
    "진료 시간 9시~18시",
    "24시간 운영",
    "1/2 정도 파손",
    "50% 할인",
    "7080 카페 소음",
    "2002년 월드컵",
    "3천만원 지원",
]


def ordinary_words() -> list[str]:
    """Tokens of the ordinary sentences (the denominator of the false-positive rate)."""
    return [w for s in ORDINARY for w in s.split()]
