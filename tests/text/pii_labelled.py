"""A labelled set for personal-data masking: personal values by shape, planted in Korean sentences, and keepers.

Written for this repository (templates and hand-written sentences; no complaint data copied). Every value is built
here without the product's code: card check digits, resident-number check digits and business-number check digits
are computed by this file's own arithmetic, so a slip in the product's checks cannot hide itself. Enumerated, not
sampled: every name, every shape and every template that a shape lists is in the set.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass


@dataclass(frozen=True)
class Planted:
    text: str
    value: str  # the raw value that must not survive masking
    shape: str
    kind: str  # phone, rrn, email, card, account, name, address, plate, business, passport, licence


# --------------------------------------------------------------------------------------------- arithmetic


def card_check_digit(body: str) -> str:
    """The digit that makes `body` + digit pass Luhn: doubling every second digit from the right of the full number
    (so the rightmost of `body`), a doubled digit above 9 counting as the sum of its two digits."""
    total = 0
    for position, ch in enumerate(reversed(body)):
        d = int(ch)
        if position % 2 == 0:
            d = sum(divmod(2 * d, 10))
        total += d
    return str((10 - total % 10) % 10)


def rrn_check_digit(twelve: str) -> str:
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    total = sum(int(d) * w for d, w in zip(twelve, weights, strict=True))
    return str((11 - total % 11) % 10)


def business_check_digit(nine: str) -> str:
    weights = [1, 3, 7, 1, 3, 7, 1, 3, 5]
    total = sum(int(d) * w for d, w in zip(nine, weights, strict=True)) + (int(nine[8]) * 5) // 10
    return str((10 - total % 10) % 10)


def digits_of(n: int, width: int) -> str:
    """A reproducible, varied string of digits (a linear congruence, no random module)."""
    out = []
    x = n * 2654435761 + 12345
    for _ in range(width):
        x = (x * 1103515245 + 12345) % (2**31)
        out.append(str((x >> 16) % 10))
    return "".join(out)


# --------------------------------------------------------------------------------------------- values by shape

# Cards whose check digit needs the "doubled digit above 4" rule (5500-0000-0000-0004: the 5 doubled is 10 → 1),
# test numbers of every brand, and numbers built here.
KNOWN_CARDS = [
    "5500000000000004",
    "4111111111111111",
    "5105105105105100",
    "4012888888881881",
    "6011111111111117",
    "3530111333300000",
    "3566002020360505",
    "5555555555554444",
    "9410616812345676",
]


def cards() -> list[str]:
    built = []
    for n in range(12):
        body = "9" + str(n % 10) + digits_of(n, 13)
        built.append(body + card_check_digit(body))
    return KNOWN_CARDS + built


def amex() -> list[str]:
    return ["378282246310005", "371449635398431", *(("37" + digits_of(n, 12)) for n in range(3))]


def _amex_valid(body14: str) -> str:
    return body14 + card_check_digit(body14)


def rrns() -> list[tuple[str, str]]:
    """(front, back) pairs: numbers with a check digit, and numbers issued after October 2020 without one."""
    out = []
    for n in range(12):
        year, month, day = 50 + n * 4 % 50, 1 + n % 12, 1 + (n * 7) % 28
        front = f"{year:02d}{month:02d}{day:02d}"
        body = front + "12"[n % 2] + digits_of(n, 5)
        out.append((front, body[6:] + rrn_check_digit(body)))
    for n in range(6):  # born 2021-2024: gender digit 3 or 4, and the last digit is no check digit
        front = f"{21 + n % 4:02d}{1 + n:02d}{10 + n:02d}"
        body = front + "34"[n % 2] + digits_of(100 + n, 5)
        wrong = str((int(rrn_check_digit(body)) + 1 + n % 8) % 10)
        out.append((front, body[6:] + wrong))
    return out


def businesses() -> list[str]:
    out = []
    for n in range(4):
        nine = digits_of(200 + n, 9)
        out.append(nine + business_check_digit(nine))
    return out


def mobiles() -> list[tuple[str, str, str]]:
    return [("010", digits_of(300 + n, 4), digits_of(400 + n, 4)) for n in range(6)]


KOREAN_DIGIT = dict(zip("0123456789", "공일이삼사오육칠팔구", strict=True))
FULLWIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}

PHONE_WRITINGS = {
    "mobile_dash": lambda p, a, b: f"{p}-{a}-{b}",
    "mobile_spaced_dash": lambda p, a, b: f"{p} - {a} - {b}",
    "mobile_space": lambda p, a, b: f"{p} {a} {b}",
    "mobile_plain": lambda p, a, b: f"{p}{a}{b}",
    "mobile_dot": lambda p, a, b: f"{p}.{a}.{b}",
    "mobile_jamo_dash": lambda p, a, b: f"{p}ㅡ{a}ㅡ{b}",
    "mobile_en_dash": lambda p, a, b: f"{p}–{a}–{b}",
    "mobile_em_dash": lambda p, a, b: f"{p}—{a}—{b}",
    "mobile_slash": lambda p, a, b: f"{p}/{a}/{b}",
    "mobile_underscore": lambda p, a, b: f"{p}_{a}_{b}",
    "mobile_fullwidth": lambda p, a, b: "－".join("".join(FULLWIDTH[c] for c in g) for g in (p, a, b)),
    "mobile_korean_words": lambda p, a, b: " ".join("".join(KOREAN_DIGIT[c] for c in g) for g in (p, a, b)),
    "mobile_international": lambda p, a, b: f"+82 {p[1:]}-{a}-{b}",
    "mobile_brackets": lambda p, a, b: f"({p}) {a}-{b}",
}
PHONE_TEMPLATES = ["연락처는 {v} 입니다", "{v}로 문자 주세요", "답변은 {v} 으로 부탁드려요", "제 번호({v})"]
LANDLINES = ["02-2147-2000", "031-123-4567", "(051) 987-6543", "02)3456-7890", "070-8765-4321", "064.712.3456"]

RRN_WRITINGS = {
    "rrn_dash": lambda f, b: f"{f}-{b}",
    "rrn_em_dash": lambda f, b: f"{f}—{b}",
    "rrn_spaced": lambda f, b: f"{f} - {b}",
    "rrn_dot": lambda f, b: f"{f}.{b}",
    "rrn_underscore": lambda f, b: f"{f}_{b}",
    "rrn_plain": lambda f, b: f"{f}{b}",
    "rrn_fullwidth": lambda f, b: "".join(FULLWIDTH[c] for c in f) + "－" + "".join(FULLWIDTH[c] for c in b),
}
RRN_TEMPLATES = ["주민등록번호 {v} 입니다", "주민번호: {v}", "{v} 본인 확인 부탁드립니다"]

EMAILS = ["hong.gildong", "minsu_lee", "parkjy82", "songpa.mom", "kim-ha-neul", "leebr99"]
EMAIL_WRITINGS = {
    "email_plain": lambda u: f"{u}@naver.com",
    "email_spaced_at": lambda u: f"{u} @ daum.net",
    "email_words": lambda u: f"{u} at example dot com",
    "email_bracket_words": lambda u: f"{u}(at)hanmail(dot)net",
    "email_golbaengi": lambda u: f"{u}골뱅이gmail.com",
    "email_fullwidth_at": lambda u: f"{u}＠kakao.com",
}
EMAIL_TEMPLATES = ["메일 {v} 로 답변 주세요", "이메일은 {v} 입니다"]

CARD_TEMPLATES = ["카드번호 {v} 로 결제했는데 이중 결제됐어요", "{v} 카드로 냈어요", "결제한 카드 {v} 환불 부탁"]
CARD_WRITINGS = {
    "card_dash": lambda d: f"{d[:4]}-{d[4:8]}-{d[8:12]}-{d[12:]}",
    "card_space": lambda d: f"{d[:4]} {d[4:8]} {d[8:12]} {d[12:]}",
    "card_plain": lambda d: d,
}

ACCOUNTS = [
    ("제 통장", "110-123-456789"),
    ("국민은행", "123456-01-234567"),
    ("KB", "654321-02-765432"),
    ("NH", "302-1234-5678-91"),
    ("농협", "351-0987-6543-21"),
    ("신한", "110-345-678901"),
    ("우리은행", "1002-123-456789"),
    ("하나", "123-456789-01234"),
    ("기업은행", "123-123456-01-012"),
    ("카카오뱅크", "3333-01-1234567"),
    ("토스뱅크", "1000-1234-5678"),
    ("환불 계좌", "12345678901234"),
    ("우체국", "012345-01-012345"),
    ("새마을금고", "9002-1234-5678-9"),
]
ACCOUNT_TEMPLATES = ["{b} {v} 으로 환불해 주세요", "{b} {v}로 입금 부탁드립니다", "환급금은 {b} {v} 입니다"]

PLATES = ["34나5678", "34나-5678", "123가4567", "12 가 3456", "서울12가3456", "경기 123허 4567", "88모 1234"]
PLATE_TEMPLATES = ["{v} 차량이 불법주차 중이에요", "차량번호 {v} 신고합니다", "{v} 차가 매일 서 있어요"]

# Given names, Sino-Korean and native, and every surname shape (common, rare, two-syllable).
SURNAMES = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권", "황", "송", "홍"]
COMPOUND_SURNAMES = ["남궁", "황보", "제갈", "선우", "독고", "사공"]
GIVEN = [
    "철수",
    "영희",
    "하늘",
    "보람",
    "민수",
    "지영",
    "성호",
    "다은",
    "현우",
    "서연",
    "지민",
    "슬기",
    "아름",
    "한별",
    "가람",
    "나래",
    "민준",
    "서윤",
    "도윤",
    "예린",
]


def particles(name: str) -> dict[str, str]:
    """The particles that follow `name`, chosen by whether its last syllable ends in a consonant (받침)."""
    closed = (ord(name[-1]) - 0xAC00) % 28 != 0
    return {
        "ga": "이" if closed else "가",
        "neun": "은" if closed else "는",
        "ira": "이라" if closed else "라",
        "yeyo": "이에요" if closed else "예요",
    }


def names() -> list[str]:
    single = [s + g for s, g in zip(itertools.cycle(SURNAMES), GIVEN, strict=False)]
    single += [s + GIVEN[(i * 7 + 3) % len(GIVEN)] for i, s in enumerate(SURNAMES)]
    compound = [s + g for s, g in zip(COMPOUND_SURNAMES, ["민수", "영희", "공명", "하늘", "지영", "철수"], strict=True)]
    return [*dict.fromkeys(single + compound), "임하늘"]


NAME_SHAPES = {
    "name_honorific": ["{n}님께 연락 부탁드립니다", "{n} 씨가 신고했어요", "{n}님이 불편을 겪고 계십니다"],
    "name_title": ["{n} 주무관님이 친절했어요", "{n} 팀장님께 전달해 주세요"],
    "name_role": ["담당자 {n}에게 전화했는데", "민원인: {n}", "성명 {n} 연락처 남깁니다", "신고인 {n}"],
    "name_self_intro": [
        "안녕하세요 {n}입니다",
        "안녕하세요, {n}{ira}고 합니다",
        "저는 {n}입니다",
        "제 이름은 {n}{yeyo}",
    ],
    "name_subject": ["{n}{ga} 쓰레기를 몰래 버리고 가요", "{n}{ga} 어제도 주차했어요", "{n}{neun} 매일 소리를 질러요"],
    "name_beside_contact": ["연락처 010-2345-6789 {n}입니다", "{n} 010 9876 5432"],
    "name_signature": ["민원 처리 부탁드립니다.\n{n} 드림"],
}

ROADS = ["석촌호수로", "올림픽로", "송파대로", "가락로", "백제고분로", "오금로", "위례성대로", "양재대로"]
# Each address shape: the sentence and the part of it that must not survive (the house number, the flat).
ADDRESS_SHAPES = {
    "address_road_building": lambda r, n, m, d, s: (f"{r} {n} 앞에 쓰레기가", f"{r} {n}"),
    "address_road_building_unit": lambda r, n, m, d, s: (f"{r} {n} {m}호에 살아요", f"{m}호"),
    "address_road_side_street": lambda r, n, m, d, s: (f"{r}{s}길 {n} 빌라 앞", f"길 {n}"),
    "address_lot_number": lambda r, n, m, d, s: (f"방이동 {n}-{s}번지 주택", f"{n}-{s}"),
    "address_flat_particle": lambda r, n, m, d, s: (f"{m}호에서 밤마다 소음이 나요", f"{m}호"),
    "address_next_door": lambda r, n, m, d, s: (f"옆집 {m}호에서 담배 냄새가", f"{m}호"),
    "address_dong_ho": lambda r, n, m, d, s: (f"헬리오시티 {d}동 {m}호 주민입니다", f"{d}동 {m}호"),
    "address_complex_unit": lambda r, n, m, d, s: (f"잠실엘스 {d}-{m} 에 살아요", f"{d}-{m}"),
}

OTHERS = {
    "business": (businesses, ["사업자등록번호 {v} 가게입니다", "사업자 {v}"], lambda d: f"{d[:3]}-{d[3:5]}-{d[5:]}"),
    "passport": (
        lambda: ["M12345678", "M123A4567", "S87654321"],
        ["여권번호 {v} 재발급 문의", "passport {v}"],
        lambda d: d,
    ),
    "licence": (
        lambda: ["11-12-345678-90", "서울 12-345678-90"],
        ["운전면허 {v} 입니다", "면허번호 {v}"],
        lambda d: d,
    ),
}


def planted() -> list[Planted]:
    """Every personal value of the set, each in every template of its shape."""
    rows: list[Planted] = []
    for (shape, write), (p, a, b) in itertools.product(PHONE_WRITINGS.items(), mobiles()[:2]):
        for template in PHONE_TEMPLATES:
            value = write(p, a, b)
            rows.append(Planted(template.format(v=value), value, shape, "phone"))
    for i, number in enumerate(LANDLINES):
        for template in PHONE_TEMPLATES[i % 2 :: 2]:
            rows.append(Planted(template.format(v=number), number, "landline", "phone"))
    for (shape, write), (front, back) in itertools.product(RRN_WRITINGS.items(), rrns()[::3]):
        value = write(front, back)
        template = RRN_TEMPLATES[int(front[-1]) % len(RRN_TEMPLATES)]
        kind_shape = "rrn_after_2020" if back[0] in "34" else shape
        rows.append(Planted(template.format(v=value), value, kind_shape, "rrn"))
    for front, _ in rrns()[:3]:
        value = f"{front}-1******"
        rows.append(Planted(f"주민번호 {value}", value, "rrn_hidden_tail", "rrn"))
    for (shape, write), user in itertools.product(EMAIL_WRITINGS.items(), EMAILS):
        value = write(user)
        rows.append(Planted(EMAIL_TEMPLATES[len(user) % 2].format(v=value), value, shape, "email"))
    for (shape, write), card in itertools.product(CARD_WRITINGS.items(), cards()):
        value = write(card)
        rows.append(Planted(CARD_TEMPLATES[int(card[-2]) % 3].format(v=value), value, shape, "card"))
    for number in amex():
        full = _amex_valid(number[:14]) if len(number) == 14 else number
        if len(full) == 14:
            continue
        value = f"{full[:4]}-{full[4:10]}-{full[10:]}"
        rows.append(Planted(CARD_TEMPLATES[0].format(v=value), value, "card_amex", "card"))
    for (bank, number), template in itertools.product(ACCOUNTS, ACCOUNT_TEMPLATES):
        shape = "account_word" if bank in ("제 통장", "환불 계좌") else "account_bank"
        rows.append(Planted(template.format(b=bank, v=number), number, shape, "account"))
    for plate, template in itertools.product(PLATES, PLATE_TEMPLATES):
        rows.append(Planted(template.format(v=plate), plate, "plate", "plate"))
    for (shape, templates), name in itertools.product(NAME_SHAPES.items(), names()):
        for template in templates:
            rows.append(Planted(template.format(n=name, **particles(name)), name, shape, "name"))
    for (shape, build), (i, road) in itertools.product(ADDRESS_SHAPES.items(), enumerate(ROADS)):
        text, value = build(road, 10 + i * 37, 101 + i * 100 + i, 101 + i, 1 + i * 3)
        rows.append(Planted(text, value, shape, "address"))
    for kind, (make, templates, write) in OTHERS.items():
        for value_raw, template in itertools.product(make(), templates):
            value = write(value_raw)
            rows.append(Planted(template.format(v=value), value, kind, kind))
    return rows


def survives(value: str, masked: str) -> bool:
    """Whether the raw value is still readable in the masked text."""
    return value in masked


# --------------------------------------------------------------------------------------------- keepers

KEEPERS_WRITTEN = [
    "46번 버스가 배차간격이 너무 길어요",
    "1,200세대 아파트 단지인데 놀이터가 하나뿐이에요",
    "2024년 3월부터 공사가 계속되고 있습니다",
    "다산콜센터 120으로 전화했어요",
    "120에 문의했더니 구청으로 하라고 하네요",
    "지하철 8호선 석촌역 3번 출구 앞입니다",
    "2호선 잠실역 7번 출구",
    "송파대로 버스정류장 앞",
    "도로 3곳이 파손되어 있어요",
    "2차로에 포트홀이 있어요",
    "세 번째 신고입니다",
    "오금로 올림픽공원 방향 3km 지점",
    "학교로 5명이 등교해요",
    "가락2동 주민센터",
    "문정1동 행정복지센터에서 서류를 받았어요",
    "10시 30분부터 12시까지 소음이 나요",
    "5층 건물 옥상에서 물이 새요",
    "하루에 200대 넘는 차가 지나가요",
    "과태료 40,000원이 나왔어요",
    "1588-1234 고객센터에 전화했어요",
    "1577-1000 콜센터는 연결이 안 돼요",
    "080-123-4567 수신거부 번호가 있어요",
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
    "2023-10-15 오후에 봤어요",
    "12월 25일 크리스마스 행사",
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
    "이용자가 너무 많아서 줄이 길어요",
    "공사장이 밤늦게까지 시끄러워요",
    "주민이 다칠 뻔했어요",
    "신호등이 고장났어요",
    "이번에도 답변이 없네요",
    "정말 너무하시네요",
    "고양이가 차에 치였어요",
    "신고자가 누군지 알려주지 마세요",
    "이웃이 계속 담배를 피워요",
    "조명이 너무 밝아요",
    "한전에 연락했는데 구청 소관이래요",
    "신세계 백화점 앞 불법주차",
    "강남구가 아니라 송파구입니다",
    "연세대 앞 정류장",
    "유치원이 근처에 있어요",
    "문제가 해결되지 않았어요",
    "주차장이 부족해요",
    "하수구가 막혔어요",
    "전봇대가 기울어졌어요",
    "현수막이 찢어졌어요",
    "장마철마다 물이 차요",
    "화단이 망가졌어요",
    "관리사무소에 말해도 소용없어요",
    "경비원분이 친절하세요",
    "오토바이가 인도로 다녀요",
    "유모차가 지나갈 수 없어요",
    "어린이보호구역인데 과속해요",
    "구청 홈페이지에서 봤어요",
    "송파구청 앞 광장",
    "올림픽공원 평화의문",
    "잠실종합운동장 주차장",
    "석촌호수 동호 쪽 벤치",
    "가락시장역 2번 출구",
    "방이동 고분군 근처",
    "서울아산병원 응급실",
    "송파도서관 열람실",
    "가든파이브 앞 교차로",
    "롯데마트 잠실점 앞",
    "스타벅스 석촌호수점",
    "올리브영 앞 인도",
    "CU 편의점 앞에 쓰레기",
    "GS25 앞 자전거 방치",
    "이디야 커피 앞",
    "지난주 금요일 오후 3시쯤",
    "어제 밤 11시 반",
    "오늘 아침 7시 20분",
    "2024년 12월 3일",
    "24.11.30 토요일",
    "11/30 토요일에",
    "3번 출구에서 50m",
    "마을버스 02번",
    "간선버스 340번 정류장",
    "지선버스 3319번",
    "광역버스 9403번",
    "주차 위반 과태료 4만원",
    "쓰레기 봉투 20리터",
    "음식물 쓰레기 3통",
    "500세대 규모 단지",
    "2,678세대 대단지",
    "공원 면적 3만 제곱미터",
    "1시간에 버스 2대",
    "한 달째 방치된 자전거",
    "7일 이내 처리 부탁드립니다",
    "14일이 지났는데 답이 없어요",
    "제1종 보통 면허",
    "3등급 경유차",
    "5등급 차량 운행 제한",
    "2층 버스가 다녀요",
    "30km 속도제한",
    "60데시벨이 넘어요",
    "미세먼지 150",
    "인구 66만 송파구",
    "민원 번호 2024-000123",
    "접수번호 1AA-2412-0012345",
    "신청번호 20241203-0001",
    "주문번호 123456-01-234567 입니다",
    "운송장 4111-1111-1111-1112",
    "코드 9013451234567",
    "5G 통신 장애",
    "iPhone 15 Pro",
    "갤럭시 S24",
    "LED 가로등 12개",
    "CCTV 3대 설치 요청",
    "A동 B동 사이",
    "3-1 구역 재개발",
    "1-2단계 공사",
    "상가 2-3층",
    "제2주차장",
    "제3회 송파 축제",
    "2025 송파 한성백제문화제",
    "1,000원 할인",
    "만 19세 이상",
    "10명 중 9명",
    "3일 연속",
    "2주 넘게",
    "12시간 동안",
    "100일 넘게 공사",
    "8차선 도로 횡단",
    "4거리 신호등",
    "3번째 민원입니다",
    "2번 마을버스",
    "15분 간격",
    "월 2회 수거",
    "주 3회 운행",
    "4인 가족",
    "반지하 2가구",
    "20년 넘게 살았어요",
    "1980년대 건물",
    "1호차 2호차",
    "태풍 3호 카눈",
    "2호기 엘리베이터 고장",
    "올림픽로 쪽 인도",
    "송파대로변 가로수",
    "백제고분로 따라서 쭉",
    "가락로 일대",
    "위례성대로 공사 구간",
    "양재대로에서 우회전",
    "중대로 방향",
    "오금로 교차로",
    "석촌호수로 산책길",
    "헌릉로 진입로",
    "방이동 일대",
    "잠실동 주민입니다",
    "풍납동 토성 근처",
    "거여동 재개발",
    "마천동 시장",
    "장지동 물류단지",
    "문정동 가든파이브",
    "오금동 공원",
    "삼전동 주택가",
    "석촌동 고분",
    "가락본동 주민센터",
    "위례동 신도시",
    "송파1동 주민센터",
    "잠실7동 행정복지센터",
    "방이2동 주민센터",
    "오륜동 올림픽선수촌",
    "헬리오시티 단지 안",
    "잠실엘스 정문",
    "파크리오 후문",
    "리센츠 놀이터",
    "트리지움 상가",
    "올림픽훼밀리타운 관리사무소",
    "래미안 아파트 경비실",
    "한양아파트 재건축",
    "주공 5단지",
    "아시아선수촌아파트 앞",
    "안녕하세요 송파구청입니다",
    "저는 송파구 주민입니다",
    "제 이름은 밝히지 않을게요",
    "안녕하세요 주민입니다",
    "저는 학부모입니다",
    "저는 직장인입니다",
    "안녕하세요 잠실동 사는 주민입니다",
    "담당자 분께 전달 부탁드립니다",
    "담당 주무관님께서 친절하셨어요",
    "주무관님께서 친절하셨어요",
    "팀장님이 직접 오셨어요",
    "과장님께 보고해 주세요",
    "구청장님 보세요",
    "동장님 감사합니다",
    "통장님이 알려주셨어요",
    "반장님께 말했어요",
    "경비 아저씨가 치웠어요",
    "택배 기사님이 놓고 갔어요",
    "청소하시는 분들 고생 많으세요",
    "환경미화원분들 감사합니다",
    "이장님께 여쭤봤어요",
    "원장님이 걱정하세요",
    "사장님이 가게 앞을 막아요",
    "집주인이 연락이 안 돼요",
    "세입자가 이사 갔어요",
    "임대인이 수리를 안 해줘요",
    "관리소장님께 말씀드렸어요",
    "소장님이 안 계세요",
    "간호사분이 친절했어요",
    "선생님들이 걱정하세요",
    "어르신들이 다니기 위험해요",
    "아이들이 놀다가 다쳐요",
    "학생들이 담배를 피워요",
    "주민들이 모여서 회의했어요",
    "고객센터에서 구청으로 문의하래요",
    "시청에 물어보니 구청이래요",
    "경찰서에 신고했어요",
    "소방서에서 출동했어요",
    "보건소에서 방역했어요",
    "우체국 앞 정류장",
    "국민은행 사거리",
    "하나은행 뒤편 골목",
    "농협 하나로마트 주차장",
    "새마을금고 앞 인도",
    "신협 건물 옆",
    "KB국민은행 ATM 앞",
    "NH농협 앞 버스정류장",
    "IBK기업은행 근처",
    "카카오톡으로 보냈어요",
    "네이버 지도에서 봤어요",
    "구글 지도로 확인했어요",
    "유튜브에 올라와 있어요",
    "인스타그램에서 봤어요",
    "홈페이지 공지사항 3번",
    "공지 2024-15호",
    "제2024-123호 공문",
    "송파구 공고 제2024-567호",
]


def keepers() -> list[str]:
    """Sentences with nothing personal in them (the hand-written ones, and counted things by template)."""
    counted = [f"{n}번 버스가 안 와요" for n in (3, 30, 301, 3216, 6411)]
    counted += [f"{n:,}세대 단지" for n in (300, 1200, 4000)]
    counted += [f"{y}년에 지어진 건물" for y in (1988, 2001, 2015)]
    counted += [f"{r} 전체가 공사 중이에요" for r in ROADS]
    counted += [f"{m}월 {d}일 오후" for m, d in ((1, 5), (6, 30), (11, 11))]
    return KEEPERS_WRITTEN + counted
