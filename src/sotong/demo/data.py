"""The demo's fixed world, written by hand for Sotong: organisations, departments, accounts, personas, and the
citizen messages and answers the loader draws from. Everything here is fictional; places are real Seoul
landmarks so the portal map and texts feel familiar. Nothing is taken from third-party data sets.
"""

from __future__ import annotations

from dataclasses import dataclass

from sotong.cases.models import ComplaintType as T
from sotong.cases.models import PeriodUnit
from sotong.orgs.models import Channel

DEMO_PASSWORD = "demo1234!"


@dataclass(frozen=True)
class DeptSpec:
    code: str  # ASCII, used in usernames: songpa.roads.manager
    name: str
    manager: str  # display names of the personas
    officer: str


@dataclass(frozen=True)
class AccountSpec:
    key: str  # how the loader refers to it
    channel: Channel
    handle: str
    display_name: str
    weight: int  # share of the organisation's messages arriving here
    reply_via: str | None = None  # key of the account that answers for this one (the mayor's personal account)


@dataclass(frozen=True)
class PolicySpec:
    name: str
    priority: int
    channel: Channel | None = None
    category: str | None = None
    resolution: tuple[int, PeriodUnit] | None = None
    first_response_minutes: int | None = None
    answer_target_minutes: int | None = None


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class OrgSpec:
    slug: str
    name: str
    short_name: str
    parent: str | None
    admin: str
    operator: str
    viewer: str
    departments: tuple[DeptSpec, ...]
    categories: tuple[tuple[str, str, str | None], ...]  # (code, name, department code or None: the centre)
    accounts: tuple[AccountSpec, ...]
    policies: tuple[PolicySpec, ...]
    places: tuple[Place, ...]
    weight: int  # share of all messages
    closure_reason: str = ""


# Every organisation answers general questions, praise and opinions at the centre desk (no department).
# Each demo category's standard category (orgs/taxonomy.tsv), as an administrator maps them on the routing page:
# the shipped seed model predicts standard codes, and this is how they reach the demo's own categories.
STANDARD_OF: dict[str, str] = {
    "road-damage": "road",
    "streetlight": "streetlight",
    "illegal-parking": "parking",
    "illegal-dumping": "waste",
    "noise": "noise",
    "park": "park",
    "welfare": "welfare",
    "bus": "traffic",
    "air": "environment",
    "water": "water",
}

_CENTRE_CATEGORIES: tuple[tuple[str, str, str | None], ...] = (
    ("general", "일반 안내", None),
    ("praise", "칭찬·감사", None),
    ("opinion", "단순 의견", None),
)

SEOUL = OrgSpec(
    slug="seoul",
    name="서울특별시",
    short_name="서울",
    parent=None,
    admin="정하늘 (시민소통담당관 시스템관리)",
    operator="오세린 (응답소 상황실)",
    viewer="배지훈 (감사위원회 열람)",
    departments=(
        DeptSpec("roads", "도로관리과", "문성호 과장", "신유진 주무관"),
        DeptSpec("bus", "버스정책과", "허정민 과장", "임수아 주무관"),
        DeptSpec("parks", "공원여가정책과", "구자영 과장", "남궁민 주무관"),
        DeptSpec("environment", "기후환경정책과", "염태희 과장", "서하은 주무관"),
        DeptSpec("welfare", "복지정책과", "류경아 과장", "권도윤 주무관"),
        DeptSpec("water", "상수도사업본부", "진태수 부장", "안서연 주무관"),
    ),
    categories=(
        ("road-damage", "간선도로 파손", "roads"),
        ("bus", "버스 배차·운행", "bus"),
        ("park", "한강공원·시립공원", "parks"),
        ("air", "대기질·미세먼지", "environment"),
        ("welfare", "복지 문의", "welfare"),
        ("water", "상수도 누수·수질", "water"),
        *_CENTRE_CATEGORIES,
    ),
    accounts=(
        AccountSpec("x", Channel.x, "@seoulcity", "서울특별시 (응답소)", 30),
        AccountSpec("mayor", Channel.x, "@seoul_mayor_demo", "서울시장 개인 계정", 25, reply_via="x"),
        AccountSpec("facebook", Channel.facebook, "seoul.kr", "서울특별시 페이스북", 10),
        AccountSpec("mastodon", Channel.mastodon, "@seoulcity@mastodon.example", "서울시 마스토돈", 4),
        AccountSpec("kakao", Channel.kakao, "서울시 응답소", "서울시 카카오톡 채널", 12),
        AccountSpec("email", Channel.email, "eungdapso@seoul.example", "응답소 전자우편", 5),
        AccountSpec("phone", Channel.phone, "120", "120 다산콜재단", 8),
        AccountSpec("web", Channel.web, "web-form", "서울특별시 웹 민원", 6),
    ),
    policies=(
        PolicySpec("간선도로 파손: 3일 안 보수", 10, category="road-damage", resolution=(3, PeriodUnit.days)),
        PolicySpec("X 계정: 30분 안 답변 목표 (대전형)", 50, channel=Channel.x, answer_target_minutes=30),
    ),
    places=(
        Place("광화문광장 세종대왕상 앞", 37.5725, 126.9769),
        Place("청계천 광통교 인근", 37.5690, 126.9790),
        Place("한강대교 북단 보행로", 37.5170, 126.9590),
        Place("세종대로 시청역 5번 출구", 37.5660, 126.9770),
        Place("서울숲 군마상 앞", 37.5444, 127.0374),
        Place("남산 북측순환로", 37.5512, 126.9882),
        Place("여의도한강공원 물빛광장", 37.5284, 126.9326),
        Place("뚝섬한강공원 자벌레 앞", 37.5293, 127.0694),
    ),
    weight=50,
)

