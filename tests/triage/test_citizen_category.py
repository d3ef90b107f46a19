"""The 분야 a citizen chose on the web form is a feature of triage: it weighs the model's categories and the
decision names it for the operator."""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases import actions as case_actions
from sotong.orgs import actions as org_actions
from sotong.triage import actions
from sotong.triage.pipeline import weigh_hints
from tests.factories import World

VAGUE = "아파트 입구 앞 골목이 너무 복잡하고 위험해요"  # the model: 안전 23%, 도로 19%, 주정차 16%


def test_the_choice_weighs_the_chosen_category_without_deciding_alone() -> None:
    probs = np.array([[0.6, 0.2, 0.15, 0.05]])
    weighed = weigh_hints(probs, ["road", "parking", "noise", "tax"], [("illegal-parking", "parking")])
    assert round(float(weighed[0, 1]), 2) == 0.5
    far = weigh_hints(probs, ["road", "parking", "noise", "tax"], [("tax",)])
    assert float(far[0, 3]) < 0.2 and int(np.argmax(far[0])) == 0


def test_a_web_form_choice_leads_the_candidates_and_is_named(session: Session, world: World) -> None:
    org_actions.create_category(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        code="illegal-parking",
        name="불법 주정차",
        department_id=world.cleaning.id,
        standard_code="parking",
    )
    plain = case_actions.submit_web_form(session, org_slug="songpa", text=VAGUE, submission_id="a")
    chosen = case_actions.submit_web_form(
        session, org_slug="songpa", text=VAGUE, submission_id="b", category_hint="illegal-parking"
    )
    without = actions.triage_case(session, case_id=plain.id)
    with_choice = actions.triage_case(session, case_id=chosen.id)
    assert without.candidates[0]["code"] != "parking"
    assert with_choice.candidates[0]["code"] == "parking"
    assert "시민 선택 분야: 불법 주정차" in with_choice.explanation
