"""Messages, cases, their life cycle (actions), statutory deadlines and escalation."""
