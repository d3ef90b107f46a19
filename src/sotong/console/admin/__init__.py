"""Administration pages of the staff console (/staff/admin): an organisation's set-up, admins only.

Departments, users and roles, categories, routing rules, SLA policies, business hours and closure days, and
the log of who changed what. Pages read rows themselves; every change goes through one domain action
(orgs/actions.py, triage/actions.py) that checks the role, owns its transaction and writes the audit event.
Channel accounts and answer templates have their own pages (other packages).
"""

from __future__ import annotations

# Importing a section registers its pages on the shared router.
from sotong.console.admin import audit, deadlines, people, retention, routing, tokens
from sotong.console.admin.common import router

__all__ = ["audit", "deadlines", "people", "retention", "router", "routing", "tokens"]
