"""Administration pages: each create/edit path through the browser-facing forms, its audit event, its errors."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Role
from sotong.audit.models import AuditEvent
from sotong.cases.deadlines.models import ClosureDay, SlaPolicy
from sotong.db import utcnow
from sotong.orgs.models import Category, Department, Organisation, User
from sotong.orgs.passwords import verify_password
from sotong.triage.models import RoutingRule, RuleKind
from tests.factories import PASSWORD, World
from tests.web.conftest import login


@pytest.fixture
def admin(client: TestClient, world: World) -> str:
    """The admin logged in; the CSRF token of the session."""
    return login(client, world.admin)


def post(client: TestClient, token: str, path: str, data: dict[str, Any]) -> Response:
    return client.post(f"/staff/admin{path}", data={"csrf_token": token, **data}, follow_redirects=False)


def events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def today_in_seoul() -> dt.date:
    return utcnow().astimezone(dt.timezone(dt.timedelta(hours=9))).date()


# --------------------------------------------------------------------------------------------- departments


def test_create_and_edit_department(client: TestClient, session: Session, world: World, admin: str) -> None:
    response = post(
        client, admin, "/departments", {"name": "공원녹지과", "code": "PARK", "email": "park@songpa.example"}
    )
    assert response.status_code == 303
    department = session.scalar(select(Department).where(Department.name == "공원녹지과"))
    assert department is not None and department.org_id == world.songpa.id and department.code == "PARK"
    listing = html.unescape(client.get("/staff/admin/departments").text)
    assert "부서 '공원녹지과'를 저장했습니다." in listing and "을(를)" not in listing
    created = events(session, "department.created")[-1]
    assert created.actor_id == world.admin.id and created.case_id is None

    response = post(client, admin, f"/departments/{department.id}", {"name": "공원녹지과 (신)", "code": "PARK2"})
    assert response.status_code == 303
    session.refresh(department)
    assert (department.name, department.code, department.email) == ("공원녹지과 (신)", "PARK2", None)
    updated = events(session, "department.updated")[-1]
    assert updated.before["name"] == "공원녹지과" and updated.after["name"] == "공원녹지과 (신)"


def test_department_errors_are_tied_to_their_field(
    client: TestClient, session: Session, world: World, admin: str
) -> None:
    response = post(client, admin, "/departments", {"name": world.roads.name})
    assert response.status_code == 422
    assert "같은 이름의 부서가 이미 있습니다." in response.text
    assert 'aria-describedby="f-name-error"' in response.text and 'id="f-name-error"' in response.text
    assert 'aria-invalid="true"' in response.text
    response = post(client, admin, "/departments", {"name": "", "email": "not-an-address"})
    assert response.status_code == 422
    assert "입력해 주세요." in response.text and "이메일 주소 형식이 아닙니다." in response.text
    assert 'value="not-an-address"' in response.text  # what was typed stays in the form
    response = post(client, admin, f"/departments/{world.roads.id}", {"name": world.cleaning.name})
    assert response.status_code == 422 and "같은 이름의 부서가 이미 있습니다." in response.text
    session.refresh(world.roads)
    assert world.roads.name == "도로과"
    assert not events(session, "department.updated")


# --------------------------------------------------------------------------------------------- users


def test_create_user_and_log_in(client: TestClient, session: Session, world: World, admin: str) -> None:
    data = {
        "username": "seo.officer",
        "display_name": "서 주무관",
        "role": "officer",
        "department_id": str(world.cleaning.id),
        "email": "seo@songpa.example",
        "password": "a-long-password",
    }
    assert post(client, admin, "/users", data).status_code == 303
    user = session.scalar(select(User).where(User.username == "seo.officer"))
    assert user is not None and user.role is Role.officer and user.department_id == world.cleaning.id
    assert user.org_id == world.songpa.id
    event = events(session, "user.created")[-1]
    assert event.after["username"] == "seo.officer" and "password" not in str(event.after)
    with TestClient(client.app) as other:
        login(other, "seo.officer", "a-long-password")


def test_create_user_errors(client: TestClient, session: Session, world: World, admin: str) -> None:
    response = post(
        client,
        admin,
        "/users",
        {"username": world.officer.username, "display_name": "x", "role": "officer", "password": "short"},
    )
    assert response.status_code == 422
    assert "이미 쓰고 있는 아이디입니다" in response.text
    assert "부서장과 담당자는 부서를 골라야 합니다." in response.text
    assert "비밀번호가 너무 짧습니다" in response.text
    assert 'value="short"' not in response.text  # a password is never echoed back
    # A username taken in another organisation is taken too (log-in names are global).
    response = post(
        client,
        admin,
        "/users",
        {"username": world.seoul_operator.username, "display_name": "x", "role": "viewer", "password": "long-enough-1"},
    )
    assert response.status_code == 422 and "이미 쓰고 있는 아이디입니다" in response.text
    # A department of another organisation is not offered, and not accepted.
    response = post(
        client,
        admin,
        "/users",
        {
            "username": "new.one",
            "display_name": "x",
            "role": "officer",
            "department_id": str(world.seoul_dept.id),
            "password": "long-enough-1",
        },
    )
    assert response.status_code == 422 and "목록에서 골라 주세요." in response.text
    assert session.scalar(select(User).where(User.username == "new.one")) is None


def test_edit_user_profile_role_password_and_deactivate(
    client: TestClient, session: Session, world: World, admin: str
) -> None:
    officer = world.officer
    response = post(
        client,
        admin,
        f"/users/{officer.id}",
        {"_form": "profile", "display_name": "최 주무관", "email": "", "department_id": str(world.roads.id)},
    )
    assert response.status_code == 303
    session.refresh(officer)
    assert officer.display_name == "최 주무관" and officer.on_duty is False  # an unticked box is "off"
    assert events(session, "user.updated")[-1].after["display_name"] == "최 주무관"

    response = post(
        client,
        admin,
        f"/users/{officer.id}/role",
        {"_form": "role", "role": "dept_manager", "department_id": str(world.cleaning.id)},
    )
    assert response.status_code == 303
    session.refresh(officer)
    assert officer.role is Role.dept_manager and officer.department_id == world.cleaning.id
    changed = events(session, "user.role_changed")[-1]
    assert changed.before["role"] == "officer" and changed.after["role"] == "dept_manager"

    with TestClient(client.app) as officer_client:
        login(officer_client, officer)
        response = post(
            client,
            admin,
            f"/users/{officer.id}/password",
            {"_form": "password", "password": "brand-new-pass", "password_again": "brand-new-pass"},
        )
        assert response.status_code == 303
        session.refresh(officer)
        assert verify_password(officer.password_hash, "brand-new-pass")
        assert events(session, "user.password_reset")[-1].details["user_id"] == officer.id
        # The officer's open session ends with the old password.
        assert officer_client.get("/staff/", follow_redirects=False).status_code == 303

    response = post(client, admin, f"/users/{officer.id}/active", {"_form": "active", "active": ""})
    assert response.status_code == 303
    session.refresh(officer)
    assert officer.is_active is False
    assert events(session, "user.deactivated")[-1].details["username"] == officer.username
    with TestClient(client.app) as again:
        token = again.get("/staff/login").text.split('name="csrf_token" value="')[1].split('"')[0]
        refused = again.post(
            "/staff/login",
            data={"username": officer.username, "password": "brand-new-pass", "csrf_token": token},
            follow_redirects=False,
        )
        assert refused.status_code != 303

    assert post(client, admin, f"/users/{officer.id}/active", {"active": "1"}).status_code == 303
    session.refresh(officer)
    assert officer.is_active is True


def test_user_edit_errors(client: TestClient, session: Session, world: World, admin: str) -> None:
    response = post(
        client,
        admin,
        f"/users/{world.officer.id}/password",
        {"_form": "password", "password": "long-enough-1", "password_again": "other-one-22"},
    )
    assert response.status_code == 422 and "두 비밀번호가 다릅니다." in response.text
    assert verify_password(world.officer.password_hash, PASSWORD)
    response = post(client, admin, f"/users/{world.viewer.id}/role", {"_form": "role", "role": "officer"})
    assert response.status_code == 422 and "부서장과 담당자는 부서를 골라야 합니다." in response.text
    # An admin can neither demote nor lock out themself.
    response = post(client, admin, f"/users/{world.admin.id}/role", {"_form": "role", "role": "viewer"})
    assert response.status_code == 422 and "자신의 역할은 바꿀 수 없습니다." in response.text
    response = post(client, admin, f"/users/{world.admin.id}/active", {"_form": "active", "active": ""})
    assert response.status_code == 422
    session.refresh(world.admin)
    assert world.admin.role is Role.admin and world.admin.is_active
    assert not events(session, "user.role_changed") and not events(session, "user.deactivated")


# --------------------------------------------------------------------------------------------- categories


def test_create_and_edit_category(client: TestClient, session: Session, world: World, admin: str) -> None:
    data = {"code": "trash", "name": "쓰레기 무단투기", "department_id": str(world.cleaning.id)}
    assert post(client, admin, "/categories", data).status_code == 303
    category = session.scalar(select(Category).where(Category.code == "trash"))
    assert category is not None and category.department_id == world.cleaning.id
    assert events(session, "category.created")[-1].after["code"] == "trash"

    data = {"code": "trash", "name": "쓰레기", "department_id": str(world.roads.id), "description": "무단투기"}
    assert post(client, admin, f"/categories/{category.id}", data).status_code == 303
    session.refresh(category)
    assert (category.name, category.department_id, category.description) == ("쓰레기", world.roads.id, "무단투기")
    event = events(session, "category.updated")[-1]
    assert event.before["department_id"] == world.cleaning.id and event.after["department_id"] == world.roads.id

    response = post(client, admin, "/categories", {"code": world.pothole.code, "name": "중복"})
    assert response.status_code == 422 and "같은 코드의 분야가 이미 있습니다." in response.text
    response = post(client, admin, "/categories", {"code": "빈 칸", "name": "x"})
    assert response.status_code == 422 and "코드에는 영문, 숫자" in response.text


# --------------------------------------------------------------------------------------------- routing rules


def rule_data(world: World, **changes: str) -> dict[str, str]:
    data = {
        "name": "포트홀 낱말",
        "kind": "keyword",
        "pattern": "포트홀, 싱크홀",
        "department_id": str(world.roads.id),
        "category_id": str(world.pothole.id),
        "priority": "10",
    }
    return {**data, **changes}


def test_create_edit_toggle_and_test_rules(client: TestClient, session: Session, world: World, admin: str) -> None:
    assert post(client, admin, "/rules", rule_data(world)).status_code == 303
    data = rule_data(world, name="무단투기 정규식", kind="regex", pattern=r"쓰레기\s*(무단\s*)?투기", priority="5")
    data["department_id"] = str(world.cleaning.id)
    data["category_id"] = ""
    assert post(client, admin, "/rules", data).status_code == 303
    rules = {r.name: r for r in session.scalars(select(RoutingRule).where(RoutingRule.org_id == world.songpa.id))}
    assert rules["무단투기 정규식"].kind is RuleKind.regex and rules["무단투기 정규식"].priority == 5
    assert len(events(session, "triage.rule_created")) == 2

    page = client.get("/staff/admin/rules", params={"sample": "석촌동 앞 도로에 포트홀이 생겼어요"}).text
    assert "결정한 규칙: 포트홀 낱말" in page and "포트홀" in page
    page = client.get("/staff/admin/rules", params={"sample": "골목에 쓰레기 무단 투기가 심해요, 포트홀도"}).text
    assert "결정한 규칙: 무단투기 정규식" in page  # priority 5 is checked before 10
    page = client.get("/staff/admin/rules", params={"sample": "가로등이 꺼졌어요"}).text
    assert "맞는 규칙이 없습니다" in page

    regex = rules["무단투기 정규식"]
    assert post(client, admin, f"/rules/{regex.id}/enabled", {"enabled": ""}).status_code == 303
    session.refresh(regex)
    assert regex.enabled is False
    page = client.get("/staff/admin/rules", params={"sample": "골목에 쓰레기 무단 투기가 심해요, 포트홀도"}).text
    assert "결정한 규칙: 포트홀 낱말" in page  # a disabled rule no longer decides

    edited = rule_data(world, name="포트홀 낱말", pattern="포트홀, 땅꺼짐", priority="1", enabled="1")
    assert post(client, admin, f"/rules/{rules['포트홀 낱말'].id}", edited).status_code == 303
    event = events(session, "triage.rule_changed")[-1]
    assert event.before["pattern"] == "포트홀, 싱크홀" and event.after["pattern"] == "포트홀, 땅꺼짐"
    assert event.after["priority"] == 1
    page = client.get("/staff/admin/rules", params={"sample": "땅꺼짐 현상"}).text
    assert "결정한 규칙: 포트홀 낱말" in page


def test_account_rule_and_place_rule_in_the_test_box(
    client: TestClient, session: Session, world: World, admin: str
) -> None:
    data = rule_data(world, name="마스토돈 계정", kind="channel_account", pattern="", priority="1")
    data["channel_account_id"] = str(world.mastodon_account.id)
    assert post(client, admin, "/rules", data).status_code == 303
    data = rule_data(world, name="서울시 이송", kind="place", pattern="광화문", priority="2")
    data.update(department_id="", category_id="", target_org_id=str(world.seoul.id))
    assert post(client, admin, "/rules", data).status_code == 303
    page = client.get(
        "/staff/admin/rules", params={"sample": "안녕하세요", "sample_account": world.mastodon_account.id}
    ).text
    assert "결정한 규칙: 마스토돈 계정" in page
    page = client.get("/staff/admin/rules", params={"sample": "안녕하세요", "sample_address": "광화문광장"}).text
    assert "결정한 규칙: 서울시 이송" in page and world.seoul.name in page


def test_rule_errors(client: TestClient, session: Session, world: World, admin: str) -> None:
    response = post(client, admin, "/rules", rule_data(world, kind="regex", pattern="(unclosed"))
    assert response.status_code == 422
    assert "정규식을 해석할 수 없습니다" in response.text and "missing )" in response.text
    response = post(client, admin, "/rules", rule_data(world, department_id="", category_id=""))
    assert response.status_code == 422 and "규칙이 배정할 부서, 분야 또는 이송할 기관" in response.text
    response = post(client, admin, "/rules", rule_data(world, kind="channel_account", pattern=""))
    assert response.status_code == 422 and "수신 계정 규칙은 계정을 골라야 합니다." in response.text
    response = post(client, admin, "/rules", rule_data(world, pattern=" , ", priority="soon"))
    assert response.status_code == 422 and "숫자로 입력해 주세요." in response.text
    # Another organisation's account is not a choice.
    data = rule_data(world, kind="channel_account", pattern="", channel_account_id=str(world.seoul_x_account.id))
    response = post(client, admin, "/rules", data)
    assert response.status_code == 422 and "목록에서 골라 주세요." in response.text
    assert session.scalar(select(RoutingRule)) is None
    assert not events(session, "triage.rule_created")


# --------------------------------------------------------------------------------------------- SLA policies


def sla_data(world: World, **changes: str) -> dict[str, str]:
    data = {
        "name": "도로 파손 3일",
        "priority": "10",
        "category_id": str(world.pothole.id),
        "resolution_value": "3",
        "resolution_unit": "days",
        "first_response_minutes": "30",
    }
    return {**data, **changes}


def test_create_and_edit_sla_policy(client: TestClient, session: Session, world: World, admin: str) -> None:
    assert post(client, admin, "/sla", sla_data(world)).status_code == 303
    policy = session.scalar(select(SlaPolicy).where(SlaPolicy.org_id == world.songpa.id))
    assert policy is not None and policy.resolution_value == 3 and policy.category_id == world.pothole.id
    assert events(session, "sla_policy.created")[-1].after["name"] == "도로 파손 3일"

    edited = sla_data(world, resolution_value="5", channel="x", enabled="1")
    assert post(client, admin, f"/sla/{policy.id}", edited).status_code == 303
    session.refresh(policy)
    assert policy.resolution_value == 5 and policy.channel is not None and policy.channel.value == "x"
    event = events(session, "sla_policy.updated")[-1]
    assert event.before["resolution_value"] == 3 and event.after["resolution_value"] == 5
    edited = sla_data(world)  # the "enabled" box unticked
    assert post(client, admin, f"/sla/{policy.id}", edited).status_code == 303
    session.refresh(policy)
    assert policy.enabled is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"first_response_minutes": "600", "resolution_value": "1", "resolution_unit": "hours"}, "지킬 수 없습니다"),
        (
            {
                "answer_target_minutes": "100000",
                "resolution_value": "",
                "resolution_unit": "",
                "complaint_type": "other",
            },
            "지킬 수 없습니다",
        ),
        ({"resolution_value": "50", "resolution_unit": "hours"}, "일 단위로"),
        ({"resolution_value": "3", "resolution_unit": ""}, "숫자와 단위를 함께"),
        ({"resolution_value": "0"}, "사이의 숫자"),
        ({"name": ""}, "입력해 주세요."),
    ],
)
def test_sla_policy_that_cannot_be_satisfied_is_refused(
    client: TestClient, session: Session, world: World, admin: str, changes: dict[str, str], message: str
) -> None:
    response = post(client, admin, "/sla", sla_data(world, **changes))
    assert response.status_code == 422
    assert message in response.text
    assert session.scalar(select(SlaPolicy)) is None


# --------------------------------------------------------------------------------------------- calendar


def test_business_hours(client: TestClient, session: Session, world: World, admin: str) -> None:
    data = {"_form": "hours", "work_start": "08:30", "work_end": "17:30", "lunch_start": "12:00", "lunch_end": "13:00"}
    assert post(client, admin, "/calendar/hours", data).status_code == 303
    org = session.get(Organisation, world.songpa.id)
    assert org is not None
    session.refresh(org)
    assert (org.work_start, org.work_end) == (dt.time(8, 30), dt.time(17, 30))
    event = events(session, "org.hours_changed")[-1]
    assert event.before["work_start"] == "09:00:00" and event.after["work_start"] == "08:30:00"

    bad = {"_form": "hours", "work_start": "18:00", "work_end": "09:00"}
    response = post(client, admin, "/calendar/hours", bad)
    assert response.status_code == 422 and "업무 종료는 업무 시작보다 늦어야 합니다." in response.text
    bad = {"_form": "hours", "work_start": "09:00", "work_end": "18:00", "lunch_start": "12:00"}
    response = post(client, admin, "/calendar/hours", bad)
    assert response.status_code == 422 and "시작과 종료를 함께" in response.text
    bad = {"_form": "hours", "work_start": "09:00", "work_end": "18:00", "lunch_start": "19:00", "lunch_end": "20:00"}
    assert post(client, admin, "/calendar/hours", bad).status_code == 422
    session.refresh(org)
    assert org.work_start == dt.time(8, 30)


def test_closure_days(client: TestClient, session: Session, world: World, admin: str) -> None:
    day = today_in_seoul() + dt.timedelta(days=10)
    data = {"_form": "closure", "day": day.isoformat(), "reason": "구청 개청 기념일"}
    assert post(client, admin, "/calendar/closures", data).status_code == 303
    closure = session.scalar(select(ClosureDay).where(ClosureDay.org_id == world.songpa.id))
    assert closure is not None and closure.day == day
    assert events(session, "closure_day.added")[-1].after == {"day": day.isoformat(), "reason": "구청 개청 기념일"}
    assert "구청 개청 기념일" in client.get("/staff/admin/calendar").text

    response = post(client, admin, "/calendar/closures", data)
    assert response.status_code == 422 and "이미 휴무일로 정한 날입니다." in response.text
    past = {"_form": "closure", "day": (today_in_seoul() - dt.timedelta(days=1)).isoformat(), "reason": "지난 날"}
    response = post(client, admin, "/calendar/closures", past)
    assert response.status_code == 422 and "지난 날은 휴무일로 정할 수 없습니다." in response.text
    response = post(client, admin, "/calendar/closures", {"_form": "closure", "day": "31/12/2026", "reason": "x"})
    assert response.status_code == 422 and "2026-12-31 형식" in response.text

    closure_id = closure.id
    assert post(client, admin, f"/calendar/closures/{closure_id}/delete", {}).status_code == 303
    session.expire_all()
    assert session.scalar(select(ClosureDay).where(ClosureDay.id == closure_id)) is None
    assert events(session, "closure_day.removed")[-1].before["day"] == day.isoformat()


# --------------------------------------------------------------------------------------------- audit log


def test_audit_log_lists_org_level_changes_with_before_and_after(
    client: TestClient, session: Session, world: World, admin: str
) -> None:
    post(client, admin, f"/departments/{world.roads.id}", {"name": "도로관리과"})
    page = client.get("/staff/admin/audit").text
    assert "부서 수정" in page and world.admin.username in page
    assert "<del>도로과</del>" in page and "<ins>도로관리과</ins>" in page
    assert "로그인" in page and "user.login" not in page  # logging in is an organisation-level event too, in words
    filtered = client.get("/staff/admin/audit", params={"area": "departments"}).text
    assert "부서 수정" in filtered and "<td>로그인</td>" not in filtered and "<td>계정 추가</td>" not in filtered
    # A creation lists the values it set, ids with their names.
    post(client, admin, "/categories", {"code": "trash", "name": "쓰레기", "department_id": str(world.cleaning.id)})
    filtered = client.get("/staff/admin/audit", params={"area": "categories"}).text
    assert f"청소행정과 (#{world.cleaning.id})" in filtered
    # Another organisation's set-up changes are not in this log.
    assert "도로계획과" not in page
    with TestClient(client.app) as seoul:
        login(seoul, world.seoul_operator)
        assert seoul.get("/staff/admin/audit").status_code == 403