SONGPA = OrgSpec(
    slug="songpa",
    name="송파구",
    short_name="송파",
    parent="seoul",
    admin="장민호 (스마트정보과)",
    operator="윤소라 (SNS 민원상황실)",
    viewer="차은비 (감사담당관)",
    departments=(
        DeptSpec("roads", "도로과", "김도현 과장", "이서준 주무관"),
        DeptSpec("cleaning", "청소행정과", "박지영 과장", "최민재 주무관"),
        DeptSpec("traffic", "교통행정과", "정우성 과장", "한지민 주무관"),
        DeptSpec("parks", "공원녹지과", "강혜원 과장", "조현우 주무관"),
        DeptSpec("environment", "환경과", "백승호 과장", "노유나 주무관"),
        DeptSpec("welfare", "복지정책과", "송미경 과장", "황준서 주무관"),
    ),
    categories=(
        ("road-damage", "도로·보도블럭 파손", "roads"),
        ("streetlight", "가로등·보안등 고장", "roads"),
        ("illegal-parking", "불법 주정차", "traffic"),
        ("illegal-dumping", "쓰레기 무단투기", "cleaning"),
        ("noise", "소음·공사장", "environment"),
        ("park", "공원·녹지 시설", "parks"),
        ("welfare", "복지 문의", "welfare"),
        *_CENTRE_CATEGORIES,
    ),
    accounts=(
        AccountSpec("x", Channel.x, "@songpaOK", "송파구 민원 (@songpaOK)", 40),
        AccountSpec("facebook", Channel.facebook, "songpagu", "송파구청 페이스북", 12),
        AccountSpec("mastodon", Channel.mastodon, "@songpa@mastodon.example", "송파구 마스토돈", 4),
        AccountSpec("kakao", Channel.kakao, "송파구청", "송파구 카카오톡 채널", 18),
        AccountSpec("email", Channel.email, "minwon@songpa.example", "송파구 민원 전자우편", 6),
        AccountSpec("sms", Channel.sms, "#0120", "송파구 문자 민원", 6),
        AccountSpec("visit", Channel.visit, "종합민원실", "송파구청 종합민원실 방문", 4),
        AccountSpec("web", Channel.web, "web-form", "송파구 웹 민원", 10),
    ),
    policies=(
        PolicySpec("도로 파손: 3일 안 보수", 10, category="road-damage", resolution=(3, PeriodUnit.days)),
        PolicySpec(
            "@songpaOK: 10분 안 접수 응답, 30분 안 답변 목표",
            50,
            channel=Channel.x,
            first_response_minutes=10,
            answer_target_minutes=30,
        ),
    ),
    places=(
        Place("석촌호수 동호 산책로", 37.5096, 127.1030),
        Place("잠실역 8번 출구 앞", 37.5133, 127.1001),
        Place("올림픽공원 평화의문 광장", 37.5202, 127.1214),
        Place("가락시장 정문 사거리", 37.4925, 127.1181),
        Place("문정동 법조단지 보도", 37.4851, 127.1226),
        Place("방이동 먹자골목 입구", 37.5145, 127.1163),
        Place("오금공원 입구", 37.5030, 127.1330),
        Place("성내천 산책로 마천교 아래", 37.4970, 127.1470),
        Place("위례 중앙광장 앞", 37.4780, 127.1420),
    ),
    weight=30,
    closure_reason="청사 전기설비 법정 정기점검에 따른 휴무",
)

