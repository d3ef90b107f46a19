"""Every state change of a case, one action function each: what can happen to a case, in one list.

Each action owns its transaction (joining a caller's), writes its audit event and queues its outbound work in
that same transaction. Pages, the API, the CLI, the worker and the demo call these; nothing else writes case
rows. The modules: intake.py (messages in), conversations.py (chat bubbles become one case), lifecycle.py
(triage to closing), answer.py (the answer), publication.py (공개 검토: what the public may see), effects.py
(what they share).
"""

from sotong.cases.actions.answer import Photo, RequiredElementsMissing, answer, missing_elements
from sotong.cases.actions.conversations import open_conversation
from sotong.cases.actions.effects import MAX_TEXT_LENGTH
from sotong.cases.actions.intake import (
    VISIBILITIES,
    IntakeResult,
    check_inbound,
    follow_up_from_portal,
    receive_message,
    receive_new_messages,
    send_tracking_link,
    submit_web_form,
)
from sotong.cases.actions.lifecycle import (
    assign,
    close,
    extend,
    hold,
    mark_first_response,
    merge,
    merge_follow_up,
    rate,
    reject,
    reopen,
    restore,
    resume,
    start_work,
    transfer_to_department,
    transfer_to_organisation,
    triage,
)
from sotong.cases.actions.publication import (
    ChatChoice,
    auto_release,
    chat_choice,
    choose_in_chat,
    edit_public,
    make_private_by_citizen,
    on_public_change,
    release,
    withhold,
)

__all__ = [
    "MAX_TEXT_LENGTH",
    "VISIBILITIES",
    "ChatChoice",
    "IntakeResult",
    "Photo",
    "RequiredElementsMissing",
    "answer",
    "assign",
    "auto_release",
    "chat_choice",
    "check_inbound",
    "choose_in_chat",
    "close",
    "edit_public",
    "extend",
    "follow_up_from_portal",
    "hold",
    "make_private_by_citizen",
    "mark_first_response",
    "merge",
    "merge_follow_up",
    "missing_elements",
    "on_public_change",
    "open_conversation",
    "rate",
    "receive_message",
    "receive_new_messages",
    "reject",
    "release",
    "reopen",
    "restore",
    "resume",
    "send_tracking_link",
    "start_work",
    "submit_web_form",
    "transfer_to_department",
    "transfer_to_organisation",
    "triage",
    "withhold",
]
