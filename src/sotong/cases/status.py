"""The life cycle of a case as data: which action may move a case from which status to which."""

from __future__ import annotations

from dataclasses import dataclass

from sotong.cases.models import CaseStatus as S
from sotong.errors import IllegalTransition
from sotong.i18n import translate

# Statuses in which a deadline runs and escalations may fire.
OPEN_STATUSES = frozenset({S.received, S.triaged, S.assigned, S.in_progress, S.on_hold, S.transferred, S.reopened})
# Work on the case itself (answer, hold, extend...) is possible in these.
WORKING_STATUSES = frozenset({S.triaged, S.assigned, S.in_progress, S.transferred, S.reopened})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[S]
    target: S | None  # None: the action decides (resume returns to where the hold started)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("triage", frozenset({S.received, S.triaged, S.reopened}), S.triaged),
        Transition("assign", frozenset({S.triaged, S.transferred, S.assigned, S.in_progress, S.reopened}), S.assigned),
        Transition("start", frozenset({S.assigned}), S.in_progress),
        Transition("hold", frozenset({S.triaged, S.assigned, S.in_progress, S.transferred, S.reopened}), S.on_hold),
        Transition("resume", frozenset({S.on_hold}), None),
        Transition(
            "transfer_department",
            frozenset({S.triaged, S.assigned, S.in_progress, S.on_hold, S.transferred, S.reopened}),
            S.transferred,
        ),
        Transition(
            "transfer_organisation",
            frozenset({S.received, S.triaged, S.assigned, S.in_progress, S.on_hold, S.transferred, S.reopened}),
            S.transferred_out,
        ),
        Transition("answer", WORKING_STATUSES, S.answered),
        Transition("close", frozenset({S.answered}), S.closed),
        Transition("reopen", frozenset({S.answered, S.closed}), S.reopened),
        Transition("reject", frozenset({S.received, S.triaged, S.reopened}), S.rejected),
        Transition("restore", frozenset({S.rejected}), S.received),
        # A duplicate joins the case it repeats: its messages move there, and it is hidden as a duplicate.
        Transition("merge", frozenset({S.received, S.triaged, S.reopened}), S.rejected),
    )
}

# Actions that change no status but are refused outside these statuses.
EXTEND_SOURCES = OPEN_STATUSES - {S.received}
RATE_SOURCES = frozenset({S.answered, S.closed})


def check_transition(action: str, current: S) -> Transition:
    """The transition for `action`, or IllegalTransition naming what is allowed."""
    transition = TRANSITIONS[action]
    if current not in transition.sources:
        allowed = ", ".join(sorted(s.value for s in transition.sources))
        raise IllegalTransition(
            f"cannot {action.replace('_', ' ')} a case that is {current.value} (allowed from: {allowed})",
            action=action,
            status=current.value,
        )
    return transition


def status_label(status: S | str, lang: str) -> str:
    """How staff read a status, in their language (the catalogue's ``status.*``; the statute's words in Korean).

    Citizens read other words on purpose (plainer, and fewer stages): `cases.wording.CITIZEN_STATUS` and the
    portal's public stages.
    """
    return translate(lang, f"status.{S(status).value}")