MAPO = OrgSpec(
    slug="mapo",
    name="마포구",
    short_name="마포",
    parent="seoul",
    admin="유재석 (정보통신과)",
    operator="고아라 (민원여권과 SNS 창구)",
    viewer="탁수정 (감사담당관)",
    departments=(
        DeptSpec("roads", "도로과", "신동엽 과장", "김하늘 주무관"),
        DeptSpec("recycling", "자원순환과", "이효진 과장", "박서진 주무관"),
        DeptSpec("parking", "주차관리과", "오준혁 과장", "정다은 주무관"),
        DeptSpec("parks", "공원녹지과", "문가영 과장", "서민규 주무관"),
        DeptSpec("environment", "환경과", "추성민 과장", "윤채원 주무관"),
    ),
    categories=(
        ("road-damage", "도로·보도블럭 파손", "roads"),
        ("streetlight", "가로등·보안등 고장", "roads"),
        ("illegal-parking", "불법 주정차", "parking"),
        ("illegal-dumping", "쓰레기 무단투기", "recycling"),
        ("noise", "소음·공사장", "environment"),
        ("park", "공원·녹지 시설", "parks"),
        *_CENTRE_CATEGORIES,
    ),
    accounts=(
        AccountSpec("x", Channel.x, "@mapo_minwon", "마포구 민원 (X)", 30),
        AccountSpec("facebook", Channel.facebook, "mapoguofficial", "마포구청 페이스북", 12),
        AccountSpec("kakao", Channel.kakao, "마포구청", "마포구 카카오톡 채널", 20),
        AccountSpec("naver", Channel.naver, "마포구 톡톡", "마포구 네이버 톡톡", 14),
        AccountSpec("email", Channel.email, "minwon@mapo.example", "마포구 민원 전자우편", 6),
        AccountSpec("web", Channel.web, "web-form", "마포구 웹 민원", 10),
    ),
    policies=(
        PolicySpec("카카오톡: 30분 안 접수 응답", 50, channel=Channel.kakao, first_response_minutes=30),
        PolicySpec("불법 주정차: 2시간 안 현장 출동", 20, category="illegal-parking", resolution=(2, PeriodUnit.hours)),
    ),
    places=(
        Place("홍대입구역 9번 출구", 37.5572, 126.9245),
        Place("망원한강공원 주차장 앞", 37.5550, 126.8950),
        Place("연남동 경의선숲길", 37.5620, 126.9230),
        Place("합정역 7번 출구 사거리", 37.5495, 126.9139),
        Place("상암 월드컵공원 평화의공원", 37.5680, 126.8850),
        Place("공덕오거리 보도", 37.5440, 126.9510),
        Place("망원시장 입구", 37.5560, 126.9060),
        Place("마포구청역 2번 출구", 37.5630, 126.9030),
    ),
    weight=20,
)

ORGS: tuple[OrgSpec, ...] = (SEOUL, SONGPA, MAPO)


@dataclass(frozen=True)
class Topic:
    """A kind of citizen message: what people write and how the competent department answers."""

    code: str  # category code; the competent organisation is the one that has this category
    kind: str  # complaint | info | praise | opinion | spam | advertising | abuse
    complaint_type: T
    texts: tuple[str, ...]
    answers: tuple[str, ...] = ()
    weight: int = 10
    # Where the competent organisation is when the message arrives somewhere else.
    level: str = "district"  # district | city
    whistleblower: bool = False
    non_public: bool = False


