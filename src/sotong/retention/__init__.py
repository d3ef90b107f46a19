"""Retention: how long an organisation keeps what it no longer needs, and the scheduled pass that removes it
(issue 20 item 7). See docs/privacy.md *Retention*."""
