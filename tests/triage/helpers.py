"""Small triage models trained in a second from a handful of sentences, for tests that need a model."""

from __future__ import annotations

from functools import lru_cache

from sotong.triage.pipeline import TriageModel, train

ROAD = [
    "보도블럭이 깨져서 위험합니다 보수 부탁드립니다",
    "도로에 포트홀이 생겼어요 메워주세요",
    "인도 블럭이 들떠서 넘어질 뻔했어요",
    "차도 아스팔트가 패였어요 보수해 주세요",
    "보도블럭 파손 신고합니다",
    "도로 포장이 갈라졌어요",
]
CLEANING = [
    "쓰레기 무단투기가 심해요 치워주세요",
    "음식물 쓰레기 수거가 안 됐어요",
    "골목에 쓰레기가 쌓여 냄새가 나요",
    "재활용 쓰레기 수거일인데 안 가져갔어요",
    "무단투기 쓰레기 단속해 주세요",
    "쓰레기봉투가 터져서 길이 더러워요",
]
CHATTER = [
    "구청장님 화이팅",
    "좋은 아침입니다",
    "감사합니다 해결됐어요",
    "오늘 날씨 좋네요",
    "주말 잘 보내세요",
    "시장님 최고",
]


@lru_cache(maxsize=1)
def tiny_model() -> TriageModel:
    """Two categories (road-damage → 도로과, waste → 청소행정과) and chatter."""
    texts = ROAD + CLEANING + CHATTER
    categories: list[str | None] = ["road-damage"] * len(ROAD) + ["waste"] * len(CLEANING) + [None] * len(CHATTER)
    relevant = [True] * (len(ROAD) + len(CLEANING)) + [False] * len(CHATTER)
    return train(texts=texts, categories=categories, relevant=relevant, source="tests")
