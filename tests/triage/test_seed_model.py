"""How sure the shipped seed model is: a new installation routes clear complaints itself and leaves vague ones to an
operator. Its temperature was fitted on another city's complaints (bench/triage_seed_calibration.py), because on
its own clean corpus it would call everything certain.
"""

from __future__ import annotations

from sotong.triage.pipeline import SEED_CATEGORY_TEMPERATURE, TriageModel

from .test_sns_writing import PAIRS

THRESHOLD = 0.8  # an organisation's default auto_route_threshold

# Messages that name no matter: no department can be told from them, so no model should be sure.
VAGUE = [
    "이거 어디에 문의해야 하나요?",
    "담당자 연결 부탁드립니다",
    "구청에 건의사항이 있어요",
    "전에 말씀드린 건 어떻게 됐나요?",
    "요즘 동네가 좀 불편해요",
    "문의드릴게 있는데 전화번호 알려주세요",
]


def test_the_seed_model_uses_the_temperature_fitted_on_other_writing(seed_model: TriageModel) -> None:
    assert seed_model.category is not None
    assert seed_model.category.temperature == SEED_CATEGORY_TEMPERATURE


def test_clear_complaints_are_routed_on_day_one(seed_model: TriageModel) -> None:
    predictions = seed_model.predict([careful for _, careful, _ in PAIRS])
    sure = [p.top.confidence for p in predictions if p.top is not None and p.top.confidence >= THRESHOLD]
    assert len(sure) >= len(PAIRS) - 2, [p.top for p in predictions]


def test_vague_messages_wait_for_an_operator(seed_model: TriageModel) -> None:
    predictions = seed_model.predict(VAGUE)
    assert all(p.top is not None and p.top.confidence < THRESHOLD for p in predictions), [p.top for p in predictions]