# Placeholders: {place} {phone} {email} {plate} {bus} {hour} {org} {dept} {date} {days}
TOPICS: tuple[Topic, ...] = (
    Topic(
        "road-damage",
        "complaint",
        T.other,
        (
            "{place} 보도블럭이 여러 장 깨져서 들떠 있어요. 어제 저녁에 어르신 한 분이 걸려 넘어지실 뻔했습니다. "
            "빠른 보수 부탁드립니다.",
            "{place} 인도에 보도블럭 파손이 심합니다. 유모차 바퀴가 계속 걸려요 ㅠㅠ 사진 첨부합니다.",
            "{place} 차도에 포트홀이 크게 생겼습니다. 밤에는 잘 안 보여서 오토바이 사고 날 것 같아요. 확인 부탁드려요.",
            "비 온 뒤로 {place} 보도가 움푹 꺼졌어요. 물웅덩이가 생겨서 지나가기 힘듭니다. 연락은 {phone} 로 주세요.",
            "{place} 점자블록이 떨어져 나가 있습니다. 시각장애인분들 위험할 것 같아 제보합니다.",
        ),
        (
            "안녕하십니까, {org} {dept}입니다. {place} 보도 파손 민원 잘 받았습니다. {date} 현장을 확인하여 파손된 "
            "보도블럭을 교체하고 주변 들뜬 블럭도 함께 재시공하였습니다. 불편을 드려 죄송하며, 같은 구간은 "
            "정기 순찰 대상에 넣어 관리하겠습니다. 추가 문의는 {dept}(다산콜센터 120)로 연락 주시기 바랍니다.",
            "{org} {dept}입니다. 알려주신 {place} 포트홀은 {date} 긴급 보수(아스팔트 임시 포장)를 마쳤고, 동절기가 "
            "끝나는 대로 전면 재포장을 하겠습니다. 위험 요소를 알려주셔서 감사합니다.",
        ),
        weight=14,
    ),
    Topic(
        "streetlight",
        "complaint",
        T.other,
        (
            "{place} 가로등이 3일째 꺼져 있어요. 밤길이 너무 어두워서 무섭습니다.",
            "{place} 보안등이 깜빡깜빡해요. 골목이 어두워 귀갓길이 불안합니다. 점검 부탁드립니다.",
            "{place} 쪽 가로등 두 개가 낮에도 켜져 있네요. 전기 낭비 같아서 알려드려요.",
        ),
        (
            "안녕하세요, {org} {dept}입니다. {place} 가로등 고장 신고 감사합니다. {date} 점검 결과 안정기 불량으로 "
            "확인되어 교체를 완료하였고 현재 정상 점등되고 있습니다. 어두운 길 불편을 드려 죄송합니다.",
            "{org} {dept}입니다. 말씀하신 {place} 보안등은 {date} 자동점멸기를 교체하여 정상 동작을 확인하였습니다. "
            "앞으로도 고장을 발견하시면 언제든 알려 주세요.",
        ),
        weight=9,
    ),
    Topic(
        "illegal-parking",
        "complaint",
        T.other,
        (
            "{place} 횡단보도 위에 {plate} 차량이 매일 아침 불법주차 합니다. 아이들 등굣길이라 위험해요. "
            "단속 부탁드립니다.",
            "{place} 소화전 앞에 차들이 계속 주차되어 있어요. 불나면 어쩌려고… 상습 구간입니다.",
            "{hour}쯤 {place} 버스정류장 앞 이중주차 때문에 버스가 차로 한가운데 섭니다. 단속 좀 해주세요.",
            "{place} 장애인 전용 주차구역에 표지 없는 차량({plate})이 며칠째 서 있습니다.",
        ),
        (
            "안녕하십니까, {org} {dept}입니다. {place} 불법 주정차 신고 건으로 {date} 현장 단속을 실시하여 위반 차량에 "
            "과태료를 부과하였습니다. 해당 구간은 상습 구역으로 지정하여 출근·등교 시간대 CCTV 단속을 강화하겠습니다.",
            "{org} {dept}입니다. 신고하신 차량은 {date} 현장 확인 후 이동 조치하였습니다. 안전신문고 앱으로 사진을 "
            "올려 주시면 더 빠르게 단속할 수 있습니다. 협조에 감사드립니다.",
        ),
        weight=12,
    ),
    Topic(
        "illegal-dumping",
        "complaint",
        T.other,
        (
            "{place} 전봇대 밑에 쓰레기가 산더미처럼 쌓여 있어요. 종량제 봉투도 아니고 냄새가 심합니다.",
            "{place}에 누가 매트리스랑 의자를 몰래 버리고 갔어요. 일주일째 그대로입니다.",
            "{place} 음식물 쓰레기 무단투기가 매일 밤 반복돼요. CCTV 설치 건의합니다.",
            "{hour}쯤 {place}에 차 세우고 쓰레기 버리고 가는 사람 봤어요. 차량번호 {plate} 입니다.",
        ),
        (
            "안녕하십니까, {org} {dept}입니다. {place} 무단투기 쓰레기는 {date} 수거를 완료하였습니다. 상습 투기 "
            "지역으로 관리하여 계도 현수막을 설치하고, 이동식 CCTV 설치를 검토하겠습니다. 알려주셔서 감사합니다.",
            "{org} {dept}입니다. 신고하신 대형 폐기물은 {date} 수거하였으며, 투기자가 확인되면 과태료를 "
            "부과하겠습니다. 대형 폐기물은 구청 홈페이지에서 배출 신고 후 배출하실 수 있습니다.",
        ),
        weight=12,
    ),
    Topic(
        "noise",
        "complaint",
        T.grievance,
        (
            "{place} 근처 공사장이 아침 6시부터 공사를 시작합니다. 주말에도 쉬지 않아요. 소음 측정 부탁드립니다.",
            "{place} 주변 술집 음악 소리가 {hour}까지 너무 큽니다. 잠을 잘 수가 없어요.",
            "{place} 재건축 현장 비산먼지와 소음이 심각합니다. 방음벽도 제대로 안 되어 있어요. "
            "답변은 {email} 로 부탁드립니다.",
        ),
        (
            "안녕하십니까, {org} {dept}입니다. {place} 공사장 소음 민원과 관련하여 {date} 소음을 측정한 결과 "
            "생활소음 규제기준(주간 65dB)을 초과하여 공사 시간 조정 명령과 과태료 처분을 하였습니다. 앞으로 "
            "오전 7시 이전 작업이 없도록 지도·점검하겠습니다. 추가 불편이 있으시면 다시 알려 주십시오.",
            "{org} {dept}입니다. 말씀하신 야간 소음은 {date} 현장 점검을 하여 업소에 방음 조치를 요청했습니다. "
            "영업 소음은 경찰(112)과 함께 단속하고 있으니 재발 시 112에도 신고해 주시기 바랍니다.",
        ),
        weight=7,
    ),
    Topic(
        "park",
        "complaint",
        T.other,
        (
            "{place} 어린이 놀이터 그네 쇠사슬이 끊어져 있어요. 아이들이 다칠까 걱정됩니다.",
            "{place} 공중화장실 세면대 물이 안 나오고 휴지도 없어요.",
            "{place} 벤치 여러 개가 부서져서 못이 튀어나와 있습니다. 위험해요.",
            "{place} 산책로 운동기구가 고장 났네요. 수리 부탁드려요 🙏",
        ),
        (
            "안녕하세요, {org} {dept}입니다. {place} 시설 고장 신고 감사합니다. {date} 부서진 시설물을 교체하고 "
            "안전 점검을 마쳤습니다. 공원을 아껴 주셔서 고맙습니다.",
            "{org} {dept}입니다. 알려주신 {place} 편의시설은 {date} 수리를 완료하였고 관리 인력 순찰 횟수를 "
            "늘리겠습니다. 이용에 불편을 드려 죄송합니다.",
        ),
        weight=8,
    ),
    Topic(
        "welfare",
        "complaint",
        T.inquiry,
        (
            "혼자 사시는 어머니가 기초연금 대상인지 궁금합니다. 어디서 신청하나요? 연락처 {phone}",
            "실직 후에 긴급복지 생계지원을 받을 수 있는지 문의드립니다. 필요한 서류가 뭔가요?",
            "이웃에 사시는 어르신이 며칠째 보이지 않으세요. 복지 담당자분께서 확인해 주실 수 있을까요?",
        ),
        (
            "안녕하십니까, {org} {dept}입니다. 문의하신 지원은 주소지 동 주민센터 맞춤형복지팀에서 신청하실 수 "
            "있으며, 신분증과 소득·재산 확인 서류가 필요합니다. 담당 사회복지공무원이 {date} 연락드려 자격 여부와 "
            "절차를 자세히 안내해 드렸습니다. 더 궁금하신 점은 보건복지상담센터(129)로도 문의하실 수 있습니다.",
        ),
        weight=5,
        non_public=True,  # a family's circumstances: answered, not listed
    ),
    Topic(
        "bus",
        "complaint",
        T.suggestion,
        (
            "{bus}번 버스 배차 간격이 출근 시간에 20분이 넘어요. 증차 건의합니다.",
            "{bus}번 버스가 정류장에 서지 않고 그냥 지나갔습니다. 오늘 아침 8시 10분경이요.",
            "{bus}번 막차 시간을 30분만 늦춰 주세요. 야근하고 나면 버스가 없습니다.",
        ),
        (
            "안녕하십니까, {org} {dept}입니다. {bus}번 버스 운행 관련 의견 감사합니다. 운수회사에 확인한 결과 "
            "출근 시간대 배차가 지연된 사실이 있어 {date}부터 예비 차량을 투입하도록 개선 명령을 하였습니다. "
            "노선 조정은 연 2회 노선 심의에서 함께 검토하겠습니다.",
        ),
        weight=7,
        level="city",
    ),
    Topic(
        "water",
        "complaint",
        T.other,
        (
            "{place} 도로에서 물이 계속 솟아나요. 상수도관 누수 같습니다.",
            "수돗물에서 녹물이 나옵니다. {place} 인근 아파트예요. 검사 부탁드립니다.",
        ),
        (
            "안녕하십니까, {org} {dept}입니다. {place} 누수 신고를 받고 {date} 긴급 복구반이 출동하여 파손된 "
            "급수관을 교체하였습니다. 신속한 신고에 감사드립니다. 아리수 수질검사는 120으로 신청하시면 무료입니다.",
        ),
        weight=4,
        level="city",
    ),
    Topic(
        "air",
        "complaint",
        T.suggestion,
        (
            "미세먼지 나쁨인 날 학교 주변 도로 물청소를 더 자주 해주세요.",
            "{place} 근처 경유 버스 공회전이 심합니다. 공회전 단속 건의드려요.",
        ),
        (
            "안녕하십니까, {org} {dept}입니다. 소중한 건의 감사합니다. 미세먼지 주의보 발령 시 도로 물청소 "
            "횟수를 늘리고, 공회전 제한 지역 단속을 {date}부터 강화하였습니다.",
        ),
        weight=3,
        level="city",
    ),
    Topic(
        "general",
        "info",
        T.other,
        (
            "대형폐기물(장롱) 버리려면 어떻게 해야 하나요?",
            "주민센터에서 토요일에도 등본 발급되나요?",
            "여권 재발급 신청하려면 예약해야 하나요?",
            "재활용 분리배출 요일이 언제인가요? 이사 와서 잘 몰라요.",
        ),
        (
            "안녕하세요, {org}입니다. 문의 주셔서 감사합니다. 구청 홈페이지 '대형폐기물 배출신고'에서 품목을 선택해 "
            "수수료를 결제하시고 스티커 번호를 적어 지정 장소에 내놓으시면 됩니다.",
            "{org}입니다. 토요일에는 주민센터가 문을 열지 않지만, 정부24와 무인민원발급기에서 등본을 발급받으실 수 "
            "있습니다. 가까운 무인발급기 위치는 홈페이지에서 확인하실 수 있습니다.",
            "{org}입니다. 여권은 예약 없이 신청하실 수 있으나 점심시간은 혼잡하니 오전 시간을 권해 드립니다. "
            "신분증과 여권 사진 1매를 지참하세요.",
        ),
        weight=8,
    ),
    Topic(
        "praise",
        "praise",
        T.opinion,
        (
            "{place} 보도블럭 신고했는데 이틀 만에 고쳐주셨네요. 담당 주무관님 정말 감사합니다 👍",
            "동 주민센터 직원분이 어머니 서류를 끝까지 친절하게 도와주셨어요. 칭찬합니다.",
            "새벽에 제설 작업 해주신 분들 덕분에 출근길이 안전했습니다. 고생 많으셨어요!",
        ),
        (
            "따뜻한 말씀 감사합니다. 말씀하신 직원에게 칭찬 내용을 전달하였습니다. 앞으로도 시민 여러분의 목소리에 "
            "귀 기울이는 {org}가 되겠습니다.",
        ),
        weight=4,
    ),
    Topic(
        "opinion",
        "opinion",
        T.opinion,
        (
            "오늘 {place} 야경 정말 예쁘네요 🌃",
            "{place} 산책로 가로수 단풍 너무 좋아요. 관리해 주셔서 감사해요.",
            "{org} 소식 잘 보고 있습니다~ 다음 축제는 언제 하나요?",
        ),
        (
            "소중한 의견 감사합니다! {org}의 소식은 공식 계정에서 계속 전해 드리겠습니다.",
            "좋은 말씀 감사합니다. 앞으로도 쾌적한 환경이 되도록 관리하겠습니다.",
        ),
        weight=5,
    ),
    Topic(
        "spam",
        "spam",
        T.other,
        (
            "🔥하루 30분 투자로 월 500 보장🔥 부업 문의는 텔레그램 @money_king77 👉 http://bit.ly/xxxxx",
            "팔로우하면 맞팔 100% ♥ 팔로워 늘리기 무료 이벤트 클릭 http://short.example/f4f",
        ),
        weight=4,
    ),
    Topic(
        "advertising",
        "advertising",
        T.other,
        (
            "[광고] 포장이사 최저가 견적! 지금 전화 주시면 10% 할인 {phone}",
            "[홍보] 신규 오픈 필라테스 1개월 무료체험, 선착순 50명!",
        ),
        weight=3,
    ),
    Topic(
        "abuse",
        "abuse",
        T.other,
        ("세금 받아먹고 하는 일이 뭐냐 ○○○들아 다 잘라버려야 함",),
        weight=1,
    ),
    Topic(
        "illegal-dumping",
        "complaint",
        T.grievance,
        (
            "공익신고합니다. {place} 인근 공장에서 밤마다 폐유를 하수구에 버리고 있습니다. "
            "신고자 신원은 비밀로 해주세요.",
        ),
        (
            "{org} {dept}입니다. 신고 내용에 따라 {date} 관계기관과 합동 점검을 실시하여 위반 사항을 적발하고 "
            "행정 처분 절차를 진행 중입니다. 신고자 보호를 위해 세부 내용은 공개하지 않습니다.",
        ),
        weight=1,
        whistleblower=True,
    ),
)

