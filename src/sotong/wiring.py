"""What every Sotong process registers once at start-up, explicitly and in one place.

Nothing registers itself as a side effect of being imported. The web app (`app.create_app`), the worker and
every `sotong` command call `install()` first; so do the tests (tests/conftest.py). It registers:

- the outbox's transports: every channel (channels/registry.py) and the staff notification transports;
- the hooks cases asks the outbox for (the first response of a case, when its receipt is delivered);
- the search index's flush listener, which keeps the public search documents in step with the cases;
- triage's first look inside intake (complaint or chatter, and the statutory type), before the receipt.
"""

from __future__ import annotations

from sotong.cases import assessment
from sotong.cases import hooks as case_hooks
from sotong.channels import registry
from sotong.notifications import transports as notification_transports
from sotong.outbox.transports import register
from sotong.search import index as search_index
from sotong.triage import assess as triage_assess


def install() -> None:
    """Register everything above; calling it again changes nothing."""
    for transport in (*registry.CONNECTORS.values(), *notification_transports.TRANSPORTS):
        register(transport)
    case_hooks.install()
    search_index.install()
    assessment.register(triage_assess.assess)
