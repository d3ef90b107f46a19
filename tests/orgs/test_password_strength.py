"""Weak passwords are refused wherever a password is set (issue 22, finding 6): too short, or guessable by zxcvbn
(common and breached passwords, the user's own name)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from sotong.actors import CLI, Role
from sotong.errors import InvalidInput
from sotong.orgs import actions
from sotong.orgs.passwords import check_password
from tests.factories import PASSWORD, World

WEAK = ["12345678", "password", "qwerty123", "p@ssw0rd", "iloveyou1", "00000000000"]


@pytest.mark.parametrize("password", WEAK)
def test_common_passwords_are_weak(password: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_password(password)
    assert refused.value.extra["code"] == "password_weak"


def test_short_and_own_name_passwords_are_refused() -> None:
    with pytest.raises(InvalidInput) as short:
        check_password("Zq7!")
    assert short.value.extra["code"] == "password_short"
    check_password("songpa.roads.2026")  # strong enough on its own...
    with pytest.raises(InvalidInput):  # ...not as the password of the account it names
        check_password("songpa.roads.2026", known_words=("songpa.roads", "2026"))


@pytest.mark.parametrize("password", [PASSWORD, "a-much-longer-passphrase", "송파구 도로과 민원 담당자 비밀번호"])
def test_passphrases_pass(password: str) -> None:
    check_password(password)


def test_every_action_that_sets_a_password_refuses_a_weak_one(session: Session, world: World) -> None:
    admin = world.actor(world.admin)
    with pytest.raises(InvalidInput, match="too weak"):
        actions.create_user(
            session, actor=CLI, org_id=world.songpa.id, username="new", password="password1", role=Role.viewer
        )
    with pytest.raises(InvalidInput, match="too weak"):
        actions.reset_password(session, actor=admin, user_id=world.officer.id, password="12345678")
    with pytest.raises(InvalidInput, match="too weak"):
        actions.set_password(session, actor=world.actor(world.officer), user_id=world.officer.id, password="qwerty123")