BUS_ROUTES = ("340", "3315", "740", "7016", "472", "송파01", "마포08", "N13")
HOURS = ("밤 11시", "새벽 1시", "새벽 2시", "밤 10시 반", "아침 7시", "저녁 6시")

FOLLOW_UPS = (
    "답변 감사합니다만 오늘 가보니 아직 그대로예요. 다시 확인 부탁드립니다.",
    "처리했다고 하셨는데 옆 구간도 똑같이 파손되어 있습니다. 같이 봐주세요.",
    "해결됐다고 답변 받았는데 어젯밤에도 똑같았어요. 재확인 부탁드립니다.",
)
STILL_OPEN_FOLLOW_UPS = ("추가로 사진 보냅니다. 빨리 좀 부탁드려요.", "혹시 언제쯤 처리될까요?")
RATING_COMMENTS = {
    5: ("빠르게 처리해 주셔서 감사합니다!", "친절한 답변 감사해요."),
    4: ("처리는 잘 되었어요. 조금 늦었지만 감사합니다.",),
    3: ("답변은 받았는데 근본적인 해결은 아닌 것 같아요.",),
    2: ("형식적인 답변이라 아쉽습니다.",),
    1: ("현장은 그대로인데 처리 완료라고 하네요.",),
}
HOLD_REASONS = (
    "동절기 포장 공사가 어려워 내년 3월 해빙기 이후 보수 예정",
    "정확한 위치 확인을 위해 민원인께 추가 사진을 요청하고 회신을 기다리는 중",
    "한국전력과 전주 소유 관계 확인 중 (보안등 전원)",
    "예산 편성 후 시설 교체 예정",
)
EXTENSION_REASONS = (
    "관계 기관(한국전력·경찰) 합동 현장 점검 일정으로 처리기간을 한 차례 연장합니다",
    "예산 검토와 업체 견적 확인이 필요하여 처리기간을 연장합니다",
    "소음 측정을 평일·주말 두 차례 실시하기 위해 처리기간을 연장합니다",
)
REOPEN_REASONS = (
    "민원인이 전화(120)로 재문의: 같은 문제가 다시 발생",
    "민원인 방문 재문의: 조치 결과가 미흡하다는 의견",
)
REANSWERS = (
    "{org} {dept}입니다. 재문의 주신 내용을 {date} 다시 현장에서 확인하여 남아 있던 부분까지 추가 조치를 "
    "완료하였습니다. 처음 답변에서 충분히 살피지 못해 다시 불편을 드린 점 사과드립니다.",
    "{org} {dept}입니다. 다시 알려주셔서 감사합니다. {date} 재점검 결과 같은 문제가 반복되어 시설을 전면 교체하였고, "
    "한 달간 주 1회 현장을 확인하겠습니다.",
)
TRANSFER_DEPT_REASON = "현장 확인 결과 {to} 소관 사항으로 확인되어 이송합니다"
TRANSFER_ORG_REASONS = {
    "city": "{topic:은} 서울특별시 소관 사항이므로 민원 처리에 관한 법률에 따라 서울특별시로 이송합니다",
    "district": "자치구 관리 시설({topic})이므로 관할 {to:으로} 이송합니다",
}
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ("민준", "서연", "도윤", "하은", "지호", "수아", "예준", "지우", "현우", "서윤", "건우", "채원", "우진", "지민")
HANDLE_WORDS = ("sky", "moon", "jamsil", "hangang", "coffee", "runner", "mom", "dad", "cat", "bori", "kimchi", "seoul")
PLATE_LETTERS = "가나다라마거너더러머버서어저고노도로모보소오조구누두루무부수우주허하호"


