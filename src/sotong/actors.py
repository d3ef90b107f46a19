"""Who performs an action: a staff user, a citizen, or the system itself (worker, CLI, demo loader)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sotong.orgs.models import Role, User

ActorKind = Literal["user", "system", "worker", "citizen", "cli"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    label: str
    user_id: int | None = None
    org_id: int | None = None
    role: Role | None = None
    department_id: int | None = None

    @classmethod
    def for_user(cls, user: User) -> Actor:
        """The actor for a logged-in staff user."""
        return cls(
            kind="user",
            label=user.username,
            user_id=user.id,
            org_id=user.org_id,
            role=user.role,
            department_id=user.department_id,
        )

    @property
    def is_staff(self) -> bool:
        return self.kind == "user"


SYSTEM = Actor(kind="system", label="system")
WORKER = Actor(kind="worker", label="worker")
CITIZEN = Actor(kind="citizen", label="citizen")
CLI = Actor(kind="cli", label="cli")