@dataclass(frozen=True)
class Persona:
    """A demo login; every organisation has one per role (managers and officers per department)."""

    org_slug: str
    username: str
    role: str
    display_name: str
    department_code: str | None = None


def personas(org: OrgSpec) -> list[Persona]:
    """The staff personas of one organisation: admin, operator, viewer, and a manager and officer per department."""
    people = [
        Persona(org.slug, f"{org.slug}.admin", "admin", org.admin),
        Persona(org.slug, f"{org.slug}.operator", "operator", org.operator),
        Persona(org.slug, f"{org.slug}.viewer", "viewer", org.viewer),
    ]
    for dept in org.departments:
        people.append(Persona(org.slug, f"{org.slug}.{dept.code}.manager", "dept_manager", dept.manager, dept.code))
        people.append(Persona(org.slug, f"{org.slug}.{dept.code}.officer", "officer", dept.officer, dept.code))
    return people


@dataclass(frozen=True)
class AnswerTemplateSpec:
    """A standard answer (표준답안) every demo organisation offers; skipped where the category does not exist."""

    title: str
    category: str | None  # category code; None: offered on every case
    body: str
    required: tuple[str, ...]


ANSWER_TEMPLATES: tuple[AnswerTemplateSpec, ...] = (
    AnswerTemplateSpec(
        "도로·보도 파손 보수 완료",
        "road-damage",
        "{citizen} 님, 안녕하세요. {department}입니다.\n"
        "접수번호 {case_number} 민원에 답변드립니다.\n"
        "알려주신 곳을 현장 확인하여 아래와 같이 조치하였습니다.\n"
        "- 조치 내용: [[조치 내용]]\n"
        "- 조치 일시: [[조치 일시]]\n"
        "- 담당자 연락처: [[담당자 연락처]]\n"
        "불편을 드려 죄송합니다. 처리 결과 사진은 {tracking_url} 에서 보실 수 있습니다.\n"
        "{department} {officer} 드림",
        ("조치 내용", "조치 일시", "담당자 연락처"),
    ),
    AnswerTemplateSpec(
        "가로등·보안등 수리 완료",
        "streetlight",
        "{citizen} 님, 어두운 길 불편을 알려주셔서 감사합니다. {department}입니다.\n"
        "- 조치 내용: [[조치 내용]]\n"
        "- 조치 일시: [[조치 일시]]\n"
        "같은 곳이 다시 고장 나면 접수번호 {case_number}로 알려주세요. {officer}",
        ("조치 내용", "조치 일시"),
    ),
    AnswerTemplateSpec(
        "불법 주정차 단속 결과",
        "illegal-parking",
        "{citizen} 님, {department}입니다. 접수번호 {case_number} 신고에 답변드립니다.\n"
        "- 현장 출동: [[출동 일시]]\n"
        "- 조치 결과: [[조치 결과]]\n"
        "상습 구간은 CCTV 단속과 순찰을 늘리겠습니다.",
        ("출동 일시", "조치 결과"),
    ),
    AnswerTemplateSpec(
        "쓰레기 무단투기 수거·단속",
        "illegal-dumping",
        "{citizen} 님, {department}입니다.\n"
        "- 수거 일시: [[수거 일시]]\n"
        "- 추가 조치: [[추가 조치]]\n"
        "깨끗한 동네를 위해 알려주셔서 감사합니다. ({case_number})",
        ("수거 일시", "추가 조치"),
    ),
    AnswerTemplateSpec(
        "처리기한 안 처리 예정 안내",
        None,
        "{citizen} 님, {department}입니다. 접수번호 {case_number} 민원은 현재 처리 중입니다.\n"
        "- 처리 계획: [[처리 계획]]\n"
        "처리기한({deadline})까지 결과를 알려드리겠습니다. 진행 상황: {tracking_url}",
        ("처리 계획",),
    ),
    AnswerTemplateSpec(
        "칭찬·감사 답변",
        "praise",
        "{citizen} 님, 따뜻한 말씀 감사합니다. 전해주신 마음은 담당 직원에게 꼭 전하겠습니다. "
        "앞으로도 더 나은 행정으로 보답하겠습니다. ({today}, {department})",
        (),
    ),
)
